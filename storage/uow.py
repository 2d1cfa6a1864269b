"""``SqlUnitOfWork``: one transaction on one connection, implementing ``domain.ports.UnitOfWork``
(and ``BotUnitOfWork``).

    factory = SqlUnitOfWorkFactory(engine, clock)
    async with factory(actor_user_id=user_id) as uow:
        if not await uow.mark_update_processed(update_id):
            return                       # a redelivery: leave without commit, nothing changes
        repo = uow.actions_for_organisation(org_id)
        ...
        uow.publish(*events)
        await uow.commit()               # state, aggregates, audit, outbox: all or nothing

Leaving the block without ``commit`` rolls back. At ``commit`` the published events become audit
rows (with the full action as JSON) and outbox rows (one per recipient chat), in the same
transaction. Every write of an action (``add``, ``save``, ``delete``) is noted too (by the
repositories, in the ``storage.transaction.Transaction`` they share with the unit of work): one written
without an event of its own (a saved draft, a staff correction) gets an audit row of its own
(``created``, ``saved`` with the changed fields, ``deleted``), so that each stored change of an
action has its audit row. The unit of work can be used again after ``commit`` (a new transaction begins).
"""

from __future__ import annotations

import zlib
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, date, datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.events import RECIPIENT_REASONS, Archived, Event
from domain.funders import Circuit, Funder
from domain.models import Action, Status
from domain.ports import BotUnitOfWork, Clock, DueReminder, Membership
from storage.hot_statements import HotResult, HotStatement
from storage.repositories import (
    SqlActionRepository,
    SqlAuditRepository,
    SqlConversationRepository,
    SqlJobRunRepository,
    SqlLinkCodeRepository,
    SqlMemberRepository,
    SqlOrganisationRepository,
    SqlOutboxRepository,
    SqlProcessedUpdateRepository,
    audit_values,
    load_actions_by_id,
)
from storage.repositories import action_sweeps as sweeps
from storage.sqlite_driver import offload
from storage.transaction import ActionWrite, Transaction


