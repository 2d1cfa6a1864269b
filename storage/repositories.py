"""The repositories of ``domain.ports``, on SQLAlchemy Core statements inside one unit of work.

Each repository works on the unit of work's connection (its transaction). Action repositories are
scoped: the scope's condition is part of every statement, so an action outside it behaves as if it
did not exist (``get`` → None, ``save`` → ``StaleVersion``, ``delete`` → nothing).

The organisation's scope also enforces the lifecycle: ``add``, ``save`` and ``delete`` compare the
write with the stored row, in the same transaction, and refuse (``ChangeNotAllowed``) whatever
``domain.lifecycle.organisation_change_refusal`` does not allow, so that no screen can store it.
Every write of an action is noted in the unit of work, which gives it an audit row at commit.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from domain import lifecycle
from domain.errors import ChangeNotAllowed, StaleVersion
from domain.funders import Funder
from domain.models import Action, Organisation, Status
from domain.ports import AuditEntry, ConversationState, Membership, OutboxMessage, Role
from storage import mapping
from storage.hot_statements import HotStatement
from storage.tables import (
    actions,
    audit,
    conversations,
    documents,
    job_runs,
    link_attempts,
    link_codes,
    members,
    organisations,
    outbox,
    sessions,
)

if TYPE_CHECKING:
    from storage.uow import SqlUnitOfWork

# Lists of ids go to ``IN (…)`` in chunks (SQLite's limit on bound parameters).
CHUNK = 500


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# Statements run often are built once, with named parameters: on SQLite, building a statement and
# computing its cache key cost more than running it.
_ORGANISATION_BY_ID = select(organisations).where(organisations.c.id == bindparam("p_id"))
# Run for every update (``storage.hot_statements``: straight on the driver on SQLite).
CONVERSATION_BY_CHAT = HotStatement(lambda _dialect: select(conversations.c.data, conversations.c.version).where(
    conversations.c.chat_id == bindparam("p_chat_id")
))
CONVERSATION_SWAP = HotStatement(lambda _dialect: (
    update(conversations)
    .where(
        conversations.c.chat_id == bindparam("p_chat_id"),
        conversations.c.version == bindparam("p_version"),
    )
    .values(
        data=bindparam("p_data"),
        user_id=bindparam("p_user_id"),
        version=bindparam("p_new_version"),
        updated_at=bindparam("p_now"),
    )
))
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


def upsert_ignore(conn: AsyncConnection | Dialect, table: Table, conflict: Sequence[str]) -> Any:
    """``INSERT … ON CONFLICT (conflict) DO NOTHING`` for the connection's (or a) dialect."""
    dialect = conn.dialect if isinstance(conn, AsyncConnection) else conn
    dialect_insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
    return dialect_insert(table).on_conflict_do_nothing(index_elements=list(conflict))


def dialect_insert(conn: AsyncConnection, table: Table) -> Any:
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


class _Repository:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    @property
    def _conn(self) -> AsyncConnection:
        return self._uow.connection

    def _now(self) -> datetime:
        return self._uow.clock.now()


# Actions ------------------------------------------------------------------------------------------


