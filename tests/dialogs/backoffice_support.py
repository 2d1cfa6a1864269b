"""Helpers of the staff, validator and justification dialog tests, on both backends."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from dialogs.testing import DialogClient
from domain.funders import Funder
from domain.models import Action, Status
from domain.ports import Role
from storage.tables import outbox
from tests.dialogs.support import World
from tests.factories import make_valid_action
from tests.fakes import FakeUnitOfWork

STAFF_USER = 9001


async def validator(world: World, funder: Funder, user_id: int) -> DialogClient:
    """A person linked to ``funder`` with a one-time code, at their menu."""
    async with world.uow_factory() as uow:
        code = await uow.link_codes.create(Role.VALIDATOR, funder=funder)  # type: ignore[attr-defined]
        await uow.commit()
    client = world.client(user_id=user_id)
    await client.command("start", code)
    return client


async def staff(world: World) -> DialogClient:
    client = world.client(user_id=STAFF_USER)
    await client.command("menu")
    return client


async def add(world: World, funder: Funder, status: Status = Status.SUBMITTED, *,
              organisation_id: int | None = None, **overrides: Any) -> Action:
    action = make_valid_action(
        funder, organisation_id=organisation_id or world.org_a, status=status, **overrides
    )
    return await world.add_action(action)


async def events(world: World, action_id: int | None) -> list[tuple[str, dict[str, Any]]]:
    """(kind, payload) of the events published for the action: the store's list on the fakes,
    the audit trail (written from the same events at commit) on SQLite."""
    uow = world.uow_factory()
    if isinstance(uow, FakeUnitOfWork):
        return [(e.kind.value, dict(e.payload)) for e in uow.store.events if e.action_id == action_id]
    async with uow:
        assert action_id is not None
        history = await uow.audit.history(action_id)  # type: ignore[attr-defined]
    # The storage's own rows for writes without an event (created, saved, deleted) are no events.
    return [(entry.kind, dict(entry.details or {})) for entry in history
            if entry.kind not in STORAGE_WRITE_KINDS]


STORAGE_WRITE_KINDS = frozenset({"created", "saved", "deleted"})


async def outbox_rows(world: World, action_id: int | None) -> list[tuple[str, int]] | None:
    """(kind, chat id) of the outbox rows about the action; None on the fakes (no outbox there)."""
    uow = world.uow_factory()
    if isinstance(uow, FakeUnitOfWork):
        return None
    async with uow:
        result = await uow.connection.execute(  # type: ignore[attr-defined]
            select(outbox.c.kind, outbox.c.chat_id, outbox.c.payload)
        )
        rows = result.all()
    return sorted((kind, chat) for kind, chat, payload in rows if payload.get("action_id") == action_id)


async def member_opens(world: World, listed: str, action: Action) -> DialogClient:
    """A member of organisation A opens the action from the menu's list ``listed`` (« Refusées (1) »)."""
    member = world.client()
    await member.command("menu")
    await member.press(listed)
    await member.press(f"{action.reference}")
    return member


async def stored_after(world: World, action: Action, status: Status, event: tuple[str, dict[str, Any]]) -> Action:
    """The action as stored now, in ``status``, ``event`` (kind, payload) its only event."""
    stored = await world.get_action(action.id or 0)
    assert stored is not None and stored.status is status
    assert await events(world, action.id) == [event]
    return stored
