"""In-memory adapters of the domain's ports (cosmicpython's FakeRepository / FakeUnitOfWork).

They keep the same contracts as ``storage`` (scoping, versions, duplicate update ids) so that
dialog tests run fast; the integration tests run the same scenarios on the real storage.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

from domain.errors import StaleVersion
from domain.events import Event
from domain.funders import Funder
from domain.models import Action, Organisation, Status
from domain.ports import ConversationState, Membership, Role


@dataclass
class Store:
    """The "database": shared by every unit of work of one test."""

    organisations: dict[int, Organisation] = field(default_factory=dict)
    actions: dict[int, Action] = field(default_factory=dict)
    conversations: dict[int, ConversationState] = field(default_factory=dict)
    memberships: list[Membership] = field(default_factory=list)
    processed: set[int] = field(default_factory=set)
    events: list[Event] = field(default_factory=list)
    codes: dict[str, tuple[Role, int | None, Funder | None]] = field(default_factory=dict)
    failures: list[int] = field(default_factory=list)
    next_id: int = 1


class _Actions:
    def __init__(self, uow: FakeUnitOfWork, *, organisation_id: int | None = None, funder: Funder | None = None) -> None:
        self.uow, self.organisation_id, self.funder = uow, organisation_id, funder

    def _visible(self, action: Action) -> bool:
        if self.organisation_id is not None and action.organisation_id != self.organisation_id:
            return False
        if self.funder is None:
            return True
        # As in storage: a validator never sees an organisation's work in progress.
        return action.funder is self.funder and action.status not in (Status.DRAFT, Status.RETURNED)

    async def get(self, action_id: int) -> Action | None:
        a = self.uow.data.actions.get(action_id)
        return copy.deepcopy(a) if a is not None and self._visible(a) else None

    async def by_reference(self, reference: str) -> Action | None:
        for a in self.uow.data.actions.values():
            if reference in (a.reference, a.reference_carif) and self._visible(a):
                return copy.deepcopy(a)
        return None

    async def list(self, status: Status | None = None, *, offset: int = 0, limit: int = 50) -> list[Action]:
        found = [a for a in self.uow.data.actions.values() if self._visible(a) and (status is None or a.status is status)]
        return [copy.deepcopy(a) for a in sorted(found, key=lambda a: a.id or 0)[offset : offset + limit]]

    async def counts(self) -> dict[Status, int]:
        out: dict[Status, int] = {}
        for a in self.uow.data.actions.values():
            if self._visible(a):
                out[a.status] = out.get(a.status, 0) + 1
        return out

    async def add(self, action: Action) -> Action:
        if self.organisation_id is not None and action.organisation_id != self.organisation_id:
            raise PermissionError("action of another organisation")
        stored = action.model_copy(deep=True)
        stored.id = self.uow.data.next_id
        self.uow.data.next_id += 1
        stored.reference = f"FB-{stored.id:06d}"
        stored.version = 1
        self.uow.data.actions[stored.id] = stored
        return copy.deepcopy(stored)

    async def save(self, action: Action) -> Action:
        current = self.uow.data.actions.get(action.id or 0)
        if current is None or not self._visible(current):
            raise PermissionError("unknown action")
        if current.version != action.version:
            raise StaleVersion()
        stored = action.model_copy(deep=True)
        stored.version += 1
        self.uow.data.actions[stored.id or 0] = stored
        return copy.deepcopy(stored)

    async def delete(self, action_id: int) -> None:
        current = self.uow.data.actions.get(action_id)
        if current is not None and self._visible(current):
            del self.uow.data.actions[action_id]


class _Organisations:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def get(self, organisation_id: int) -> Organisation | None:
        o = self.uow.data.organisations.get(organisation_id)
        return copy.deepcopy(o)

    async def by_reference_carif(self, reference: str) -> Organisation | None:
        found = [o for o in self.uow.data.organisations.values() if o.reference_carif == reference]
        return copy.deepcopy(min(found, key=lambda o: o.id or 0)) if found else None

    async def add(self, organisation: Organisation) -> Organisation:
        o = organisation.model_copy(deep=True)
        o.id = self.uow.data.next_id
        self.uow.data.next_id += 1
        self.uow.data.organisations[o.id] = o
        return copy.deepcopy(o)

    async def save(self, organisation: Organisation) -> Organisation:
        assert organisation.id is not None
        current = self.uow.data.organisations.get(organisation.id)
        if current is None:
            raise LookupError(f"no organisation {organisation.id}")
        if current.version != organisation.version:
            raise StaleVersion()
        organisation.version += 1
        self.uow.data.organisations[organisation.id] = organisation.model_copy(deep=True)
        return organisation


class _Conversations:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def load(self, chat_id: int) -> ConversationState:
        c = self.uow.data.conversations.get(chat_id)
        return copy.deepcopy(c) if c else ConversationState(chat_id=chat_id)

    async def save(self, state: ConversationState) -> ConversationState:
        current = self.uow.data.conversations.get(state.chat_id)
        if (current.version if current else 0) != state.version:
            raise StaleVersion()
        state.version += 1
        self.uow.data.conversations[state.chat_id] = copy.deepcopy(state)
        return state


class _Members:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def add(self, membership: Membership, chat_id: int | None = None) -> bool:
        if membership in self.uow.data.memberships:
            return False
        self.uow.data.memberships.append(membership)
        return True

    async def remove(self, membership: Membership) -> bool:
        if membership not in self.uow.data.memberships:
            return False
        self.uow.data.memberships.remove(membership)
        return True

    async def of_user(self, user_id: int) -> list[Membership]:
        return [m for m in self.uow.data.memberships if m.user_id == user_id]

    async def of_user_in_chat(self, user_id: int, chat_id: int) -> list[Membership]:
        return await self.of_user(user_id)  # no reachability in the fake

    async def chat_ids_of_organisation(self, organisation_id: int) -> list[int]:
        return [m.user_id for m in self.uow.data.memberships if m.organisation_id == organisation_id]


class _LinkCodes:
    """Codes kept in clear here: the fake has no secrets to protect (storage hashes them)."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def create(self, role: Role, *, organisation_id: int | None = None, funder: Funder | None = None,
                     created_by: int | None = None) -> str:
        code = f"CODE{len(self.uow.data.codes) + 1:04d}"
        self.uow.data.codes[code] = (role, organisation_id, funder)
        return code

    async def redeem(self, code: str, user_id: int) -> Membership | None:
        target = self.uow.data.codes.pop(code, None)
        if target is None:
            self.uow.data.failures.append(user_id)
            return None
        role, organisation_id, funder = target
        return Membership(user_id=user_id, role=role, organisation_id=organisation_id, funder=funder)

    async def attempts_in_last_hour(self, user_id: int) -> int:
        return self.uow.data.failures.count(user_id)