class SqlActionRepository(_Repository):
    """Actions of one scope: an organisation, a funder (read + save), or all (staff)."""

    def __init__(
        self,
        uow: SqlUnitOfWork,
        *,
        organisation_id: int | None = None,
        funder: Funder | None = None,
    ) -> None:
        super().__init__(uow)
        if organisation_id is not None and funder is not None:
            raise ValueError("a scope is an organisation or a funder, not both")
        self.organisation_id = organisation_id
        self.funder = funder

    def _scope(self) -> ColumnElement[bool]:
        if self.organisation_id is not None:
            return actions.c.organisation_id == self.organisation_id
        if self.funder is not None:
            # A validator sees what was proposed to the funder, never an organisation's work in
            # progress (a draft, or an action sent back to it for correction).
            return and_(
                actions.c.funder == self.funder.value,
                actions.c.status.not_in((Status.DRAFT.value, Status.RETURNED.value)),
            )
        return true()

    async def _load(self, where: ColumnElement[bool], *, order: bool = False,
                    offset: int = 0, limit: int | None = None) -> list[Action]:
        stmt = select(actions).where(where, self._scope())
        if order:
            stmt = stmt.order_by(actions.c.id.desc()).offset(offset).limit(limit)
        rows = (await self._conn.execute(stmt)).mappings().all()
        return await load_actions_with_sessions(self._conn, rows)

    async def get(self, action_id: int) -> Action | None:
        found = await self._load(actions.c.id == action_id)
        return found[0] if found else None

    async def by_reference(self, reference: str) -> Action | None:
        """By formabot reference (« FB-000042 », any case) or Carif-Oref reference."""
        ref = reference.strip()
        if not ref:
            return None
        found = await self._load(
            or_(actions.c.reference == ref.upper(), actions.c.reference_carif == ref)
        )
        return found[0] if found else None

    async def list(
        self, status: Status | None = None, *, offset: int = 0, limit: int = 50
    ) -> list[Action]:
        """Newest first."""
        where = true() if status is None else actions.c.status == status.value
        return await self._load(where, order=True, offset=offset, limit=limit)

    async def counts(self) -> dict[Status, int]:
        """Number of actions per status (statuses without any action are absent)."""
        stmt = (
            select(actions.c.status, func.count())
            .where(self._scope())
            .group_by(actions.c.status)
        )
        result = await self._conn.execute(stmt)
        return {Status(status): count for status, count in result.all()}

    async def add(self, action: Action) -> Action:
        """Insert a new action: assigns ``id``, ``reference`` (« FB-000042 ») and timestamps.

        The given object is updated in place and returned.
        """
        if self.funder is not None:
            raise PermissionError("a funder's validators cannot create actions")
        if self.organisation_id is not None and action.organisation_id != self.organisation_id:
            raise PermissionError("the action belongs to another organisation")
        if self.organisation_id is not None:
            lifecycle.ensure_organisation_may_store(None, action, self._uow.clock.today())
        now = self._now()
        action.created_at = action.created_at or now
        action.updated_at = now
        action.reference = None
        values = mapping.action_values(action)
        del values["id"]
        new_id = (
            await self._conn.execute(insert(actions).values(values).returning(actions.c.id))
        ).scalar_one()
        reference = f"FB-{new_id:06d}"
        await self._conn.execute(
            update(actions).where(actions.c.id == new_id).values(reference=reference)
        )
        action.id = new_id
        action.reference = reference
        await self._write_sessions(action, previous=set())
        await self._sync_documents(action, now)
        self._uow.note_action_write(new_id, action.organisation_id, "created")
        return action

    async def save(self, action: Action) -> Action:
        """Store a changed action if its ``version`` is current; bumps it (in place) and returns it.

        Raises ``StaleVersion`` when someone saved first, or when the action is not in the scope.
        Sessions are replaced in the same transaction; the computed dates are recomputed.
        """
        if action.id is None:
            raise ValueError("save() needs an action that was added")
        if self.funder is not None and action.funder is not self.funder:
            raise StaleVersion()
        changed: tuple[str, ...] = ()
        if self.organisation_id is not None:
            stored = await self.get(action.id)
            if stored is None or stored.version != action.version:
                raise StaleVersion()
            lifecycle.ensure_organisation_may_store(stored, action, self._uow.clock.today())
            changed = lifecycle.changes(stored, action)
        now = self._now()
        values = mapping.action_values(action)
        for name in ("id", "organisation_id", "reference", "created_at", "version"):
            del values[name]
        values["updated_at"] = now
        values["version"] = action.version + 1
        result = await self._conn.execute(
            update(actions)
            .where(
                actions.c.id == action.id,
                actions.c.version == action.version,
                self._scope(),
            )
            .values(values)
        )
        if result.rowcount != 1:
            raise StaleVersion()
        previous = set(
            (
                await self._conn.execute(
                    select(sessions.c.id).where(sessions.c.action_id == action.id)
                )
            ).scalars()
        )
        await self._conn.execute(delete(sessions).where(sessions.c.action_id == action.id))
        action.version += 1
        action.updated_at = now
        await self._write_sessions(action, previous=previous)
        await self._sync_documents(action, now)
        self._uow.note_action_write(
            action.id, action.organisation_id, "saved", {"changed": list(changed)} if changed else None
        )
        return action

    async def delete(self, action_id: int) -> None:
        """Delete the action and its sessions and documents (its audit trail stays)."""
        if self.funder is not None:
            raise PermissionError("a funder's validators cannot delete actions")
        stored = await self.get(action_id)
        if stored is None:
            return
        if self.organisation_id is not None:
            reason = lifecycle.refusal(stored, lifecycle.Operation.DELETE)
            if reason is not None:
                raise ChangeNotAllowed(reason, ("deleted",))
        result = await self._conn.execute(
            delete(actions).where(actions.c.id == action_id, self._scope())
        )
        if result.rowcount:
            self._uow.note_action_write(action_id, stored.organisation_id, "deleted",
                                        {"reference": stored.reference})

    async def _write_sessions(self, action: Action, previous: set[int]) -> None:
        """Insert the sessions; a session keeps its id if it was one of this action's."""
        assert action.id is not None
        kept = []
        for position, session in enumerate(action.sessions):
            if session.id is not None and session.id in previous:
                kept.append(mapping.session_values(session, action.id, position))
        if kept:
            await self._conn.execute(insert(sessions), kept)
        for position, session in enumerate(action.sessions):
            if session.id is not None and session.id in previous:
                continue
            values = mapping.session_values(session, action.id, position)
            del values["id"]
            session.id = (
                await self._conn.execute(
                    insert(sessions).values(values).returning(sessions.c.id)
                )
            ).scalar_one()

    async def _sync_documents(self, action: Action, now: datetime) -> None:
        document = action.justificatif
        if document is None or action.id is None:
            return
        stmt = upsert_ignore(self._conn, documents, ("action_id", "file_id")).values(
            action_id=action.id,
            file_id=document.file_id,
            name=document.file_name,
            mime=document.mime_type,
            size=document.size,
            received_at=now,
        )
        await self._conn.execute(stmt)


