"""The ports the outer layers implement: the clock, the repositories, the unit of work and its
factory, and the LHEO files.

Every repository that reads actions is *scoped*: one for an organisation's members, one for a
funder's validators, one for the Carif-Oref staff. A handler obtains the one its user's role allows
from the unit of work, so it cannot forget the scope.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

from domain.events import Event
from domain.funders import Funder
from domain.lheo import EXPORT_PAGE, ExportReport, OfaaRow, Progress, ReadDrafts, Scope
from domain.models import Action, Organisation, Status


class Clock(Protocol):
    def today(self) -> date: ...

    def now(self) -> datetime: ...


class Role(StrEnum):
    MEMBER = "member"  # gestionnaire de formations of an organisation
    VALIDATOR = "validator"  # a funder's validator (Pôle emploi, Agefiph)
    STAFF = "staff"  # Carif-Oref


@dataclass(frozen=True, slots=True)
class Membership:
    """One link of a chat user: to an organisation (member) or to a funder (validator)."""

    user_id: int
    role: Role
    organisation_id: int | None = None
    funder: Funder | None = None


@dataclass(slots=True)
class ConversationState:
    """The persisted state of one chat's dialog. ``data`` is JSON; ``version`` guards writes."""

    chat_id: int
    data: dict[str, Any] = field(default_factory=dict)
    version: int = 0


class ActionRepository(Protocol):
    """Actions visible to one scope. ``get`` of an action outside the scope returns None."""

    async def get(self, action_id: int) -> Action | None: ...

    async def by_reference(self, reference: str) -> Action | None: ...

    async def list(
        self, status: Status | None = None, *, offset: int = 0, limit: int = 50
    ) -> list[Action]: ...

    async def counts(self) -> dict[Status, int]: ...

    async def add(self, action: Action) -> Action:
        """Store a new action (scope's organisation); returns it with id and reference."""
        ...

    async def save(self, action: Action) -> Action:
        """Store a changed action; refuses (``StaleVersion``) if its version is not current."""
        ...

    async def delete(self, action_id: int) -> None: ...


class OrganisationRepository(Protocol):
    async def get(self, organisation_id: int) -> Organisation | None: ...

    async def by_reference_carif(self, reference: str) -> Organisation | None:
        """The organisation with this Carif-Oref reference (as given by the staff), or None."""
        ...

    async def add(self, organisation: Organisation) -> Organisation: ...

    async def save(self, organisation: Organisation) -> Organisation: ...


class ConversationRepository(Protocol):
    async def load(self, chat_id: int) -> ConversationState: ...

    async def save(self, state: ConversationState) -> ConversationState:
        """Compare-and-swap on ``version``; raises ``StaleVersion`` when someone wrote first."""
        ...


class UnitOfWork(Protocol):
    """One transaction. Leaving the block without ``commit`` rolls everything back."""

    organisations: OrganisationRepository
    conversations: ConversationRepository

    def actions_for_organisation(self, organisation_id: int) -> ActionRepository: ...

    def actions_for_funder(self, funder: Funder) -> ActionRepository: ...

    def all_actions(self) -> ActionRepository: ...

    async def memberships(self, user_id: int) -> list[Membership]: ...

    async def is_update_processed(self, update_id: int) -> bool: ...

    async def mark_update_processed(self, update_id: int) -> bool:
        """Record an update id; False if it was already recorded (a redelivery)."""
        ...

    def publish(self, *events: Event) -> None:
        """Queue events; at commit they become audit entries and outbox notifications."""
        ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


# The bot's unit of work: what the channels, the jobs and the outbox delivery need besides the
# dialogs' ports (implemented by ``storage.uow.SqlUnitOfWork``).


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A notification claimed for delivery (``attempts`` counts this claim)."""

    id: int
    kind: str
    chat_id: int
    payload: dict[str, Any]
    attempts: int


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of an action's history; ``snapshot`` is the full action as JSON at that moment."""

    id: int
    at: datetime
    actor_user_id: int | None
    action_id: int | None
    kind: str
    version: int | None
    snapshot: dict[str, Any] | None
    details: dict[str, Any] | None


