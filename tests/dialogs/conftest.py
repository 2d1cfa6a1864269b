"""The world of the dialog tests, on the in-memory fakes and on the real storage (SQLite file).

Both backends run every scenario: the fakes keep the tests quick to reason about, the SQLite run
proves the same conversation works on the storage that ships (versions, scoping, JSON round trips).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from domain.clock import FixedClock
from domain.ports import Membership, Role
from storage.database import create_engine, upgrade
from storage.uow import SqlUnitOfWorkFactory
from tests.dialogs.support import ORG_A_USER, ORG_A_USER_2, ORG_B_USER, TODAY, World
from tests.factories import make_organisation
from tests.fakes import FakeUnitOfWork, Store

ORGANISATIONS = (
    make_organisation(nom_organisme="Forma Sud"),
    make_organisation(nom_organisme="Concurrent SA", siret="73282932000074"),
)
MEMBERS = ((ORG_A_USER, 0), (ORG_A_USER_2, 0), (ORG_B_USER, 1))


def _fake_world() -> World:
    store = Store()
    ids = []
    for org in ORGANISATIONS:
        store.organisations[store.next_id] = org.model_copy(update={"id": store.next_id})
        ids.append(store.next_id)
        store.next_id += 1
    store.memberships += [
        Membership(user_id=user, role=Role.MEMBER, organisation_id=ids[i]) for user, i in MEMBERS
    ]
    return World(uow_factory=lambda **_: FakeUnitOfWork(store), org_a=ids[0], org_b=ids[1], clock=FixedClock(TODAY))


@pytest.fixture(params=["fake", "sqlite"])
async def world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[World]:
    if request.param == "fake":
        yield _fake_world()
        return
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/dialogs.db")
    await upgrade(engine)
    clock = FixedClock(TODAY)
    factory = SqlUnitOfWorkFactory(engine, clock, staff_ids=(9001,))  # as the engine (support.py)
    ids = []
    async with factory() as uow:
        for org in ORGANISATIONS:
            ids.append((await uow.organisations.add(org)).id)
        for user, i in MEMBERS:
            await uow.members.add(Membership(user_id=user, role=Role.MEMBER, organisation_id=ids[i]), chat_id=user)
        await uow.commit()
    yield World(uow_factory=factory, org_a=ids[0], org_b=ids[1], clock=clock)
    await engine.dispose()


@pytest.fixture(autouse=True)
def renders_change_no_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every scenario of the dialog tests checks that ``render`` changes nothing in the state (the
    router clears what is shown once, and follows a ``Redirect``), and that every button it shows
    is bound to a handler of the screen."""
    from dialogs.router import SCREENS

    for name, screen in SCREENS.items():
        monkeypatch.setattr(screen, "render", _pure(name, screen.render, set(screen.buttons)))


def _pure(name: object, render: Any, bound: set[str]) -> Any:
    async def checked(ctx: Any, st: Any, kb: Any) -> Any:
        before = st.model_dump(mode="json")
        replies = await render(ctx, st, kb)
        assert st.model_dump(mode="json") == before, f"{name}.render changed the state"
        unbound = {b.partition(":")[0] for b in kb.issued} - bound - {"noop"}
        assert not unbound, f"{name} shows buttons bound to no handler: {unbound}"
        return replies

    return checked