async def load_actions_with_sessions(
    conn: AsyncConnection, rows: Sequence[Any]
) -> list[Action]:
    """Actions of ``actions`` rows (mappings), with their sessions loaded in one query per chunk."""
    ids = [row["id"] for row in rows]
    by_action: dict[int, list[Any]] = {i: [] for i in ids}
    for chunk in chunks(ids):
        result = await conn.execute(
            select(sessions)
            .where(sessions.c.action_id.in_(chunk))
            .order_by(sessions.c.action_id, sessions.c.position, sessions.c.id)
        )
        for srow in result.mappings():
            by_action[srow["action_id"]].append(srow)
    return [mapping.load_action(row, by_action[row["id"]]) for row in rows]


async def load_actions_by_id(conn: AsyncConnection, ids: Iterable[int]) -> dict[int, Action]:
    """Actions by id, unscoped (the unit of work's own use: audit snapshots, notifications)."""
    wanted = sorted(set(ids))
    found: dict[int, Action] = {}
    for chunk in chunks(wanted):
        rows = (
            await conn.execute(select(actions).where(actions.c.id.in_(chunk)))
        ).mappings().all()
        for action in await load_actions_with_sessions(conn, rows):
            assert action.id is not None
            found[action.id] = action
    return found


# Organisations ------------------------------------------------------------------------------------


class SqlOrganisationRepository(_Repository):
    async def get(self, organisation_id: int) -> Organisation | None:
        row = (
            await self._conn.execute(_ORGANISATION_BY_ID, {"p_id": organisation_id})
        ).mappings().first()
        return None if row is None else mapping.load_organisation(row)

    async def by_siret(self, siret: str) -> Organisation | None:
        row = (
            await self._conn.execute(
                select(organisations)
                .where(organisations.c.siret == siret.replace(" ", ""))
                .order_by(organisations.c.id)
            )
        ).mappings().first()
        return None if row is None else mapping.load_organisation(row)

    async def add(self, organisation: Organisation) -> Organisation:
        """Insert; assigns ``id`` (in place) and returns the organisation."""
        now = self._now()
        values = mapping.organisation_values(organisation)
        del values["id"]
        values.update(created_at=now, updated_at=now)
        organisation.id = (
            await self._conn.execute(
                insert(organisations).values(values).returning(organisations.c.id)
            )
        ).scalar_one()
        return organisation

    async def save(self, organisation: Organisation) -> Organisation:
        """Store a changed fiche if its ``version`` is current; bumps it (in place) and returns it.

        Raises ``StaleVersion`` when someone saved first (the caller reloads and merges), and
        ``LookupError`` when the organisation does not exist.
        """
        if organisation.id is None:
            raise ValueError("save() needs an organisation that was added")
        values = mapping.organisation_values(organisation)
        del values["id"]
        values["updated_at"] = self._now()
        values["version"] = organisation.version + 1
        result = await self._conn.execute(
            update(organisations)
            .where(organisations.c.id == organisation.id, organisations.c.version == organisation.version)
            .values(values)
        )
        if result.rowcount != 1:
            exists = (
                await self._conn.execute(select(organisations.c.id).where(organisations.c.id == organisation.id))
            ).first()
            if exists is None:
                raise LookupError(f"no organisation {organisation.id}")
            raise StaleVersion()
        organisation.version += 1
        return organisation


