"""Members (the links of chat users) and the link codes that grant them."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)

from domain.funders import Funder
from domain.ports import Membership, Role
from storage.hot_statements import HotStatement
from storage.repositories.base import Repository, chunks
from storage.tables import link_attempts, link_codes, members, organisations

# With each link's chat and reachability: a chat marked unreachable that writes again is reset
# (``of_user_in_chat``) without a statement of its own on every update.
MEMBERSHIPS_OF_USER = HotStatement(lambda _dialect: (
    select(
        members.c.user_id, members.c.role, members.c.organisation_id, members.c.funder,
        members.c.chat_id, members.c.unreachable,
    )
    .where(members.c.user_id == bindparam("p_user_id"))
    .order_by(members.c.id)
))



def _membership(row: Any, user_id: int | None = None) -> Membership:
    return Membership(
        user_id=row.user_id if user_id is None else user_id,
        role=Role(row.role),
        organisation_id=row.organisation_id,
        funder=Funder(row.funder) if row.funder else None,
    )


def _target(membership: Membership) -> dict[str, Any]:
    if membership.role is Role.MEMBER:
        if membership.organisation_id is None or membership.funder is not None:
            raise ValueError("a member is linked to an organisation")
        return {"organisation_id": membership.organisation_id, "funder": None}
    if membership.role is Role.VALIDATOR:
        if membership.funder is None or membership.organisation_id is not None:
            raise ValueError("a validator is linked to a funder")
        return {"organisation_id": None, "funder": membership.funder.value}
    return {"organisation_id": None, "funder": None}


class SqlMemberRepository(Repository):
    def _same(self, membership: Membership) -> ColumnElement[bool]:
        target = _target(membership)
        return and_(
            members.c.user_id == membership.user_id,
            members.c.role == membership.role.value,
            members.c.organisation_id.is_(None)
            if target["organisation_id"] is None
            else members.c.organisation_id == target["organisation_id"],
            members.c.funder.is_(None)
            if target["funder"] is None
            else members.c.funder == target["funder"],
        )

    async def add(self, membership: Membership, chat_id: int | None = None) -> bool:
        """Link the user; False (and nothing changed but reachability) if already linked."""
        chat = membership.user_id if chat_id is None else chat_id
        existing = (
            await self._conn.execute(select(members.c.id).where(self._same(membership)))
        ).scalar()
        if existing is not None:
            await self._conn.execute(
                update(members).where(members.c.id == existing).values(chat_id=chat, unreachable=False)
            )
            return False
        await self._conn.execute(
            insert(members).values(
                user_id=membership.user_id,
                chat_id=chat,
                role=membership.role.value,
                unreachable=False,
                created_at=self._now(),
                **_target(membership),
            )
        )
        return True

    async def remove(self, membership: Membership) -> bool:
        result = await self._conn.execute(delete(members).where(self._same(membership)))
        return result.rowcount > 0

    async def of_user(self, user_id: int) -> list[Membership]:
        result = await self._tx.hot(MEMBERSHIPS_OF_USER, {"p_user_id": user_id})
        return [_membership(row) for row in result.rows]

    async def of_user_in_chat(self, user_id: int, chat_id: int) -> list[Membership]:
        """The user's links, read as they write from ``chat_id``: a chat that writes can be
        written to, so if its links were marked unreachable (a 403 earlier: the user had blocked
        the bot) they are reachable again. The flag comes with the links; the update runs only
        when it is set."""
        result = await self._tx.hot(MEMBERSHIPS_OF_USER, {"p_user_id": user_id})
        if any(row.unreachable and row.chat_id == chat_id for row in result.rows):
            await self.mark_unreachable(chat_id, False)
        return [_membership(row) for row in result.rows]

    async def links_of_chats(self, chat_ids: Iterable[int]) -> dict[int, list[Membership]]:
        """The links whose notifications go to each chat (the outbox delivery re-checks them)."""
        found: dict[int, list[Membership]] = {}
        for chunk in chunks(sorted(set(chat_ids))):
            result = await self._conn.execute(
                select(members.c.chat_id, members.c.user_id, members.c.role,
                       members.c.organisation_id, members.c.funder)
                .where(members.c.chat_id.in_(list(chunk)))
            )
            for row in result:
                found.setdefault(row.chat_id, []).append(_membership(row))
        return found

    async def _chat_ids(self, where: ColumnElement[bool]) -> list[int]:
        result = await self._conn.execute(
            select(members.c.chat_id)
            .where(where, members.c.unreachable.is_(False))
            .distinct()
            .order_by(members.c.chat_id)
        )
        return list(result.scalars())

    async def chat_ids_of_user(self, user_id: int) -> set[int]:
        """Every chat the user is linked from (reachable or not), and their private chat (its id
        is the user's)."""
        result = await self._conn.execute(select(members.c.chat_id).where(members.c.user_id == user_id))
        return {user_id, *result.scalars()}

    async def chat_ids_of_organisation(self, organisation_id: int) -> list[int]:
        return await self._chat_ids(
            and_(members.c.role == Role.MEMBER.value, members.c.organisation_id == organisation_id)
        )

    async def chat_ids_of_funder(self, funder: Funder) -> list[int]:
        return await self._chat_ids(
            and_(members.c.role == Role.VALIDATOR.value, members.c.funder == funder.value)
        )

    async def chat_ids_of_staff(self) -> list[int]:
        """The reachable chats of the staff named by the configuration now (``FORMABOT_ADMIN_IDS``,
        given to the unit of work): a link row left by someone no longer configured counts for
        nothing."""
        staff = sorted(self._tx.staff_ids)
        if not staff:
            return []
        return await self._chat_ids(and_(members.c.role == Role.STAFF.value, members.c.user_id.in_(staff)))

    async def mark_unreachable(self, chat_id: int, unreachable: bool = True) -> None:
        await self._conn.execute(
            update(members).where(members.c.chat_id == chat_id).values(unreachable=unreachable)
        )

    async def remove_person(self, user_id: int) -> list[Any]:
        """Remove every link of ``user_id`` or to their chat (``storage.privacy``); the removed
        links, oldest first: ``role``, ``organisation_id``, ``funder`` and the organisation's
        ``data`` (its name, for the report)."""
        theirs = or_(members.c.user_id == user_id, members.c.chat_id == user_id)
        rows = (
            await self._conn.execute(
                select(members.c.role, members.c.organisation_id, members.c.funder,
                       organisations.c.data)
                .select_from(
                    members.outerjoin(organisations, organisations.c.id == members.c.organisation_id)
                )
                .where(theirs)
                .order_by(members.c.id)
            )
        ).all()
        await self._conn.execute(delete(members).where(theirs))
        return list(rows)


LINK_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed by hand
LINK_CODE_LENGTH = 28  # 28 × 5 bits = 140 bits of secret (≥ 128)
LINK_CODE_VALIDITY = timedelta(days=7)
MAX_FAILED_ATTEMPTS_PER_HOUR = 5


def normalise_code(code: str) -> str:
    return re.sub(r"[\s\-_.]", "", code).upper()


def hash_code(code: str) -> str:
    """SHA-256 (hex) of the normalised code: what the database keeps."""
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def new_code() -> str:
    raw = "".join(secrets.choice(LINK_CODE_ALPHABET) for _ in range(LINK_CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, LINK_CODE_LENGTH, 4))


class SqlLinkCodeRepository(Repository):
    async def create(
        self,
        role: Role,
        *,
        organisation_id: int | None = None,
        funder: Funder | None = None,
        created_by: int | None = None,
    ) -> str:
        """A new code « ABCD-EFGH-JKLM » valid 7 days, single use; only its hash is stored."""
        target = _target(
            Membership(user_id=0, role=role, organisation_id=organisation_id, funder=funder)
        )
        now = self._now()
        code = new_code()
        await self._conn.execute(
            insert(link_codes).values(
                code_hash=hash_code(code),
                role=role.value,
                created_by=created_by,
                created_at=now,
                expires_at=now + LINK_CODE_VALIDITY,
                **target,
            )
        )
        return code

    async def redeem(self, code: str, user_id: int) -> Membership | None:
        """Use the code for ``user_id``: the link it grants, or None.

        A wrong, used or expired code is recorded as a failed attempt: commit the unit of work
        afterwards either way. After ``MAX_FAILED_ATTEMPTS_PER_HOUR`` failures within an hour,
        every code is refused (and not even looked up) until the oldest one is an hour old.
        """
        now = self._now()
        if await self.attempts_in_last_hour(user_id) >= MAX_FAILED_ATTEMPTS_PER_HOUR:
            return None
        row = (
            await self._conn.execute(
                update(link_codes)
                .where(
                    link_codes.c.code_hash == hash_code(code),
                    link_codes.c.used_at.is_(None),
                    link_codes.c.expires_at > now,
                )
                .values(used_at=now, used_by=user_id)
                .returning(link_codes.c.role, link_codes.c.organisation_id, link_codes.c.funder)
            )
        ).first()
        if row is None:
            await self._conn.execute(insert(link_attempts).values(user_id=user_id, at=now))
            return None
        return _membership(row, user_id=user_id)

    async def attempts_in_last_hour(self, user_id: int) -> int:
        since = self._now() - timedelta(hours=1)
        return (
            await self._conn.execute(
                select(func.count())
                .select_from(link_attempts)
                .where(link_attempts.c.user_id == user_id, link_attempts.c.at > since)
            )
        ).scalar_one()

    async def forget_attempts(self, user_id: int) -> int:
        """Delete the failed link attempts of ``user_id``; how many."""
        result = await self._conn.execute(
            delete(link_attempts).where(link_attempts.c.user_id == user_id)
        )
        return result.rowcount

    async def pseudonymise(self, user_id: int, pseudonym: int) -> int:
        """Replace ``user_id`` by ``pseudonym`` where it used or issued a code (a used code stays
        used); the number of codes changed."""
        codes: set[int] = set()
        for column in ("used_by", "created_by"):
            result = await self._conn.execute(
                update(link_codes)
                .where(link_codes.c[column] == user_id)
                .values({column: pseudonym})
                .returning(link_codes.c.id)
            )
            codes.update(result.scalars())
        return len(codes)
