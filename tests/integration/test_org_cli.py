"""``formabot org set ORG --reference-carif X`` on a temporary SQLite file: the staff's use case
(``backoffice.set_organisation_reference``) from the command line, audited, told to the organisation."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.cli import main
from domain.ports import Membership, Role
from storage.database import upgrade
from storage.tables import audit, outbox
from storage.uow import SqlUnitOfWork
from tests.integration.test_operations_cli import Database

MEMBER = 7001


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path}/org.db"
    asyncio.run(upgrade(url))
    monkeypatch.setenv("FORMABOT_DATABASE_URL", url)
    return url


def _add(name: str, siret: str, capsys: pytest.CaptureFixture[str]) -> int:
    assert main(["org", "add", "--name", name, "--siret", siret]) == 0
    return int(capsys.readouterr().out.splitlines()[0])


def test_org_set_gives_the_reference_refuses_a_taken_one(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    first = _add("Forma Sud", "732 829 320 00074", capsys)
    second = _add("Forma Nord", "356 000 000 00048", capsys)

    async def link(uow: SqlUnitOfWork) -> None:
        await uow.members.add(Membership(user_id=MEMBER, role=Role.MEMBER, organisation_id=first), chat_id=MEMBER)

    Database(url).run(link)

    assert main(["org", "set", str(first), "--reference-carif", "7320143"]) == 0
    assert capsys.readouterr().out.strip() == (
        f"Organisme n° {first} (Forma Sud) : référence Carif-Oref 7320143."
    )
    assert main(["org", "set", str(second), "--reference-carif", "7320143"]) == 1
    err = capsys.readouterr().err
    assert f"déjà celle de l'organisme n° {first} (Forma Sud)" in err
    assert main(["org", "set", str(second), "--reference-carif", "pas une référence"]) == 1
    assert "Référence Carif-Oref invalide" in capsys.readouterr().err
    assert main(["org", "set", "999", "--reference-carif", "X1"]) == 1
    assert "Organisme introuvable : n° 999." in capsys.readouterr().err

    async def look(uow: SqlUnitOfWork) -> tuple[Any, ...]:
        orgs = [await uow.organisations.get(i) for i in (first, second)]
        rows = (await uow.connection.execute(
            select(audit.c.organisation_id, audit.c.action_id, audit.c.details)
            .where(audit.c.kind == "organisation_reference")
        )).all()
        told = (await uow.connection.execute(
            select(outbox.c.chat_id).where(outbox.c.kind == "organisation_reference")
        )).scalars().all()
        return orgs, rows, told

    orgs, rows, told = Database(url).run(look)
    assert [o.reference_carif for o in orgs] == ["7320143", None]
    assert [(r.organisation_id, r.action_id, r.details["reference_carif"]) for r in rows] == [
        (first, None, "7320143")
    ]
    assert told == [MEMBER]
