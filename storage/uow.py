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
transaction. Every write of an action (``add``, ``save``, ``delete``) is noted too: one written
without an event of its own (a saved draft, a staff correction) gets an audit row of its own
(``created``, ``saved`` with the changed fields, ``deleted``), so that each stored change of an
action has its audit row. The unit of work can be used again after ``commit`` (a new transaction begins).
"""

from __future__ import annotations

import asyncio
import weakref
import zlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import TracebackType
from typing import Any, Self

from sqlalchemy import bindparam, delete, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.events import Event, EventKind
from domain.funders import Circuit, Funder
from domain.models import Action, Status
from domain.ports import Clock, Membership
from storage import hot_statements, sweeps
from storage.hot_statements import HotResult, HotStatement, inline_driver
from storage.repositories import (
    SqlActionRepository,
    SqlAuditRepository,
    SqlConversationRepository,
    SqlJobRunRepository,
    SqlLinkCodeRepository,
    SqlMemberRepository,
    SqlOrganisationRepository,
    SqlOutboxRepository,
    audit_values,
    load_actions_by_id,
)
from storage.sqlite_driver import OneTripConnection
from storage.tables import processed_updates


class UtcClock:
    """The default clock: the system time in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.now().date()


@dataclass(frozen=True, slots=True)
class Audience:
    """Who is told of an event besides the organisation's members."""

    organisation: bool = True
    staff: bool = False
    funder_validators: bool = False


# Who receives which event (RULES.md « Notifications »). Kinds not listed: the organisation only.
EVENT_AUDIENCE: dict[EventKind, Audience] = {
    EventKind.CONFIRMED: Audience(organisation=True, staff=True, funder_validators=True),
    EventKind.JUSTIFICATION_RECEIVED: Audience(organisation=True, staff=True),
    EventKind.EXPORT_LEFT_OUT: Audience(organisation=False, staff=True),
}


def event_discriminator(event: Event, action: Action | None) -> str:
    """What makes two events of the same kind on the same action distinct notifications.

    An explicit ``payload["discriminator"]`` wins; a reminder is told once per level
    (and archiving date, when the payload has it); otherwise the action's stored version (each
    transition saves a new version), with the session number for a dates change.
    """
    payload = event.payload
    if "discriminator" in payload:
        return payload["discriminator"]
    if event.kind is EventKind.REMINDER:  # once per level (older rows: days was the level)
        days = payload.get("level", payload.get("days", ""))
        return f"{days}d@{payload['archive_on']}" if "archive_on" in payload else f"{days}d"
    base = f"v{action.version}" if action is not None else "-"
    if event.kind is EventKind.SESSION_DATES_CHANGED and "session" in payload:
        base += f"s{payload['session']}"
    return base


def _daily_lock_key(name: str) -> int:
    return 0x466F726D00000000 + zlib.crc32(name.encode())  # "Form" + crc32 of the job name


# SQLite has one writer at a time and every unit of work takes the write lock (BEGIN IMMEDIATE).
# Within one process, units of work queue on an asyncio lock instead of in SQLite's busy handler,
# which sleeps by steps of up to 100 ms: under load that sleeping, not the work, made the latency.
# Other processes on the same file still meet in SQLite's busy timeout.
_WRITER_LOCKS: weakref.WeakKeyDictionary[AsyncEngine, asyncio.Lock] = weakref.WeakKeyDictionary()
WRITER_WAIT = 60.0  # seconds; beyond, the caller gets TimeoutError (the chat keeps the answer pending)


def writer_lock(engine: AsyncEngine) -> asyncio.Lock | None:
    if engine.dialect.name != "sqlite":
        return None
    lock = _WRITER_LOCKS.get(engine)
    if lock is None:
        lock = _WRITER_LOCKS[engine] = asyncio.Lock()
    return lock


# A stored id counts as a duplicate only while it is recent: Telegram redelivers within 24 hours,
# and after a week without updates it may restart its ids at random, in the stored range. An id
# stored before ``p_since`` is taken as a new update (its row gets the new time). Dedup is by
# exact id, never by "at most the highest id seen".
UPDATE_ID_WINDOW = timedelta(days=7)