class UtcClock:
    """The default clock: the system time in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.now().date()


def event_discriminator(event: Event, action: Action | None) -> str:
    """What makes two events of the same kind on the same action distinct notifications: the
    event's own rule (``Event.discriminator``), given the action's stored version."""
    return event.discriminator(action.version if action is not None else None)


def _daily_lock_key(name: str) -> int:
    return 0x466F726D00000000 + zlib.crc32(name.encode())  # "Form" + crc32 of the job name


class SqlUnitOfWork(BotUnitOfWork):
    """``domain.ports.BotUnitOfWork`` on one ``Transaction``; its repositories share that
    transaction (never the unit of work itself)."""

    # SQLite: the statements every update runs go straight to the driver (``storage.hot_statements``).
    # Tests switch it off to compare both paths.
    direct_statements = True

    organisations: SqlOrganisationRepository
    conversations: SqlConversationRepository
    members: SqlMemberRepository
    link_codes: SqlLinkCodeRepository
    outbox: SqlOutboxRepository
    audit: SqlAuditRepository
    job_runs: SqlJobRunRepository

    def __init__(
        self,
        engine: AsyncEngine,
        clock: Clock | None = None,
        actor_user_id: int | None = None,
        staff_ids: Collection[int] = (),
    ) -> None:
        self._engine = engine
        self.clock: Clock = clock or UtcClock()
        self.actor_user_id = actor_user_id
        self._tx = Transaction(self.clock, staff_ids)
        self._events: list[Event] = []
        self.organisations = SqlOrganisationRepository(self._tx)
        self.conversations = SqlConversationRepository(self._tx)
        self.members = SqlMemberRepository(self._tx)
        self.link_codes = SqlLinkCodeRepository(self._tx)
        self.outbox = SqlOutboxRepository(self._tx)
        self.audit = SqlAuditRepository(self._tx)
        self.job_runs = SqlJobRunRepository(self._tx)
        self.processed_updates = SqlProcessedUpdateRepository(self._tx)

    @property
    def staff_ids(self) -> frozenset[int]:
        """The Carif-Oref staff named by the configuration (``FORMABOT_ADMIN_IDS``) now."""
        return self._tx.staff_ids

    # Transaction -------------------------------------------------------------------------------

    @property
    def connection(self) -> AsyncConnection:
        """The connection of this unit of work (its transaction begins at the first statement)."""
        return self._tx.connection

    async def __aenter__(self) -> Self:
        await self._tx.open(self._engine, direct_statements=self.direct_statements)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._events.clear()
        await self._tx.close()

    async def commit(self) -> None:
        """Write the queued events (audit + outbox), then commit everything at once."""
        if self._events or self._tx.writes:
            events, self._events = self._events, []
            writes, self._tx.writes = self._tx.writes, {}
            await self._write_events(events, writes)
        await self.connection.commit()

    async def rollback(self) -> None:
        self._events.clear()
        self._tx.writes.clear()
        await self.connection.rollback()

    async def hot(self, statement: HotStatement, params: Mapping[str, Any]) -> HotResult:
        """One of the statements every update runs (``storage.hot_statements``)."""
        return await self._tx.hot(statement, params)

    # Repositories ------------------------------------------------------------------------------

    def actions_for_organisation(self, organisation_id: int) -> SqlActionRepository:
        return SqlActionRepository(self._tx, organisation_id=organisation_id)

    def actions_for_funder(self, funder: Funder) -> SqlActionRepository:
        return SqlActionRepository(self._tx, funder=funder)

    def all_actions(self) -> SqlActionRepository:
        return SqlActionRepository(self._tx)

    async def memberships(self, user_id: int) -> list[Membership]:
        return await self.members.of_user(user_id)

    # Updates -----------------------------------------------------------------------------------

    async def is_update_processed(self, update_id: int) -> bool:
        return await self.processed_updates.is_processed(update_id)

    async def mark_update_processed(self, update_id: int) -> bool:
        """Record the update id; False if it was already, less than ``UPDATE_ID_WINDOW`` ago (a
        redelivery: change nothing). An older row is an id Telegram chose again: a new update."""
        return await self.processed_updates.mark(update_id)

    async def prune_processed_updates(self, before: datetime) -> int:
        """Delete the processed update ids recorded before ``before`` (the daily job); how many."""
        with offload(self.connection):
            return await self.processed_updates.prune(before)

    # Jobs --------------------------------------------------------------------------------------

    async def try_lock_daily_job(self, name: str = "daily") -> bool:
        """PostgreSQL: a transaction-scoped advisory lock (one process runs the job, released at
        commit/rollback). SQLite: always True (its write lock already serialises processes)."""
        if self.connection.dialect.name != "postgresql":
            return True
        result = await self.connection.execute(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _daily_lock_key(name)}
        )
        return bool(result.scalar())

    async def archive_sweep(self, today: date, limit: int | None = None) -> list[int]:
        """Archive the published actions whose date has come (at most ``limit``); publishes one
        ARCHIVED event each."""
        with offload(self.connection):
            archived = await sweeps.archive_sweep_rows(self.connection, today, self.clock.now(), limit)
        self.publish(
            *(
                Archived(a.id, a.organisation_id, archived_on=today)
                for a in archived
            )
        )
        return [a.id for a in archived]

    async def reminders_due(
        self, today: date, days: Sequence[int], limit: int | None = None
    ) -> list[DueReminder]:
        with offload(self.connection):
            return await sweeps.reminders_due(self.connection, today, days, limit)

    async def counts_by_status(self, organisation_id: int) -> dict[Status, int]:
        return await sweeps.counts_by_status(self.connection, organisation_id)

    # Events ------------------------------------------------------------------------------------

    def publish(self, *events: Event) -> None:
        self._events.extend(events)

    async def _write_events(
        self, events: Sequence[Event],
        writes: Mapping[int, ActionWrite] | None = None,
    ) -> None:
        now = self.clock.now()
        writes = writes or {}
        loaded = await load_actions_by_id(
            self.connection,
            [*(e.action_id for e in events if e.action_id is not None), *writes],
        )
        audit_rows: list[dict[str, Any]] = []
        # A write whose action has an event of its own is audited by that event's row.
        with_event = {e.action_id for e in events}
        for action_id, (organisation_id, kind, details) in writes.items():
            if action_id in with_event:
                continue
            audit_rows.append(
                audit_values(self.actor_user_id, loaded.get(action_id), kind, details, now,
                             action_id=action_id, organisation_id=organisation_id)
            )
        outbox_rows: list[dict[str, Any]] = []
        recipients_cache: dict[tuple[str, Any], list[int]] = {}
        # The person who just did the thing saw it on their screen: no notice of it for them.
        actor_chats = (
            await self.members.chat_ids_of_user(self.actor_user_id) if self.actor_user_id is not None else set()
        )
        for event in events:
            action = loaded.get(event.action_id) if event.action_id is not None else None
            audit_rows.append(
                audit_values(
                    self.actor_user_id, action, event.kind.value, event.payload or None,
                    now, action_id=event.action_id, organisation_id=event.organisation_id,
                )
            )
            discriminator = event_discriminator(event, action)
            payload = _notification_payload(event, action)
            for chat_id, reasons in (await self._recipients(event, action, recipients_cache)).items():
                if chat_id in actor_chats:
                    continue
                outbox_rows.append(
                    {
                        "kind": event.kind.value,
                        "chat_id": chat_id,
                        # Why this chat is told ("organisation", "staff", "funder"): the delivery
                        # sends it only if one of these links still holds then.
                        "payload": {**payload, RECIPIENT_REASONS: reasons},
                        "idempotency_key": (
                            f"{event.kind.value}:{event.action_id}:{discriminator}:{chat_id}"
                        ),
                    }
                )
        await self.audit.record_many(audit_rows)
        await self.outbox.enqueue_many(outbox_rows)

    async def _recipients(
        self, event: Event, action: Action | None, cache: dict[tuple[str, Any], list[int]]
    ) -> dict[int, list[str]]:
        """Each recipient chat, with the audiences that include it (the event's ``audience``)."""
        audience = event.audience
        wanted: list[tuple[str, Any]] = []
        if audience.organisation:
            wanted.append(("organisation", event.organisation_id))
        if audience.staff:
            wanted.append(("staff", None))
        if audience.funder_validators and action is not None and action.funder.circuit is Circuit.VALIDATORS:
            wanted.append(("funder", action.funder))
        chats: dict[int, list[str]] = {}
        for key in wanted:
            if key not in cache:
                kind, value = key
                if kind == "organisation":
                    cache[key] = await self.members.chat_ids_of_organisation(value)
                elif kind == "staff":  # the staff configured now (``self.staff_ids``)
                    cache[key] = await self.members.chat_ids_of_staff()
                else:
                    cache[key] = await self.members.chat_ids_of_funder(value)
            for chat in cache[key]:
                chats.setdefault(chat, []).append(key[0])
        return chats




def _notification_payload(event: Event, action: Action | None) -> dict[str, Any]:
    """What the delivery needs to word the message without reading the action again."""
    payload: dict[str, Any] = {
        "kind": event.kind.value,
        "action_id": event.action_id,
        "organisation_id": event.organisation_id,
        "event": event.payload,
    }
    if action is not None:
        payload.update(
            reference=action.reference,
            reference_carif=action.reference_carif,
            reference_ofaa=action.reference_ofaa,
            intitule=action.intitule,
            funder=action.funder.value,
            status=action.status.value,
            version=action.version,
        )
    return payload


class SqlUnitOfWorkFactory:
    """``factory()`` → a new ``SqlUnitOfWork`` on the engine (each one a transaction)."""

    def __init__(
        self, engine: AsyncEngine, clock: Clock | None = None, *, staff_ids: Collection[int] = ()
    ) -> None:
        self.engine = engine
        self.clock: Clock = clock or UtcClock()
        self.staff_ids = frozenset(staff_ids)  # FORMABOT_ADMIN_IDS

    def __call__(self, actor_user_id: int | None = None) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, self.clock, actor_user_id, self.staff_ids)
