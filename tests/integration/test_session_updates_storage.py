"""A published action's session update on the real storage: the organisation-scoped repository
accepts exactly RULES.md's session fields, the write is audited with the changed fields, and the
next day's LHEO export carries it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.daily import run_daily
from domain.clock import FixedClock
from domain.errors import ChangeNotAllowed
from domain.funders import Funder
from domain.models import Status
from domain.services.member import Member, update_session
from storage.uow import SqlUnitOfWorkFactory
from tests.factories import make_organisation, make_session, make_valid_action
from tests.integration.conftest import TODAY


async def test_update_is_audited_and_exported_the_next_day(
    uow_factory: SqlUnitOfWorkFactory, clock: FixedClock, tmp_path: Path,
) -> None:
    async with uow_factory() as uow:
        organisation = await uow.organisations.add(make_organisation(id=None))  # complete: exported
        assert organisation.id is not None
        org = organisation.id
        action = await uow.all_actions().add(make_valid_action(
            Funder.REGION, organisation_id=org, status=Status.PUBLISHED, reference_carif="24_P_000901",
            sessions=[make_session(TODAY + timedelta(days=10), TODAY + timedelta(days=60))],
        ))
        await uow.commit()
    assert action.id is not None
    async with uow_factory(actor_user_id=101) as uow:
        loaded = await uow.actions_for_organisation(org).get(action.id)
        assert loaded is not None
        await update_session(uow, Member(org, 101), loaded, 0, {"etat_recrutement": "2", "places": 3},
                             TODAY)
        await uow.commit()
    async with uow_factory() as uow:
        history = await uow.audit.history(action.id)
        # Anything else is refused by the organisation's repository (RULES.md).
        stored = await uow.actions_for_organisation(org).get(action.id)
        assert stored is not None
        stored.sessions[0].adresse_inscription = None
        with pytest.raises(ChangeNotAllowed):
            await uow.actions_for_organisation(org).save(stored)
    assert history[-1].kind == "saved" and history[-1].actor_user_id == 101
    assert history[-1].details == {"changed": ["sessions[0].etat_recrutement", "sessions[0].places"]}

    clock.set(TODAY + timedelta(days=1))
    settings = Settings(export_dir=tmp_path / "exports", database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db")
    report = await run_daily(uow_factory, clock, settings, today=TODAY + timedelta(days=1))
    assert report.ran and [e.formations for e in report.exports] == [1, 1], report
    exported = (tmp_path / "exports" / "lheo-public.xml").read_text(encoding="utf-8")
    assert "24_P_000901" in exported and "<etat-recrutement>2</etat-recrutement>" in exported
