"""The staff's other commands on a temporary SQLite file: ``formabot action correct|next-order|show|vote``,
the same use cases as the staff chat."""

from __future__ import annotations

from datetime import date

import pytest

from bot.cli import main
from domain.funders import Funder
from domain.models import Status
from tests.integration.test_operations_cli import Database, db  # noqa: F401  (the fixture)


def test_correct_prints_the_changes_dry_run_first(db: Database, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    action = db.add(Funder.AGEFIPH, Status.APPROVED)
    ref = action.reference or ""
    before = db.outbox()
    args = ["action", "correct", ref, "--set", "formacodes=31795", "--set", "niveau_sortie=Niveau 4",
            "--set", "s2.places=10"]
    assert main([*args, "--dry-run"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Code(s) Formacode : 42752, 42745 → 31795"
    assert out[1].startswith("Niveau de sortie : Niveau 3. Capacité") and " → Niveau 4. Capacité" in out[1]
    assert out[2:] == [
        "Session n° 2 · Nombre de places : 12 → 10",
        f"{ref} : 3 donnée(s) seraient corrigée(s) (rien n'est enregistré : --dry-run).",
    ]
    assert db.get(action.id).formacodes == ("42752", "42745") and db.outbox() == before

    assert main(args) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        f"{ref} : 3 donnée(s) corrigée(s) ; l'organisme est informé de chaque modification.")
    stored = db.get(action.id)
    assert stored.formacodes == ("31795",) and stored.niveau_sortie == "14" and stored.sessions[1].places == 10
    assert stored.status is Status.APPROVED
    assert db.history(action.id) == ["created", "corrected"]
    assert db.outbox() == before + 1  # the organisation's member is told

    # The intake's parser, the catalogue's fields, the statuses: refused with their reason.
    assert main(["action", "correct", ref, "--set", "formacodes=2243"]) == 1
    assert "Formacode" in capsys.readouterr().err
    assert main(["action", "correct", ref, "--set", "justificatif=x"]) == 1
    assert "Donnée inconnue pour cette action : « justificatif »" in capsys.readouterr().err
    assert main(["action", "correct", ref, "--set", "formacodes=31795"]) == 1
    assert "Aucune modification" in capsys.readouterr().err
    assert main(["action", "correct", ref, "--set", "formacodes"]) == 2
    assert "--set attend" in capsys.readouterr().err
    published = db.add(Funder.AGEFIPH, Status.PUBLISHED, reference_carif="CO-P-1")
    assert main(["action", "correct", "CO-P-1", "--set", "formacodes=31795"]) == 1
    assert "Impossible de corriger cette action : elle est « Publiée »" in capsys.readouterr().err
    assert db.history(published.id) == ["created"]


def test_next_order_is_created_and_published_split_into_sessions(
    db: Database, capsys: pytest.CaptureFixture[str]  # noqa: F811
) -> None:
    first = db.add(Funder.REGION, Status.PUBLISHED, reference_carif="CO-R-1", intitule="Soudeur")
    before = db.outbox()
    args = ["action", "next-order", "CO-R-1", "--semester", "S1 2028",
            "--session", "06/03/2028", "30/04/2028", "--session", "4 mai 2028", "30/06/2028"]
    assert main(args) == 0
    line = capsys.readouterr().out.strip()
    assert line.endswith(f"bon de commande n° 2 de {first.reference}, publié sous la référence Carif-Oref "
                         f"CO-2027-{first.id + 1:06d} ; l'organisme est informé.")
    order = db.get(first.id + 1)
    assert order.status is Status.PUBLISHED and order.numero_bon_commande == 2 and order.copied_from == first.id
    assert order.intitule == "Soudeur" and order.semestre_debut == "S1 2028"
    assert [(s.debut, s.fin) for s in order.sessions] == [
        (date(2028, 3, 6), date(2028, 4, 30)), (date(2028, 5, 4), date(2028, 6, 30))]
    assert db.history(order.id) == ["next_order"]
    assert db.outbox() == before + 1

    # Number 2 is taken; the Région date rules hold; only a published Région action has orders.
    assert main([*args, "--number", "2"]) == 1
    assert "Le bon de commande n° 2 de cette action existe déjà" in capsys.readouterr().err
    assert main(["action", "next-order", first.reference or "", "--semester", "S1 2028",
                 "--session", "15/09/2028", "30/10/2028"]) == 1
    assert "semestre de début prévu au bon de commande" in capsys.readouterr().err
    submitted = db.add(Funder.REGION, Status.SUBMITTED)
    assert main(["action", "next-order", submitted.reference or "", "--semester", "S1 2028",
                 "--session", "06/03/2028", "30/04/2028"]) == 1
    assert "à partir d'une action publiée ou archivée" in capsys.readouterr().err


def test_show_and_vote_one_action(db: Database, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    region = db.add(Funder.REGION, intitule="Maçon VRD")
    assert main(["action", "show", region.reference or ""]) == 0
    out = capsys.readouterr().out
    assert "Maçon VRD" in out and "En cours d'instruction" in out and "Session n° 2" in out
    assert "Code(s) Formacode * : 42752, 42745" in out
    assert main(["action", "vote", region.reference or ""]) == 0
    assert "validée par le vote de la Région" in capsys.readouterr().out
    assert db.get(region.id).status is Status.APPROVED
    assert main(["action", "vote", region.reference or ""]) == 0  # already: nothing to do
    assert main(["action", "show", "FB-999999"]) == 1
    assert "Action introuvable" in capsys.readouterr().err
