"""The LHEO / Ofaa commands end to end, on a migrated SQLite database."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest
from lxml import etree

from bot.cli import main
from domain.clock import FixedClock
from domain.funders import Funder
from domain.models import Status
from storage.database import create_engine, upgrade
from storage.lheo.schema import LHEO_NS
from storage.uow import SqlUnitOfWorkFactory
from tests.factories import FACTORY_TODAY, make_organisation, make_valid_action

NS = {"l": LHEO_NS}
EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "lheo"  # copies of ../shared/lheo/examples


class Database:
    def __init__(self, url: str) -> None:
        self.url = url

    async def _run(self, coroutine_function: object) -> object:
        engine = create_engine(self.url)
        try:
            factory = SqlUnitOfWorkFactory(engine, FixedClock(FACTORY_TODAY))
            return await coroutine_function(factory)  # type: ignore[operator]
        finally:
            await engine.dispose()

    def run(self, coroutine_function: object) -> object:
        return asyncio.run(self._run(coroutine_function))


@pytest.fixture
def lheo_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    """A migrated SQLite database with one organisation and three actions, two published.

    ``FORMABOT_DATABASE_URL`` and ``FORMABOT_TODAY`` point the commands at it.
    """
    url = f"sqlite+aiosqlite:///{tmp_path}/lheo.db"
    asyncio.run(upgrade(url))
    db = Database(url)

    async def fill(factory: SqlUnitOfWorkFactory) -> None:
        async with factory() as uow:
            org = await uow.organisations.add(make_organisation(id=None))
            assert org.id is not None
            repository = uow.all_actions()
            for number, funder in enumerate((Funder.REGION, Funder.AGEFIPH, Funder.ETAT_EMPLOI)):
                action = await repository.add(make_valid_action(funder, organisation_id=org.id))
                if number < 2:  # the third stays a draft
                    action.status = Status.PUBLISHED
                    action.reference_carif = f"24_AF_{number + 1:07d}"
                    await repository.save(action)
            await uow.commit()

    db.run(fill)
    monkeypatch.setenv("FORMABOT_DATABASE_URL", url)
    monkeypatch.setenv("FORMABOT_TODAY", FACTORY_TODAY.isoformat())
    return db


def test_export_lheo_public(lheo_db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "offre.xml"
    assert main(["export", "lheo", "--out", str(out)]) == 0
    assert "2 action(s), 4 session(s)" in capsys.readouterr().out
    root = etree.parse(str(out)).getroot()
    numeros = [f.get("numero") for f in root.iterfind("l:offres/l:formation", NS)]
    assert sorted(numeros) == ["FB-000001", "FB-000002"]
    assert main(["lheo", "validate", str(out)]) == 0
    assert "fichier LHEO 2.3 valide (2 formation(s))" in capsys.readouterr().out


def test_export_lheo_ofaa_scope_keeps_recently_archived(
    lheo_db: Database, tmp_path: Path
) -> None:
    async def archive_first(factory: SqlUnitOfWorkFactory) -> None:
        async with factory() as uow:
            action = await uow.all_actions().by_reference("FB-000001")
            assert action is not None
            action.status = Status.ARCHIVED
            action.archived_on = date(2026, 12, 20)
            await uow.all_actions().save(action)
            await uow.commit()

    lheo_db.run(archive_first)
    public, ofaa = tmp_path / "public.xml", tmp_path / "ofaa.xml"
    assert main(["export", "lheo", "--out", str(public), "--scope", "public"]) == 0
    assert main(["export", "lheo", "--out", str(ofaa), "--scope", "ofaa"]) == 0
    count = "count(//l:formation)"
    assert etree.parse(str(public)).xpath(count, namespaces=NS) == 1
    assert etree.parse(str(ofaa)).xpath(count, namespaces=NS) == 2


def test_validate_reports_errors_per_action(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORMABOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/unused.db")
    source = (EXAMPLES / "exemple-minimal-2.3-synthetique.xml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.xml"
    bad.write_text(source.replace("<certifiante>1</certifiante>", "<certifiante>oui</certifiante>"),
                   encoding="utf-8")
    assert main(["lheo", "validate", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "NON valide (1 erreur(s))" in out
    assert "Action FOR-0001 : élément certifiante : la valeur « oui » n'est pas dans la table" in out


def test_import_lheo_stores_drafts_in_one_go(
    lheo_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    afpa = EXAMPLES / "intercarif-centre-afpa-2.2-pseudonymised.xml"
    assert main(["import", "lheo", str(afpa), "--org", "1", "--dry-run"]) == 0
    assert "rien n'a été enregistré" in capsys.readouterr().out
    assert main(["import", "lheo", str(afpa), "--org", "1"]) == 0
    out = capsys.readouterr().out
    assert "2 brouillon(s) créé(s) : FB-000004, FB-000005." in out

    async def drafts(factory: SqlUnitOfWorkFactory) -> list[str | None]:
        async with factory() as uow:
            found = await uow.actions_for_organisation(1).list(Status.DRAFT)
            return [a.intitule for a in found]

    assert lheo_db.run(drafts) == ["Titre professionnel plaquiste"] * 2 + [
        "Cuisinier en restauration collective"
    ]


def test_import_refused_file_stores_nothing(
    lheo_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    anotea = EXAMPLES / "anotea-intercarif-data-test-2.2.xml"
    assert main(["import", "lheo", str(anotea), "--org", "1"]) == 1
    err = capsys.readouterr().err
    assert "4 erreurs" in err and "ligne 434 : élément SIRET" in err
    assert main(["import", "lheo", str(anotea.with_name("exemple-bts-onisep-2.2.xml")),
                 "--org", "99"]) == 1
    assert "Organisation 99 introuvable" in capsys.readouterr().err

    async def count(factory: SqlUnitOfWorkFactory) -> int:
        async with factory() as uow:
            return sum((await uow.all_actions().counts()).values())

    assert lheo_db.run(count) == 3


def test_import_ofaa_records_references(
    lheo_db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "ofaa.csv"
    csv.write_bytes(
        "\ufeffreference_carif;reference_ofaa\n24_AF_0000001;OF-1\n24_AF_0000404;OF-4\nmauvais\n"
        "FB-000002;OF-2\n".encode()
    )
    assert main(["import", "ofaa", str(csv)]) == 0
    out = capsys.readouterr().out
    assert "1 ligne(s) reconnue(s), 1 action(s) mise(s) à jour" in out
    assert "ligne 3 : référence Carif-Oref « 24_AF_0000404 » inconnue" in out
    assert "ligne 4 : 1 champ(s) au lieu de 2" in out
    # A formabot reference is not a Carif-Oref reference.
    assert "ligne 5 : référence Carif-Oref « FB-000002 » inconnue" in out

    async def references(factory: SqlUnitOfWorkFactory) -> list[str | None]:
        async with factory() as uow:
            first = await uow.all_actions().by_reference("FB-000001")
            second = await uow.all_actions().by_reference("FB-000002")
            assert first is not None and second is not None
            return [first.reference_ofaa, second.reference_ofaa]

    assert lheo_db.run(references) == ["OF-1", None]
    # Again: nothing changes, nothing is notified twice.
    assert main(["import", "ofaa", str(csv)]) == 0
    assert "0 action(s) mise(s) à jour" in capsys.readouterr().out


def test_export_leaves_out_the_action_of_an_incomplete_fiche_and_says_so(
    lheo_db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 13, finding 15: `org add --name --siret` makes a fiche without NDA, address, e-mail nor
    contact; its published action no longer blocks the others' export."""
    from sqlalchemy import select

    from domain.models import Organisation
    from domain.ports import Membership, Role
    from storage.tables import audit, outbox

    monkeypatch.setenv("FORMABOT_ADMIN_IDS", "301")

    async def incomplete_organisation_publishes(factory: SqlUnitOfWorkFactory) -> None:
        async with factory() as uow:
            org = await uow.organisations.add(Organisation(
                raison_sociale="Forma Nord", nom_organisme="Forma Nord", siret="35600000000048"))
            assert org.id is not None
            repository = uow.all_actions()  # seeding a published action
            action = await repository.add(make_valid_action(Funder.REGION, organisation_id=org.id,
                                                            intitule="Soudeur TIG"))
            action.status = Status.PUBLISHED
            await repository.save(action)
            await uow.members.add(Membership(user_id=301, role=Role.STAFF))
            await uow.commit()

    async def staff_notices(factory: SqlUnitOfWorkFactory) -> list[tuple[object, ...]]:
        async with factory() as uow:
            rows = await uow.connection.execute(
                select(outbox.c.chat_id, outbox.c.payload).where(outbox.c.kind == "export_left_out"))
            return [(row.chat_id, row.payload["event"]["reference"]) for row in rows]

    async def left_out_audit(factory: SqlUnitOfWorkFactory) -> list[tuple[object, ...]]:
        async with factory() as uow:
            rows = await uow.connection.execute(
                select(audit.c.action_id, audit.c.kind).where(audit.c.kind == "export_left_out"))
            return [tuple(row) for row in rows]

    lheo_db.run(incomplete_organisation_publishes)
    out = tmp_path / "offre.xml"
    assert main(["export", "lheo", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "2 action(s), 4 session(s)" in captured.out
    assert captured.err.splitlines() == [
        "Attention : 1 action(s) laissée(s) de côté, non conformes au schéma LHEO ou d'un organisme à la "
        "fiche incomplète (signalées au personnel du Carif-Oref) :",
        "  - FB-000004 « Soudeur TIG » : fiche de l'organisme n° 2 « Forma Nord » incomplète (manque : Numéro de "
        "déclaration d'activité, Adresse du siège, Courriel, Contact de l'organisme)",
    ]
    root = etree.parse(str(out)).getroot()
    assert sorted(f.get("numero") for f in root.iterfind("l:offres/l:formation", NS)) == ["FB-000001", "FB-000002"]
    assert main(["lheo", "validate", str(out)]) == 0
    # Told to staff (FORMABOT_ADMIN_IDS), once that day: a second export queues no second notice.
    assert lheo_db.run(staff_notices) == [(301, "FB-000004")]
    assert main(["export", "lheo", "--out", str(out)]) == 0
    assert lheo_db.run(staff_notices) == [(301, "FB-000004")]
    assert {row[1] for row in lheo_db.run(left_out_audit)} == {"export_left_out"}


def test_export_with_no_action_left_writes_no_file_and_fails(
    lheo_db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async def strip_the_fiche(factory: SqlUnitOfWorkFactory) -> None:
        async with factory() as uow:
            org = await uow.organisations.get(1)
            assert org is not None
            org.numero_activite = None
            await uow.organisations.save(org)
            await uow.commit()

    lheo_db.run(strip_the_fiche)
    out = tmp_path / "offre.xml"
    assert main(["export", "lheo", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "aucune action exportable, aucun fichier écrit" in err
    assert "FB-000001" in err and "FB-000002" in err and "Numéro de déclaration d'activité" in err
    assert not out.exists()
