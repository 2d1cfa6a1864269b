"""The ports the outer layers implement: the clock, the repositories and the unit of work.

Every repository that reads actions is *scoped*: one for an organisation's members, one for a
funder's validators, one for the Carif-Oref staff. A handler obtains the one its user's role allows
from the unit of work, so it cannot forget the scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from types import TracebackType
from typing import Any, Protocol, Self

from domain.events import Event
from domain.funders import Funder
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