# Conversations ------------------------------------------------------------------------------------


class SqlConversationRepository(_Repository):
    async def load(self, chat_id: int) -> ConversationState:
        """The chat's state; a chat never seen gets an empty state at version 0."""
        row = (await self._uow.hot(CONVERSATION_BY_CHAT, {"p_chat_id": chat_id})).first()
        if row is None:
            return ConversationState(chat_id=chat_id)
        return ConversationState(chat_id=chat_id, data=dict(row.data or {}), version=row.version)

    async def save(self, state: ConversationState) -> ConversationState:
        """Compare-and-swap: version 0 inserts, otherwise ``UPDATE … WHERE version = ?``.

        Raises ``StaleVersion`` when another writer got there first (also for a concurrent first
        insert). On success ``state.version`` is incremented in place and the state returned.
        """
        now = self._now()
        user_id = state.data.get("user_id")
        user_id = user_id if isinstance(user_id, int) else state.chat_id
        if state.version == 0:
            stmt = (
                upsert_ignore(self._conn, conversations, ("chat_id",))
                .values(chat_id=state.chat_id, user_id=user_id, data=state.data, version=1,
                        updated_at=now)
                .returning(conversations.c.chat_id)
            )
            written = (await self._conn.execute(stmt)).first() is not None
        else:
            result = await self._uow.hot(
                CONVERSATION_SWAP,
                {
                    "p_chat_id": state.chat_id,
                    "p_version": state.version,
                    "p_data": state.data,
                    "p_user_id": user_id,
                    "p_new_version": state.version + 1,
                    "p_now": now,
                },
            )
            written = result.rowcount == 1
        if not written:
            raise StaleVersion()
        state.version += 1
        return state


# Members and link codes ---------------------------------------------------------------------------


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


class SqlMemberRepository(_Repository):
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
        result = await self._uow.hot(MEMBERSHIPS_OF_USER, {"p_user_id": user_id})
        return [_membership(row) for row in result.rows]

    async def of_user_in_chat(self, user_id: int, chat_id: int) -> list[Membership]:
        """The user's links, read as they write from ``chat_id``: a chat that writes can be
        written to, so if its links were marked unreachable (a 403 earlier: the user had blocked
        the bot) they are reachable again. The flag comes with the links; the update runs only
        when it is set."""
        result = await self._uow.hot(MEMBERSHIPS_OF_USER, {"p_user_id": user_id})
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
        staff = sorted(self._uow.staff_ids)
        if not staff:
            return []
        return await self._chat_ids(and_(members.c.role == Role.STAFF.value, members.c.user_id.in_(staff)))

    async def mark_unreachable(self, chat_id: int, unreachable: bool = True) -> None:
        await self._conn.execute(
            update(members).where(members.c.chat_id == chat_id).values(unreachable=unreachable)
        )


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


class SqlLinkCodeRepository(_Repository):
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


# Outbox, audit, job runs --------------------------------------------------------------------------

OUTBOX_LEASE = timedelta(minutes=2)


