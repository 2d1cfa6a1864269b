"""Playing a user through the dialogs: the world (organisation, members, clock) and form filling."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from dialogs.engine import DialogEngine
from dialogs.testing import DialogClient
from domain.catalogue import ALL_FIELDS, ORGANISATION_FIELDS, SESSION_FIELDS, FieldSpec, Kind
from domain.clock import FixedClock
from domain.funders import Funder
from domain.models import Action
from domain.ports import UnitOfWork
from tests.factories import make_valid_action
from tests.labels import label, label_start
from tests.samples import VALID_DOCUMENTS, VALID_SAMPLES

TODAY = date(2026, 12, 1)
WARNING = "\u26a0"
ORG_A_USER = 7001
ORG_A_USER_2 = 7002
ORG_B_USER = 8001


@dataclass
class World:
    uow_factory: Callable[[], UnitOfWork]
    org_a: int
    org_b: int
    clock: FixedClock

    def engine(self) -> DialogEngine:
        return DialogEngine(self.uow_factory, self.clock, staff_ids=(9001,))

    def client(self, user_id: int = ORG_A_USER) -> DialogClient:
        return DialogClient(self.engine(), user_id)

    async def add_action(self, action: Action) -> Action:
        async with self.uow_factory() as uow:
            stored = await uow.all_actions().add(action)
            await uow.commit()
            return stored

    async def get_action(self, action_id: int) -> Action | None:
        async with self.uow_factory() as uow:
            return await uow.all_actions().get(action_id)

    async def actions(self) -> list[Action]:
        async with self.uow_factory() as uow:
            return await uow.all_actions().list(limit=1000)


def field_asked(text: str) -> FieldSpec | None:
    """The field a screen's text asks, found by its label as the user reads it (None: no question)."""
    m = re.search(r"· question \d+/\d+", text)
    if m is None:
        return None
    lines = [line.strip() for line in text.splitlines()]
    section = "session" if "Session n°" in text[: m.end()] else None
    for f in ALL_FIELDS:
        if f.display_label in lines and (section is None or f.section == section):
            return f
    return None


def current_field(client: DialogClient) -> FieldSpec | None:
    """The field the last screen asks."""
    return field_asked(client.text)


class Presser(Protocol):
    """A user the tests play: the labels of the screen's buttons, and pressing one."""

    @property
    def labels(self) -> list[str]: ...

    async def press(self, label: str) -> object: ...


async def give_sample(
    user: Presser,
    spec: FieldSpec,
    overrides: Mapping[str, str],
    send: Callable[[str], Awaitable[object]],
) -> None:
    """Answer the question of ``spec`` with the override or the sample typed through ``send``, or
    for a multiple choice, the first choice ticked and validated (the dialogs' and the e2e player)."""
    if spec.key in overrides:
        await send(overrides[spec.key])
    elif spec.kind is Kind.MULTI_CHOICE:
        # The first choice offered (« Autres financeurs » does not offer the principal funder).
        await user.press(
            next(box for box in user.labels if box.startswith(label_start("unticked", "label")))
        )
        await user.press(label_start("validate", "count"))
    else:
        await send(VALID_SAMPLES[spec.key])


async def answer(client: DialogClient, spec: FieldSpec, overrides: dict[str, str] | None = None) -> None:
    """Answer the current question with the sample (or an override), as a user would."""
    overrides = overrides or {}
    if spec.kind is Kind.DOCUMENT and spec.key not in overrides:
        await client.document(VALID_DOCUMENTS[spec.key])
    else:
        await give_sample(client, spec, overrides, client.send)


async def fill(
    client: DialogClient,
    overrides: dict[str, str] | None = None,
    *,
    limit: int = 80,
    until: str | None = None,
) -> list[str]:
    """Answer every question until the form leaves the question screen (or reaches ``until``)."""
    asked: list[str] = []
    for _ in range(limit):
        spec = current_field(client)
        if spec is None or spec.key == until:
            return asked
        asked.append(spec.key)
        await answer(client, spec, overrides)
        if WARNING in client.text:
            # A field's own error keeps the question: the sample was wrong. A rule across
            # fields sends the user back to a question: the caller looks at it.
            assert current_field(client) != spec or spec.kind is Kind.DATE, client.text
            return asked
    if until is None:
        raise AssertionError("the form never ended")
    return asked


async def view_action(client: DialogClient, list_label: str, action: Action) -> None:
    """From the menu: the list ``list_label`` (« Publiées », « Refusées »…), then the action's view."""
    await client.command("menu")
    await client.press(list_label)
    await client.press(f"{action.reference}")


async def open_draft(client: DialogClient, action: Action, *, drafts: int | None = None) -> None:
    """« ✏ Modifier » on a draft from the menu's list (whose button shows ``drafts`` when given):
    its récapitulatif."""
    await client.command("menu")
    await client.press("En cours de création" if drafts is None else f"En cours de création ({drafts})")
    await client.press(f"{action.reference}")
    await client.press(label("op_modify"))
    assert "Récapitulatif" in client.text


async def answer_general(client: DialogClient, field: str, value: str) -> None:
    """From the récapitulatif, correct one field (by its label) of « Présentation générale »."""
    await client.press(label("edit_group", group="Présentation générale"))
    await client.press(field)
    await client.send(value)


async def keep_recopied(client: DialogClient, *, limit: int = 60) -> list[str]:
    """Through the general data of a copy: « ✔ Garder » each recopied answer, answer (with the
    sample) the questions that have none; the keys answered, once the form leaves the questions."""
    answered: list[str] = []
    for _ in range(limit):
        spec = current_field(client)
        if spec is None:
            return answered
        if any(label.startswith(label_start("keep", "value")) for label in client.labels):
            await client.press(label_start("keep", "value"))
        else:
            answered.append(spec.key)
            await answer(client, spec)
    raise AssertionError("the general data never ended")


async def play(client: DialogClient, steps: tuple[tuple[str, str, str], ...]) -> None:
    """Each step: a button pressed (``press``) or an answer typed (``send``), and what the next
    screen must say."""
    for verb, value, shown in steps:
        await getattr(client, verb)(value)
        assert shown in client.text, (value, client.text)


def _funder_for(spec: FieldSpec) -> Funder:
    return Funder.REGION if spec.funders is None or Funder.REGION in spec.funders else next(iter(spec.funders))


async def open_question(world: World, spec: FieldSpec, funder: Funder | None = None) -> DialogClient:
    """A member of organisation A at the question of ``spec``: on the fiche organisme, or from
    the récapitulatif of a valid draft of ``funder`` (by default one the field applies to)."""
    client = world.client()
    if spec in ORGANISATION_FIELDS:
        await client.command("menu")
        await client.press(label("fiche"))
        await client.press(spec.display_label)
        return client
    draft = await world.add_action(make_valid_action(funder or _funder_for(spec), organisation_id=world.org_a))
    await open_draft(client, draft, drafts=1)
    if spec in SESSION_FIELDS:
        await client.press(label("edit_session", number=1, period=""))
    else:
        await client.press(label("edit_group", group=spec.group))
    await client.press(spec.display_label)
    return client


TITLE = "Intitulé de la formation *"


async def saved_before_the_other(draft: Action, saver: DialogClient, other: DialogClient, saved: str,
                                 answered: str) -> None:
    """Both open the draft's récapitulatif; ``saver`` changes its title to ``saved`` and saves, then
    ``other`` answers ``answered`` to the title in the older form (not saved yet)."""
    for client in (saver, other):
        await open_draft(client, draft)
    await answer_general(saver, TITLE, saved)
    await saver.press(label("save"))
    await answer_general(other, TITLE, answered)
