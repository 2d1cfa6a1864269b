"""Forgetting a person (GDPR right to erasure): ``forget_user(uow, telegram_id)``.

What identifies a person in formabot is their Telegram user id (their private chat has the same
id). Forgetting them, in the caller's unit of work (all or nothing, at its commit):

- removes every link of theirs (``members``: organisation memberships, validator, staff), so the
  bot treats them as an unknown user again;
- removes their conversation state (``conversations`` whose chat or user is theirs, with any
  unsaved answers of a form in progress), their failed link attempts (``link_attempts``) and the
  notifications addressed to their chat (``outbox``, sent or not: their idempotency keys hold the
  chat id);
- replaces their id by a pseudonym where a record must stay: the audit trail (``actor_user_id``,
  the only change migration 0002 lets through its append-only trigger) and the link codes they
  used or issued (``used_by``, ``created_by``: a used code stays used);
- keeps the organisations, their actions, sessions, documents and the history of those actions.

The pseudonym is a random negative number, one per call: every record of the person keeps
pointing to the same (now anonymous) actor, but no key, table or hash leads back to the Telegram
id. Telegram user ids are positive, so a pseudonym is never mistaken for one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from storage.uow import SqlUnitOfWork

PSEUDONYM_RANGE = 2**62


@dataclass(frozen=True, slots=True)
class RemovedLink:
    """One link that was removed: a member of an organisation, a funder's validator, or staff."""

    role: str
    organisation_id: int | None = None
    organisation_name: str | None = None
    funder: str | None = None


@dataclass(frozen=True, slots=True)
class ForgetReport:
    user_id: int
    pseudonym: int
    links: tuple[RemovedLink, ...]
    conversations: int
    link_attempts: int
    notifications: int
    link_codes: int  # link codes whose ``used_by``/``created_by`` now hold the pseudonym
    audit_rows: int  # audit rows whose ``actor_user_id`` now holds the pseudonym
    kept_actions: int  # actions of the organisations the person was linked to: all kept

    @property
    def found(self) -> bool:
        """Whether anything of this person was in the database."""
        return bool(
            self.links or self.conversations or self.link_attempts or self.notifications
            or self.link_codes or self.audit_rows
        )


def new_pseudonym() -> int:
    """A random negative id (never a Telegram user id, which are positive)."""
    return -(secrets.randbelow(PSEUDONYM_RANGE) + 1)


async def forget_user(uow: SqlUnitOfWork, user_id: int) -> ForgetReport:
    """Erase ``user_id`` as described in the module docstring; the caller commits. Every write
    goes through the unit of work's repositories."""
    if user_id <= 0:
        raise ValueError("a Telegram user id is a positive number")
    pseudonym = new_pseudonym()

    links = tuple(
        RemovedLink(
            role=row.role,
            organisation_id=row.organisation_id,
            organisation_name=_organisation_name(row.data),
            funder=row.funder,
        )
        for row in await uow.members.remove_person(user_id)
    )
    organisation_ids = sorted({link.organisation_id for link in links if link.organisation_id is not None})
    kept_actions = 0
    for organisation_id in organisation_ids:
        kept_actions += sum((await uow.actions_for_organisation(organisation_id).counts()).values())

    return ForgetReport(
        user_id=user_id,
        pseudonym=pseudonym,
        links=links,
        conversations=await uow.conversations.forget(user_id),
        link_attempts=await uow.link_codes.forget_attempts(user_id),
        notifications=await uow.outbox.forget_chat(user_id),
        link_codes=await uow.link_codes.pseudonymise(user_id, pseudonym),
        audit_rows=await uow.audit.pseudonymise(user_id, pseudonym),
        kept_actions=kept_actions,
    )


def _organisation_name(data: object) -> str | None:
    if not isinstance(data, dict):
        return None
    name = data.get("nom_organisme") or data.get("raison_sociale")
    return name if isinstance(name, str) else None
