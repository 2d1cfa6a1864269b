"""The Carif-Oref's own changes to an organisation's action (RULES.md « The Carif-Oref's own
operations »), as pure rules: what staff may correct or code before publication, what changed
(field by field, before and after, as the recap shows it), and the next purchase order of a Région
action (its number, its data).

Choices (RULES.md is silent on them):

- Staff correct a submitted or approved action, any field of its general data and of its existing
  sessions; not the État justification (the organisation's document, which staff mark received),
  not its sessions' number or order, not its status or references (the lifecycle's).
- A correction may not bring a new problem (``domain.rules.validate_action``): the same rules as
  the organisation's intake; problems the action already had (a date now past) do not block it.
- The next purchase order is made from a published or archived Région action (order 1 may be over
  when order 2 starts); its number is one more than the highest of its family (the actions linked
  to it by copies, of the same marché), and two actions of a family never share a number.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.catalogue import (
    SESSION_FIELDS,
    FieldSpec,
    action_field,
    action_fields_for,
    session_field,
)
from domain.errors import FieldError, Problem
from domain.lifecycle import CONTENT_KEYS, changes
from domain.models import Action, Session, Status
from domain.rules import validate_action

CORRECTABLE_STATUSES = frozenset({Status.SUBMITTED, Status.APPROVED})
# The organisation's document: staff mark it received, they do not replace it.
NOT_CORRECTED = frozenset({"justificatif"})
CORRECTABLE_KEYS = frozenset(CONTENT_KEYS) - NOT_CORRECTED
CORRECTABLE_SESSION_KEYS = frozenset(spec.key for spec in SESSION_FIELDS)
ORDER_STATUSES = frozenset({Status.PUBLISHED, Status.ARCHIVED})
# What a new order's sessions take from the previous order's first session (its dates are asked).
ORDER_SESSION_KEPT = ("adresse_inscription", "etat_recrutement", "places", "modalites_inscription")


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field changed: its label (FIELDS.md), its values as the recap shows them, and the
    1-based session it belongs to (None: the general data)."""

    key: str
    label: str
    before: str
    after: str
    session: int | None = None


def _session_key(change: str) -> str | None:
    if change.startswith("sessions[") and "]." in change:
        return change.split("].", 1)[1]
    return None


def uncorrectable(stored: Action, proposed: Action) -> tuple[str, ...]:
    """What ``proposed`` changes in ``stored`` that staff may not correct (empty: all may be)."""
    return tuple(
        key for key in changes(stored, proposed)
        if key not in CORRECTABLE_KEYS and _session_key(key) not in CORRECTABLE_SESSION_KEYS
    )


def may_correct(action: Action) -> bool:
    return action.status in CORRECTABLE_STATUSES


def correctable_fields(action: Action) -> tuple[FieldSpec, ...]:
    """The general-data fields staff may correct on this action (those asked for its funder)."""
    return tuple(spec for spec in action_fields_for(action) if spec.key in CORRECTABLE_KEYS)


def _change(spec: FieldSpec, before: Any, after: Any, session: int | None = None) -> FieldChange:
    return FieldChange(spec.key, spec.label, spec.format(before), spec.format(after), session)


def field_changes(before: Action, after: Action) -> tuple[FieldChange, ...]:
    """Each field whose value differs, general data first (catalogue order), then each session."""
    found = [
        _change(spec, before.get(spec.key), after.get(spec.key))
        for spec in (*action_fields_for(before), *(s for s in action_fields_for(after)
                                                    if not s.applies_to(before)))
        if before.get(spec.key) != after.get(spec.key)
    ]
    for index, (old, new) in enumerate(zip(before.sessions, after.sessions, strict=False)):
        found += [_change(spec, old.get(spec.key), new.get(spec.key), index + 1)
                  for spec in SESSION_FIELDS if old.get(spec.key) != new.get(spec.key)]
    return tuple(found)


def new_problems(stored: Action, proposed: Action, today: date) -> list[Problem]:
    """The problems ``proposed`` has that ``stored`` had not (what a correction would bring)."""
    known = set(validate_action(stored, today))
    return [p for p in validate_action(proposed, today) if p not in known]


def field_to_correct(action: Action, key: str, session: int | None = None) -> FieldSpec:
    """The field ``key`` of the general data (or of session ``session``, 1-based) staff may
    correct on ``action``; ``LookupError`` if there is no such field for it."""
    if session is not None:
        if key not in CORRECTABLE_SESSION_KEYS or not 1 <= session <= len(action.sessions):
            raise LookupError(key)
        return session_field(key)
    for spec in correctable_fields(action):
        if spec.key == key:
            return spec
    raise LookupError(key)


def apply_text(action: Action, key: str, raw: str, session: int | None = None) -> None:
    """Parse ``raw`` as the answer to field ``key`` (the intake's parser and checks: ``FieldError``)
    and set it on ``action`` (``LookupError`` if the field is not one staff may correct there)."""
    spec = field_to_correct(action, key, session)
    value = spec.parse(raw)
    if session is None:
        action.set(key, value)
    else:
        action.sessions[session - 1].set(key, value)


# Later purchase orders -----------------------------------------------------------------------------


def order_family(source: Action, actions: Iterable[Action]) -> list[Action]:
    """The actions linked to ``source`` by copies (either way, step by step), of the same funder
    and marché, drafts left out: the purchase orders of one action."""
    candidates: dict[int | None, Action] = {a.id: a for a in actions
                  if a.funder is source.funder and a.numero_marche == source.numero_marche
                  and a.status is not Status.DRAFT and a.id is not None}
    candidates[source.id] = source
    family: set[int | None] = {source.id}
    grew = True
    while grew:
        grew = False
        for a in candidates.values():
            if a.id not in family and (a.copied_from in family or
                                       any(candidates[m].copied_from == a.id for m in family)):
                family.add(a.id)
                grew = True
    return [candidates[i] for i in family]


def next_order_number(source: Action, actions: Iterable[Action]) -> int:
    return 1 + max((a.numero_bon_commande or 1) for a in order_family(source, actions))


def order_number_holder(source: Action, actions: Iterable[Action], number: int) -> Action | None:
    """The action of the family that already has purchase order ``number``, if any."""
    return next((a for a in order_family(source, actions) if a.numero_bon_commande == number), None)


def order_session(source: Action) -> Session:
    """A new order's session: the previous order's registration data, its dates to be asked."""
    model = source.sessions[0] if source.sessions else Session()
    return Session(**{key: model.get(key) for key in ORDER_SESSION_KEPT})


def next_order(source: Action, number: int) -> Action:
    """The action of purchase order ``number`` of ``source``: its general data, the new number,
    semester and sessions still to be given (``semestre_debut`` empty, no session)."""
    values = {key: source.get(key) for key in CONTENT_KEYS}
    values.update(numero_bon_commande=number, semestre_debut=None)
    return Action(organisation_id=source.organisation_id, funder=source.funder,
                  copied_from=source.id, **values)


def order_problems(order: Action, today: date) -> list[Problem]:
    """What keeps a purchase order's action from being published: the intake's rules, except
    that its number may be above 1 (RULES.md: later orders are the Carif-Oref's)."""
    number = order.numero_bon_commande
    problems: list[Problem] = []
    try:
        action_field("numero_bon_commande").check(number)
    except FieldError as error:
        problems.append(Problem(error.message, key="numero_bon_commande", section="general"))
    as_first = order.model_copy(update={"numero_bon_commande": 1})
    return problems + validate_action(as_first, today)
