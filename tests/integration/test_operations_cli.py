"""The staff's commands end to end on a temporary SQLite file: ``formabot region-vote`` and
``formabot action publish|return|approve|refuse|justification``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from domain.clock import FixedClock
from domain.funders import Funder
from domain.models import Action, Status
from domain.ports import Membership, Role
from storage.database import create_engine, upgrade
from storage.uow import SqlUnitOfWork, SqlUnitOfWorkFactory
from tests.factories import FACTORY_TODAY, make_organisation, make_valid_action

MEMBER = 7001


class Database:
    """The file the commands work on, and a way to look into it from the test."""

    def __init__(self, url: str) -> None:
        self.url = url

    def run(self, work: Callable[[SqlUnitOfWork], Awaitable[Any]]) -> Any:
        async def go() -> Any:
            engine = create_engine(self.url)
            try:
                async with SqlUnitOfWorkFactory(engine, FixedClock(FACTORY_TODAY))() as uow:
                    result = await work(uow)
                    await uow.commit()
                    return result
            finally:
                await engine.dispose()

        return asyncio.run(go())

    def add(self, funder: Funder, status: Status = Status.SUBMITTED, **overrides: Any) -> Action:
        async def work(uow: SqlUnitOfWork) -> Action:
            org_id = await self.organisation(uow)
            return await uow.all_actions().add(
                make_valid_action(funder, organisation_id=org_id, status=status, **overrides)
            )

        return self.run(work)  # type: ignore[no-any-return]

    async def organisation(self, uow: SqlUnitOfWork) -> int:
        org = await uow.organisations.by_siret("73282932000074")
        if org is None:
            org = await uow.organisations.add(make_organisation(id=None))
            assert org.id is not None
            await uow.members.add(Membership(user_id=MEMBER, role=Role.MEMBER, organisation_id=org.id))
        assert org.id is not None
        return org.id

    def get(self, action_id: int | None) -> Action:
        async def work(uow: SqlUnitOfWork) -> Action | None:
            assert action_id is not None
            return await uow.all_actions().get(action_id)

        action = self.run(work)
        assert action is not None
        return action  # type: ignore[no-any-return]

    def outbox(self) -> int:
        async def work(uow: SqlUnitOfWork) -> int:
            return await uow.outbox.count()

        return self.run(work)  # type: ignore[no-any-return]

    def history(self, action_id: int | None) -> list[str]:
        async def work(uow: SqlUnitOfWork) -> list[str]:
            assert action_id is not None
            return [entry.kind for entry in await uow.audit.history(action_id)]

        return self.run(work)  # type: ignore[no-any-return]


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    url = f"sqlite+aiosqlite:///{tmp_path}/staff.db"
    asyncio.run(upgrade(url))
    monkeypatch.setenv("FORMABOT_DATABASE_URL", url)
    monkeypatch.setenv("FORMABOT_TODAY", FACTORY_TODAY.isoformat())
    return Database(url)


def test_region_vote_approves_the_listed_actions_and_reports_each_line(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    voted = [db.add(Funder.REGION, intitule=f"Action Région {i}") for i in range(3)]
    pole_emploi = db.add(Funder.POLE_EMPLOI)
    vote = tmp_path / "vote.txt"
    lines = [a.reference or "" for a in voted] + ["", "FB-999999", pole_emploi.reference or ""]
    vote.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = db.outbox()

    assert main(["region-vote", str(vote)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == [
        f"{a.reference} : validée par le vote de la Région (« Action Région {i} »)."
        for i, a in enumerate(voted)
    ]
    assert out[3] == "FB-999999 : ERREUR, action introuvable."
    assert out[4].startswith(f"{pole_emploi.reference} : ERREUR, cette action est financée par « Pôle emploi »")
    assert out[5] == "Vote de la Région : 3 action(s) validée(s), 2 erreur(s), sur 5 référence(s)."
    for action in voted:
        assert db.get(action.id).status is Status.APPROVED
        assert db.history(action.id) == ["created", "approved"]
    assert db.get(pole_emploi.id).status is Status.SUBMITTED
    assert db.outbox() == before + 3  # one notification per approved action (one member)

    # The same list again: nothing left to do, and no error.
    ok = tmp_path / "again.txt"
    ok.write_text(", ".join(a.reference or "" for a in voted), encoding="utf-8")
    assert main(["region-vote", str(ok)]) == 0
    assert "déjà « Validée, en attente de publication »" in capsys.readouterr().out


def test_region_vote_of_a_missing_file(tmp_path: Path, db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["region-vote", str(tmp_path / "absent.txt")]) == 2
    assert "absent.txt" in capsys.readouterr().err


def test_publish_with_the_generated_then_a_given_reference(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    first = db.add(Funder.AGEFIPH, Status.APPROVED)
    second = db.add(Funder.POLE_EMPLOI)
    assert main(["action", "publish", first.reference or ""]) == 0
    expected = f"CO-{FACTORY_TODAY.year}-{first.id:06d}"
    assert capsys.readouterr().out.strip() == (
        f"{first.reference} : publiée sous la référence Carif-Oref {expected}."
    )
    stored = db.get(first.id)
    assert stored.status is Status.PUBLISHED and stored.reference_carif == expected
    assert db.history(first.id) == ["created", "published"]

    assert main(["action", "publish", second.reference or "", "--reference-carif", expected]) == 1
    assert "déjà attribuée" in capsys.readouterr().err
    assert main(["action", "publish", (second.reference or "").lower(),
                 "--reference-carif", "24_AF_0000042"]) == 0
    assert db.get(second.id).reference_carif == "24_AF_0000042"
    capsys.readouterr()
    # The Carif-Oref reference names the action too.
    assert main(["action", "return", "24_AF_0000042", "--comment", "x"]) == 1
    assert "Impossible de renvoyer cette action pour correction" in capsys.readouterr().err


def test_return_approve_refuse_and_justification(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    returned = db.add(Funder.POLE_EMPLOI)
    approved = db.add(Funder.AGEFIPH)
    refused = db.add(Funder.POLE_EMPLOI)
    etat = db.add(Funder.ETAT_EMPLOI)
    before = db.outbox()

    assert main(["action", "return", returned.reference or "", "--comment", "Formacode à revoir"]) == 0
    assert main(["action", "approve", approved.reference or ""]) == 0
    assert main(["action", "refuse", refused.reference or "", "--reason", "Hors programme"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{returned.reference} : renvoyée pour correction ; le commentaire est transmis à l'organisme.",
        f"{approved.reference} : validée.",
        f"{refused.reference} : refusée ; le motif est transmis à l'organisme.",
    ]
    assert main(["action", "approve", etat.reference or ""]) == 1  # justification not received yet
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{etat.reference} : ERREUR — Impossible de valider cette action" in captured.err
    assert main(["action", "justification", etat.reference or ""]) == 0
    assert main(["action", "approve", etat.reference or ""]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{etat.reference} : justificatif de financement marqué comme reçu.",
        f"{etat.reference} : validée.",
    ]

    r = db.get(returned.id)
    assert r.status is Status.RETURNED and r.staff_comment == "Formacode à revoir"
    assert db.get(approved.id).status is Status.APPROVED
    f = db.get(refused.id)
    assert f.status is Status.REFUSED and f.refusal_reason == "Hors programme"
    e = db.get(etat.id)
    assert e.justificatif_recu and e.status is Status.APPROVED
    assert db.history(etat.id) == ["created", "justification_received", "approved"]
    # Returned, approved, refused, justification, approved: the member is told each time.
    assert db.outbox() == before + 5


def test_an_unknown_reference_or_a_refused_operation_changes_nothing(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    region = db.add(Funder.REGION)
    assert main(["action", "approve", "FB-999999"]) == 1
    assert "Action introuvable : « FB-999999 »." in capsys.readouterr().err
    assert main(["action", "refuse", region.reference or "", "--reason", "  "]) == 1
    assert "Indiquez le motif du refus" in capsys.readouterr().err
    assert main(["action", "approve", region.reference or ""]) == 1
    assert "commission permanente" in capsys.readouterr().err
    assert db.get(region.id).status is Status.SUBMITTED
    assert db.history(region.id) == ["created"]
