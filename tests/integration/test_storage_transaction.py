"""Repositories work in a ``storage.transaction.Transaction``, not in the unit of work: the
connection, the clock, the staff configured now, and the note of each action written."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.clock import FixedClock
from domain.errors import ChangeNotAllowed
from domain.funders import Funder
from domain.models import Status
from domain.ports import Membership, Role
from storage.repositories import SqlActionRepository, SqlMemberRepository, SqlOrganisationRepository
from storage.transaction import Transaction
from tests.factories import make_valid_action


async def test_repositories_on_a_bare_transaction(engine: AsyncEngine, clock: FixedClock,
                                                  org_ids: tuple[int, int]) -> None:
    a, _ = org_ids
    tx = Transaction(clock, staff_ids=[301])
    await tx.open(engine, direct_statements=True)
    try:
        assert (await SqlOrganisationRepository(tx).get(a)) is not None
        members = SqlMemberRepository(tx)
        await members.add(Membership(user_id=301, role=Role.STAFF))
        await members.add(Membership(user_id=302, role=Role.STAFF))
        assert await members.chat_ids_of_staff() == [301]  # the transaction's staff, not the rows
        repo = SqlActionRepository(tx, organisation_id=a)
        action = await repo.add(make_valid_action(Funder.POLE_EMPLOI, organisation_id=a))
        assert action.id is not None and action.created_at == clock.now()
        action.intitule = "Autre intitulé"
        await repo.save(action)
        assert tx.writes == {action.id: (a, "created", {"changed": ["intitule"]})}
        # The organisation's scope still enforces the lifecycle on a bare transaction.
        published = await repo.get(action.id)
        assert published is not None
        published.status = Status.PUBLISHED
        with pytest.raises(ChangeNotAllowed):
            await repo.save(published)
    finally:
        await tx.close()
    assert not tx.is_open and tx.writes == {}