class MemberRepository(Protocol):
    async def add(self, membership: Membership, chat_id: int | None = None) -> bool:
        """Link a user (idempotent); False if the link existed. ``chat_id`` defaults to the user id."""
        ...

    async def remove(self, membership: Membership) -> bool: ...

    async def of_user(self, user_id: int) -> list[Membership]: ...

    async def of_user_in_chat(self, user_id: int, chat_id: int) -> list[Membership]:
        """The user's links as they write from ``chat_id``, which is reachable again if a 403 had
        marked it unreachable."""
        ...

    async def links_of_chats(self, chat_ids: Iterable[int]) -> dict[int, list[Membership]]:
        """The links whose notifications go to each of ``chat_ids``."""
        ...

    async def chat_ids_of_organisation(self, organisation_id: int) -> list[int]:
        """The reachable chats of the organisation's members."""
        ...

    async def chat_ids_of_funder(self, funder: Funder) -> list[int]: ...

    async def chat_ids_of_staff(self) -> list[int]:
        """The reachable chats of the staff configured now (not of every staff link row)."""
        ...

    async def mark_unreachable(self, chat_id: int, unreachable: bool = True) -> None:
        """The chat blocked the bot (403), or came back (``unreachable=False``)."""
        ...


class LinkCodeRepository(Protocol):
    async def create(
        self,
        role: Role,
        *,
        organisation_id: int | None = None,
        funder: Funder | None = None,
        created_by: int | None = None,
    ) -> str:
        """A new single-use code (7 days) for the target; returns the clear code, stores its hash."""
        ...

    async def redeem(self, code: str, user_id: int) -> Membership | None:
        """The link the code grants to ``user_id`` (code now used), or None (failure recorded)."""
        ...

    async def attempts_in_last_hour(self, user_id: int) -> int: ...


class OutboxRepository(Protocol):
    async def enqueue(
        self, kind: str, chat_id: int, payload: dict[str, Any], idempotency_key: str
    ) -> bool:
        """Queue a message; False if one with the same key exists."""
        ...

    async def claim(
        self, batch: int, now: datetime, lease: timedelta = ...
    ) -> list[OutboxMessage]:
        """Take up to ``batch`` due messages, oldest first, leased until ``now + lease``."""
        ...

    async def mark_sent(self, message_id: int, now: datetime) -> None: ...

    async def mark_failed(self, message_id: int, error: str, retry_at: datetime) -> None: ...

    async def mark_dead(self, message_id: int, error: str) -> None: ...

    async def mark_sent_many(self, message_ids: Sequence[int], now: datetime) -> None: ...

    async def set_next_attempt(self, message_ids: Sequence[int], at: datetime) -> None:
        """Move the lease of rows still waiting (pending/failed) to ``at``: renew it, or release it."""
        ...

    async def count(self, status: str | None = None) -> int: ...


class AuditRepository(Protocol):
    async def record(
        self,
        actor_user_id: int | None,
        action: Action,
        kind: str,
        details: dict[str, Any] | None = None,
    ) -> None: ...

    async def history(self, action_id: int) -> list[AuditEntry]: ...


class JobRunRepository(Protocol):
    async def last_run(self, name: str) -> date | None: ...

    async def record_run(self, name: str, day: date) -> None: ...


@dataclass(frozen=True, slots=True)
class DueReminder:
    """A reminder before archiving that is due (``BotUnitOfWork.reminders_due``)."""

    action_id: int
    organisation_id: int
    days: int  # the real number of days left before archiving (« archivée dans 27 jours »)
    archive_on: date
    level: int  # the reminder level due (30, 7, 1…): told once per level and archiving date


