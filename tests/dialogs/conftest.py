from __future__ import annotations

import pytest

from domain.clock import FixedClock
from domain.ports import Membership, Role
from tests.dialogs.support import ORG_A_USER, ORG_A_USER_2, ORG_B_USER, TODAY, World
from tests.factories import make_organisation
from tests.fakes import FakeUnitOfWork, Store


@pytest.fixture
def world() -> World:
    store = Store()
    store.organisations[1] = make_organisation(id=1, nom_organisme="Forma Sud")
    store.organisations[2] = make_organisation(id=2, nom_organisme="Concurrent SA", siret="73282932000074")
    store.next_id = 10
    store.memberships += [
        Membership(user_id=ORG_A_USER, role=Role.MEMBER, organisation_id=1),
        Membership(user_id=ORG_A_USER_2, role=Role.MEMBER, organisation_id=1),
        Membership(user_id=ORG_B_USER, role=Role.MEMBER, organisation_id=2),
    ]
    return World(uow_factory=lambda: FakeUnitOfWork(store), org_a=1, org_b=2, clock=FixedClock(TODAY))
