"""``formabot action add-session``: the Carif-Oref adds a forgotten session on the command line,
with the intake's parsers and rules (the same use case as the chat's); the organisation is told."""

from __future__ import annotations

from datetime import date

import pytest

from bot.cli import main
from domain.funders import Funder
from domain.models import Status
from tests.integration.test_operations_cli import Database, db  # noqa: F401  (the fixture)


def test_add_session_to_a_published_action(db: Database, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    action = db.add(Funder.REGION, Status.PUBLISHED, reference_carif="CO-2027-0009")
    before = db.outbox()
    base = ["action", "add-session", action.reference or "", "--adresse-inscription",
            "12 rue des Lilas, 31000 Toulouse"]
    # A date the intake's parser refuses, then a Région rule (18 months after the first session).
    assert main([*base, "--debut", "31/02/2028", "--fin", "31/03/2028"]) == 1
    assert "ERREUR" in capsys.readouterr().err
    assert main([*base, "--debut", "10/01/2028", "--fin", "30/09/2029"]) == 1
    assert "18 mois" in capsys.readouterr().err
    assert len(db.get(action.id).sessions) == 2

    assert main([*base, "--debut", "10 janvier 2028", "--fin", "31/03/2028", "--places", "14",
                 "--etat-recrutement", "suspendu"]) == 0
    assert capsys.readouterr().out.strip() == (
        f"{action.reference} : session ajoutée ; l'organisme en est prévenu."
    )
    stored = db.get(action.id)
    added = stored.sessions[2]
    assert stored.status is Status.PUBLISHED
    assert (added.debut, added.fin, added.places, added.etat_recrutement) == (
        date(2028, 1, 10), date(2028, 3, 31), 14, "3")
    assert added.adresse_inscription is not None and added.adresse_inscription.ville == "Toulouse"
    assert db.history(action.id)[-1] == "session_added"
    assert db.outbox() == before + 1  # the organisation's member is told


def test_add_session_refused_before_publication(db: Database, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    action = db.add(Funder.AGEFIPH, Status.APPROVED)
    assert main(["action", "add-session", action.reference or "", "--debut", "10/01/2028",
                 "--fin", "31/03/2028", "--adresse-inscription", "12 rue des Lilas, 31000 Toulouse"]) == 1
    assert "Impossible d'ajouter une session" in capsys.readouterr().err