class SqlOutboxRepository(_Repository):
    async def enqueue(
        self, kind: str, chat_id: int, payload: dict[str, Any], idempotency_key: str
    ) -> bool:
        now = self._now()
        stmt = (
            upsert_ignore(self._conn, outbox, ("idempotency_key",))
            .values(
                kind=kind,
                chat_id=chat_id,
                payload=payload,
                idempotency_key=idempotency_key,
                status="pending",
                attempts=0,
                created_at=now,
                next_attempt_at=now,
            )
            .returning(outbox.c.id)
        )
        return (await self._conn.execute(stmt)).first() is not None

    async def enqueue_many(self, rows: Sequence[dict[str, Any]]) -> int:
        """Queue messages (dicts with kind, chat_id, payload, idempotency_key); returns how many
        were new."""
        now = self._now()
        added = 0
        for chunk in chunks(list(rows), 200):
            values = [
                {**row, "status": "pending", "attempts": 0, "created_at": now,
                 "next_attempt_at": now}
                for row in chunk
            ]
            stmt = upsert_ignore(self._conn, outbox, ("idempotency_key",)).values(values)
            result = await self._conn.execute(stmt.returning(outbox.c.id))
            added += len(result.all())
        return added

    async def claim(
        self, batch: int, now: datetime, lease: timedelta = OUTBOX_LEASE
    ) -> list[OutboxMessage]:
        """Take up to ``batch`` due messages, oldest first, and lease them until ``now + lease``.

        PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so concurrent claimers get distinct rows; SQLite:
        the unit of work holds the write lock. The lease lets the caller commit before sending:
        a message neither marked sent nor failed is claimed again once the lease is over.
        """
        stmt = (
            select(outbox.c.id, outbox.c.kind, outbox.c.chat_id, outbox.c.payload,
                   outbox.c.attempts)
            .where(outbox.c.status.in_(("pending", "failed")), outbox.c.next_attempt_at <= now)
            .order_by(outbox.c.next_attempt_at, outbox.c.id)
            .limit(batch)
        )
        if self._conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        rows = (await self._conn.execute(stmt)).all()
        if not rows:
            return []
        await self._conn.execute(
            update(outbox)
            .where(outbox.c.id.in_([r.id for r in rows]))
            .values(attempts=outbox.c.attempts + 1, next_attempt_at=now + lease)
        )
        return [
            OutboxMessage(id=r.id, kind=r.kind, chat_id=r.chat_id, payload=dict(r.payload),
                          attempts=r.attempts + 1)
            for r in rows
        ]

    async def mark_sent(self, message_id: int, now: datetime) -> None:
        await self._conn.execute(
            update(outbox).where(outbox.c.id == message_id)
            .values(status="sent", sent_at=now, last_error=None)
        )

    async def mark_failed(self, message_id: int, error: str, retry_at: datetime) -> None:
        await self._conn.execute(
            update(outbox).where(outbox.c.id == message_id)
            .values(status="failed", next_attempt_at=retry_at, last_error=error[:2000])
        )

    async def mark_dead(self, message_id: int, error: str) -> None:
        await self._conn.execute(
            update(outbox).where(outbox.c.id == message_id)
            .values(status="dead", last_error=error[:2000])
        )

    async def count(self, status: str | None = None) -> int:
        stmt = select(func.count()).select_from(outbox)
        if status is not None:
            stmt = stmt.where(outbox.c.status == status)
        return (await self._conn.execute(stmt)).scalar_one()


class SqlAuditRepository(_Repository):
    async def record(
        self,
        actor_user_id: int | None,
        action: Action,
        kind: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Append the full action (JSON snapshot) to its history."""
        await self.record_many([audit_values(actor_user_id, action, kind, details, self._now())])

    async def record_many(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            await self._conn.execute(insert(audit), list(rows))

    async def history(self, action_id: int) -> list[AuditEntry]:
        """Oldest first."""
        result = await self._conn.execute(
            select(audit).where(audit.c.action_id == action_id).order_by(audit.c.id)
        )
        return [
            AuditEntry(
                id=r.id, at=r.at, actor_user_id=r.actor_user_id, action_id=r.action_id,
                kind=r.kind, version=r.version, snapshot=r.snapshot, details=r.details,
            )
            for r in result
        ]


def audit_values(
    actor_user_id: int | None,
    action: Action | None,
    kind: str,
    details: dict[str, Any] | None,
    now: datetime,
    *,
    action_id: int | None = None,
    organisation_id: int | None = None,
) -> dict[str, Any]:
    return {
        "at": now,
        "actor_user_id": actor_user_id,
        "action_id": action.id if action is not None else action_id,
        "organisation_id": action.organisation_id if action is not None else organisation_id,
        "kind": str(kind),
        "version": action.version if action is not None else None,
        "snapshot": mapping.action_snapshot(action) if action is not None else None,
        "details": details or None,
    }


class SqlJobRunRepository(_Repository):
    async def last_run(self, name: str) -> date | None:
        return (
            await self._conn.execute(select(job_runs.c.last_run).where(job_runs.c.name == name))
        ).scalar()

    async def record_run(self, name: str, day: date) -> None:
        now = self._now()
        stmt = dialect_insert(self._conn, job_runs).values(name=name, last_run=day, updated_at=now)
        stmt = stmt.on_conflict_do_update(
            index_elements=["name"], set_={"last_run": day, "updated_at": now}
        )
        await self._conn.execute(stmt)
