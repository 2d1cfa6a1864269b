"""Who operates and what they may see: ``Actor``, its ``scope`` and ``find`` by id or reference."""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.errors import DomainError
from domain.funders import Funder
from domain.models import Action
from domain.ports import ActionRepository, UnitOfWork

_FB_REFERENCE = re.compile(r"fb[-_ ]?0*(\d+)", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s,;]+")

ActionRef = int | str


class UnknownAction(DomainError):
    """No action with this id or reference in the actor's scope (rendered by the outer layer)."""

    def __init__(self, reference: str) -> None:
        super().__init__(f"unknown action: {reference!r}")
        self.reference = reference


@dataclass(frozen=True, slots=True)
class Actor:
    """Who operates: the Carif-Oref staff (``funder`` None) or a validator of ``funder``."""

    funder: Funder | None = None
    user_id: int | None = None

    @classmethod
    def staff(cls, user_id: int | None = None) -> Actor:
        return cls(funder=None, user_id=user_id)

    @classmethod
    def validator(cls, funder: Funder, user_id: int | None = None) -> Actor:
        return cls(funder=funder, user_id=user_id)

    @property
    def is_staff(self) -> bool:
        return self.funder is None


def scope(uow: UnitOfWork, actor: Actor) -> ActionRepository:
    """The actions the actor may see: all of them for the staff, the funder's for a validator."""
    if actor.funder is None:
        return uow.all_actions()
    return uow.actions_for_funder(actor.funder)


def normalise_reference(reference: str) -> str:
    """« fb-42 », « FB 000042 » → « FB-000042 »; any other reference is kept as typed (trimmed)."""
    cleaned = reference.strip()
    match = _FB_REFERENCE.fullmatch(cleaned)
    if match:
        return f"FB-{int(match[1]):06d}"
    return cleaned


def parse_references(value: str) -> list[str]:
    """References typed one per line or separated by commas (or semicolons, spaces); ``#`` comments."""
    lines = (line.split("#", 1)[0] for line in value.splitlines())
    return [part for line in lines for part in _SEPARATORS.split(line) if part]


async def find(uow: UnitOfWork, actor: Actor, ref: ActionRef) -> Action:
    """The action named by ``ref`` in the actor's scope, or ``UnknownAction``."""
    repo = scope(uow, actor)
    if isinstance(ref, int):
        action = await repo.get(ref)
    else:
        action = await repo.by_reference(normalise_reference(ref)) if ref.strip() else None
    if action is None:
        raise UnknownAction(str(ref).strip())
    return action