def _mark_update(dialect: Any) -> Any:
    insert = (postgresql.insert if dialect.name == "postgresql" else sqlite.insert)(processed_updates)
    return (
        insert.values(update_id=bindparam("p_update_id"), processed_at=bindparam("p_now"))
        .on_conflict_do_update(
            index_elements=[processed_updates.c.update_id],
            set_={"processed_at": insert.excluded.processed_at},
            where=processed_updates.c.processed_at < bindparam("p_since"),
        )
        .returning(processed_updates.c.update_id)
    )


MARK_UPDATE = HotStatement(_mark_update)


class SqlUnitOfWork:
    # SQLite: the statements every update runs go straight to the driver (``storage.hot_statements``).
    # Tests switch it off to compare both paths.
    direct_statements = True

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
        # The Carif-Oref staff named by the configuration (``FORMABOT_ADMIN_IDS``) now: the only
        # ones told of staff events, whatever staff link rows the table still holds.
        self.staff_ids: frozenset[int] = frozenset(staff_ids)
        self._connection: AsyncConnection | None = None
        self._writer: asyncio.Lock | None = None
        self._driver: OneTripConnection | None = None  # SQLite: hot statements run inline on it
        self._events: list[Event] = []
        # Actions written in this transaction: id → (organisation id, kind, details).
        self._writes: dict[int, tuple[int | None, str, dict[str, Any] | None]] = {}
        self.organisations = SqlOrganisationRepository(self)
        self.conversations = SqlConversationRepository(self)
        self.members = SqlMemberRepository(self)
        self.link_codes = SqlLinkCodeRepository(self)
        self.outbox = SqlOutboxRepository(self)
        self.audit = SqlAuditRepository(self)
        self.job_runs = SqlJobRunRepository(self)

    # Transaction -------------------------------------------------------------------------------

    @property
    def connection(self) -> AsyncConnection:
        """The connection of this unit of work (its transaction begins at the first statement)."""
        if self._connection is None:
            raise RuntimeError("use the unit of work in `async with`")
        return self._connection

    async def __aenter__(self) -> Self:
        if self._connection is not None:
            raise RuntimeError("a unit of work is entered once")
        self._writer = writer_lock(self._engine)
        if self._writer is not None:
            try:
                if self._writer.locked():
                    await asyncio.wait_for(self._writer.acquire(), WRITER_WAIT)
                else:
                    await self._writer.acquire()  # free: taken at once (no timeout task needed)
            except TimeoutError:
                self._writer = None
                raise
        try:
            self._connection = await self._engine.connect()
        except BaseException:
            self._release_writer()
            raise
        self._driver = inline_driver(self._connection) if self.direct_statements else None
        return self

    def _release_writer(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.release()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection, self._connection = self._connection, None
        self._events.clear()
        self._writes.clear()
        try:
            if connection is None:
                return
            try:
                if connection.in_transaction():
                    await connection.rollback()
            finally:
                await connection.close()
        finally:
            self._release_writer()

    async def commit(self) -> None:
        """Write the queued events (audit + outbox), then commit everything at once."""
        if self._events or self._writes:
            events, self._events = self._events, []
            writes, self._writes = self._writes, {}
            await self._write_events(events, writes)
        await self.connection.commit()

    async def rollback(self) -> None:
        self._events.clear()
        self._writes.clear()
        await self.connection.rollback()

    async def hot(self, statement: HotStatement, params: Mapping[str, Any]) -> HotResult:
        """One of the statements every update runs (``storage.hot_statements``)."""
        return await hot_statements.run(self.connection, self._driver, statement, params)

    # Repositories ------------------------------------------------------------------------------

    def actions_for_organisation(self, organisation_id: int) -> SqlActionRepository:
        return SqlActionRepository(self, organisation_id=organisation_id)

    def actions_for_funder(self, funder: Funder) -> SqlActionRepository:
        return SqlActionRepository(self, funder=funder)

    def all_actions(self) -> SqlActionRepository:
        return SqlActionRepository(self)

    async def memberships(self, user_id: int) -> list[Membership]:
        return await self.members.of_user(user_id)

    # Updates -----------------------------------------------------------------------------------

    async def is_update_processed(self, update_id: int) -> bool:
        found = await self.connection.execute(
            select(processed_updates.c.update_id).where(
                processed_updates.c.update_id == update_id
            )
        )
        return found.first() is not None

    async def mark_update_processed(self, update_id: int) -> bool:
        """Record the update id; False if it was already, less than ``UPDATE_ID_WINDOW`` ago (a
        redelivery: change nothing). An older row is an id Telegram chose again: a new update."""
        now = self.clock.now()
        found = await self.hot(
            MARK_UPDATE,
            {"p_update_id": update_id, "p_now": now, "p_since": now - UPDATE_ID_WINDOW},
        )
        return found.first() is not None

    async def prune_processed_updates(self, before: datetime) -> int:
        """Delete the processed update ids recorded before ``before`` (the daily job); how many."""
        result = await self.connection.execute(
            delete(processed_updates).where(processed_updates.c.processed_at < before)
        )
        return int(result.rowcount or 0)

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

    async def archive_sweep(self, today: date) -> list[int]:
        """Archive the published actions whose date has come; publishes one ARCHIVED event each."""
        archived = await sweeps.archive_sweep_rows(self.connection, today, self.clock.now())
        self.publish(
            *(
                Event(
                    kind=EventKind.ARCHIVED,
                    action_id=a.id,
                    organisation_id=a.organisation_id,
                    payload={"archived_on": today.strftime("%d/%m/%Y")},
                )
                for a in archived
            )
        )
        return [a.id for a in archived]

    async def reminders_due(self, today: date, days: Sequence[int]) -> list[sweeps.ReminderDue]:
        return await sweeps.reminders_due(self.connection, today, days)

    async def counts_by_status(self, organisation_id: int) -> dict[Status, int]:
        return await sweeps.counts_by_status(self.connection, organisation_id)

    # Events ------------------------------------------------------------------------------------

    def publish(self, *events: Event) -> None:
        self._events.extend(events)

    def note_action_write(
        self, action_id: int, organisation_id: int | None, kind: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        """An action was written in this transaction (its audit row is written at commit)."""
        previous = self._writes.get(action_id)
        if previous is not None and kind == "saved":
            kind = previous[1] if previous[1] == "created" else kind
            changed = sorted({*((previous[2] or {}).get("changed", [])),
                              *((details or {}).get("changed", []))})
            details = {"changed": changed} if changed else None
        self._writes[action_id] = (organisation_id, kind, details)

    async def _write_events(
        self, events: Sequence[Event],
        writes: Mapping[int, tuple[int | None, str, dict[str, Any] | None]] | None = None,
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
        for event in events:
            action = loaded.get(event.action_id) if event.action_id is not None else None
            audit_rows.append(
                audit_values(
                    self.actor_user_id, action, event.kind.value, dict(event.payload) or None,
                    now, action_id=event.action_id, organisation_id=event.organisation_id,
                )
            )
            discriminator = event_discriminator(event, action)
            payload = _notification_payload(event, action)
            for chat_id, reasons in (await self._recipients(event, action, recipients_cache)).items():
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
        """Each recipient chat, with the audiences that include it."""
        audience = EVENT_AUDIENCE.get(event.kind, Audience())
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


# The key of an outbox row's payload that says why its chat is told (see ``_write_events``).
RECIPIENT_REASONS = "to"


def _notification_payload(event: Event, action: Action | None) -> dict[str, Any]:
    """What the delivery needs to word the message without reading the action again."""
    payload: dict[str, Any] = {
        "kind": event.kind.value,
        "action_id": event.action_id,
        "organisation_id": event.organisation_id,
        "event": dict(event.payload),
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
