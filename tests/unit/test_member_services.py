"""The members' use cases (``domain/services/member.py``) on the in-memory unit of work: a new
action confirmed gets its id from storage before its events are published; the justification's
event is the lifecycle's, with the file."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.errors import ActionInvalid
from domain.events import Confirmed, JustificationReceived
from domain.funders import Funder
from domain.models import Document, Status
from domain.services import member
from tests.factories import FACTORY_TODAY, make_valid_action
from tests.fakes import FakeUnitOfWork, Store

NOW = datetime(2027, 1, 4, 9, tzinfo=UTC)


async def test_a_new_action_confirmed_is_published_with_its_stored_id() -> None:
    store = Store()
    async with FakeUnitOfWork(store) as uow:
        saved = await member.confirm(uow, member.Member(7), make_valid_action(), today=FACTORY_TODAY, now=NOW)
        await uow.commit()
    assert saved is not None and saved.id is not None and saved.status is Status.SUBMITTED
    assert [type(e) for e in store.events] == [Confirmed]
    assert store.events[0].action_id == saved.id


async def test_an_invalid_action_is_neither_stored_nor_told() -> None:
    store = Store()
    async with FakeUnitOfWork(store) as uow:
        with pytest.raises(ActionInvalid):
            await member.confirm(uow, member.Member(7), make_valid_action(intitule=None),
                                 today=FACTORY_TODAY, now=NOW)
        await uow.commit()
    assert store.actions == {} and store.events == []


async def test_the_justification_is_kept_and_told_with_its_file() -> None:
    store = Store()
    document = Document(file_id="F1", file_name="convention.pdf")
    async with FakeUnitOfWork(store) as uow:
        added = await uow.actions_for_organisation(7).add(make_valid_action(Funder.ETAT_AUTRES))
        saved = await member.attach_justification(uow, member.Member(7), added, document)
        await uow.commit()
    assert store.actions[saved.id or 0].justificatif == document
    assert store.events == [JustificationReceived(saved.id, 7, file_name="convention.pdf", file_id="F1")]