class FakeUnitOfWork:
    """Works on a copy of the store; ``commit`` swaps it in, leaving without commit drops it."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.data = store
        self.committed = False

    async def __aenter__(self) -> Self:
        self.data = copy.deepcopy(self.store)
        self.organisations = _Organisations(self)
        self.conversations = _Conversations(self)
        self.members = _Members(self)
        self.link_codes = _LinkCodes(self)
        self._events: list[Event] = []
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.data = self.store

    def actions_for_organisation(self, organisation_id: int) -> _Actions:
        return _Actions(self, organisation_id=organisation_id)

    def actions_for_funder(self, funder: Funder) -> _Actions:
        return _Actions(self, funder=funder)

    def all_actions(self) -> _Actions:
        return _Actions(self)

    async def memberships(self, user_id: int) -> list[Membership]:
        return [m for m in self.data.memberships if m.user_id == user_id]

    async def is_update_processed(self, update_id: int) -> bool:
        return update_id in self.data.processed

    async def mark_update_processed(self, update_id: int) -> bool:
        if update_id in self.data.processed:
            return False
        self.data.processed.add(update_id)
        return True

    def publish(self, *events: Event) -> None:
        self._events.extend(events)

    async def commit(self) -> None:
        # Compare-and-swap of conversations was checked on save; apply everything at once.
        self.data.events.extend(self._events)
        self._events = []
        for name in ("organisations", "actions", "conversations", "memberships", "processed", "events",
                     "codes", "failures"):
            setattr(self.store, name, getattr(self.data, name))
        self.store.next_id = self.data.next_id
        self.data = copy.deepcopy(self.store)
        self.committed = True

    async def rollback(self) -> None:
        self.data = copy.deepcopy(self.store)