class BotUnitOfWork(UnitOfWork, Protocol):
    """``UnitOfWork`` plus links, link codes, the outbox, the audit trail and the daily jobs."""

    members: MemberRepository
    link_codes: LinkCodeRepository
    outbox: OutboxRepository
    audit: AuditRepository
    job_runs: JobRunRepository

    @property
    def staff_ids(self) -> frozenset[int]:
        """The Carif-Oref staff configured now (the only ones told of staff events)."""
        ...

    async def try_lock_daily_job(self) -> bool:
        """Whether this transaction may run the daily job (one process at a time)."""
        ...

    async def archive_sweep(self, today: date, limit: int | None = None) -> list[int]:
        """Archive the published actions whose date has come, at most ``limit`` (lowest ids
        first; one ``Archived`` event published each); their ids."""
        ...

    async def reminders_due(
        self, today: date, days: Sequence[int], limit: int | None = None
    ) -> list[DueReminder]:
        """The reminders due on ``today`` for the levels ``days`` and not told yet (the first
        ``limit`` by action id)."""
        ...

    async def prune_processed_updates(self, before: datetime) -> int:
        """Delete the processed update ids recorded before ``before``; how many."""
        ...


class BotUnitOfWorkFactory(Protocol):
    """Opens a ``BotUnitOfWork`` (``storage.uow.SqlUnitOfWorkFactory``), on behalf of
    ``actor_user_id`` (written in the audit trail)."""

    def __call__(self, actor_user_id: int | None = None) -> BotUnitOfWork: ...


# The LHEO files (``storage.lheo.files.SqlLheoFiles``, wired by ``bot.wiring``).

BetweenPages = Callable[[], Awaitable[None]]


class ActionSnapshot(Protocol):
    """The actions and their organisations as they were at the snapshot's first read."""

    def items(
        self, statuses: Sequence[Status], *, page_size: int = EXPORT_PAGE,
        between_pages: BetweenPages | None = None,
    ) -> AsyncIterator[tuple[Action, Organisation]]:
        """Each action of ``statuses`` once, with its organisation, ``page_size`` read at a time
        (``between_pages``, tests: run after each full page)."""
        ...


class ExportSink(Protocol):
    def write(self, action: Action, organisation: Organisation) -> bool:
        """Write the action; False when it was left out (its reason in the report)."""
        ...


class ExportFile(Protocol):
    """``with file as sink: sink.write(…)``: validated and published atomically on a clean exit
    (``report`` then says what was written and left out); raises ``NothingToExport`` when nothing
    could be written, ``LheoError`` when the file does not validate (nothing published then)."""

    report: ExportReport

    def __enter__(self) -> ExportSink: ...

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None: ...


class LheoFiles(Protocol):
    """The LHEO 2.3 and Ofaa files the use cases write and read (``domain.services.lheo``)."""

    def snapshot(self) -> AbstractAsyncContextManager[ActionSnapshot]:
        """One consistent read of the actions, for an export."""
        ...

    def export_file(self, out: Path, *, now: datetime, progress: Progress | None = None) -> ExportFile: ...

    async def export_off_loop(self, out: Path, scope: Scope, *, today: date, now: datetime) -> ExportReport:
        """``domain.services.lheo.export_actions`` of ``scope`` where it does not hold the bot's
        event loop (the daily job, in the bot's process); raises as it does."""
        ...

    def ensure_directory(self, directory: Path) -> None: ...

    def remove(self, path: Path) -> None:
        """Remove a published file (none there: nothing to do)."""
        ...

    def read_drafts(
        self, path: Path | bytes, organisation_id: int, *, today: date, progress: Progress | None = None
    ) -> ReadDrafts:
        """An LHEO 2.2/2.3 file (its path, or its bytes: a file sent in the chat) as drafts of the
        organisation; raises ``LheoImportError``."""
        ...

    def read_ofaa(self, path: Path) -> tuple[list[OfaaRow], list[str]]:
        """The good lines of a France Travail return file and the bad ones (« ligne 4 : … »)."""
        ...
