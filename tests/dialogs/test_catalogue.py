"""An organisation's LHEO catalogue sent in the chat becomes drafts to complete (issue 16 item 5),
on both storages; the importer is the real one (``storage.lheo``), the bytes as the channel reads
them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from dialogs.engine import DialogEngine
from dialogs.testing import DialogClient
from domain.lheo import ReadDrafts
from domain.models import Document
from domain.rules import validate_action
from storage.lheo.import_ import describe, read_lheo
from tests.dialogs.support import ORG_B_USER, World, current_field, fill
from tests.dialogs.test_intake import start_action
from tests.labels import label

AFPA = (
    Path(__file__).resolve().parents[1]
    / "data"
    / "lheo"
    / "intercarif-centre-afpa-2.2-pseudonymised.xml"
)


class ImporterFiles:
    """The LHEO files' reading side, as ``storage.lheo.files.SqlLheoFiles`` does it."""

    def read_drafts(
        self, path: Path | bytes, organisation_id: int, *, today: date, progress: object = None
    ) -> ReadDrafts:
        result = read_lheo(path, organisation_id, today=today)
        return ReadDrafts(actions=result.actions, lines=describe(result))


def with_importer(world: World, user: int | None = None) -> DialogClient:
    engine = DialogEngine(
        world.uow_factory, world.clock, staff_ids=(9001,), lheo_files=ImporterFiles()
    )  # type: ignore[arg-type]
    return (
        DialogClient(engine, user)
        if user is not None
        else DialogClient(engine, world.client().user_id)
    )


async def send_catalogue(client: DialogClient, content: bytes | None) -> None:
    size = len(content) if content is not None else 4096
    await client.document(
        Document(file_id="f1", file_name="offres.xml", mime_type="text/xml", size=size), content
    )


async def test_each_draft_opens_at_its_first_question_to_complete(world: World) -> None:
    client = with_importer(world)
    await client.command("menu")
    await send_catalogue(client, AFPA.read_bytes())
    assert "Votre catalogue est importé : 2 action(s)" in client.text
    drafts = sorted(await world.actions(), key=lambda a: a.id or 0)
    assert [a.organisation_id for a in drafts] == [world.org_a, world.org_a]
    lacks = validate_action(drafts[0], world.clock.today())
    assert lacks and all(p.message in client.text for p in lacks[:6])  # what each draft lacks
    await client.press("✏ Compléter n° 1")
    first = next(p for p in lacks if p.key is not None)
    assert current_field(client).key == first.key and first.message in client.text
    await client.press(label("save"))
    await client.command("menu")
    assert "En cours de création (2)" in " ".join(client.labels)
    await client.press("📥 Votre catalogue importé (2)")  # the others, one by one
    await client.press("✏ Compléter n° 2")
    assert current_field(client) is not None and "⚠️" in client.text


async def test_a_file_not_read_or_hostile_is_refused_and_nothing_stored(world: World) -> None:
    client = with_importer(world)
    await client.command("menu")
    await send_catalogue(client, None)  # the channel could not read it (or it was too large to try)
    assert "Je n'ai pas pu lire ce fichier" in client.text
    await send_catalogue(
        client, b'<!DOCTYPE lheo [<!ENTITY x SYSTEM "file:///etc/passwd">]><lheo>&x;</lheo>'
    )
    assert "Fichier refusé par sécurité" in client.text and "Rien n'a été enregistré" in client.text
    await send_catalogue(client, b"<offres/>")
    assert "la racine est <offres>, un fichier LHEO commence par <lheo>" in client.text
    assert await world.actions() == []
    assert "Vos actions de formation" in client.text


async def test_a_file_in_another_format_says_how_to_send_a_catalogue(world: World) -> None:
    client = with_importer(world)
    await client.command("menu")
    await client.document(
        Document(file_id="f2", file_name="offres.csv", mime_type="text/csv", size=900)
    )
    assert (
        "Format non accepté" in client.text
        and "envoyez son fichier LHEO 2.2 ou 2.3 (.xml" in client.text
    )
    await client.document(
        Document(file_id="f3", file_name="c.pdf", mime_type="application/pdf", size=2**25)
    )
    assert (
        "Fichier trop lourd" in client.text and "LHEO" not in client.text
    )  # a justification, too heavy
    assert await world.actions() == []


async def test_a_form_with_unsaved_answers_comes_first(world: World) -> None:
    client = await start_action(world)
    await fill(client)  # the general data, not saved: the sessions screen
    importer = with_importer(world)
    await send_catalogue(importer, AFPA.read_bytes())
    assert "sauvegardez-la ou quittez-la" in importer.text
    assert await world.actions() == []


async def test_the_drafts_are_the_senders_organisations_only(world: World) -> None:
    other = with_importer(world, ORG_B_USER)
    await other.command("menu")
    await send_catalogue(other, AFPA.read_bytes())
    assert {a.organisation_id for a in await world.actions()} == {world.org_b}
    mine = with_importer(world)
    await mine.command("menu")
    assert "En cours de création (0)" in mine.labels
    assert "En cours de création (2)" in (await other.command("menu"), other.labels)[1]


async def test_a_long_catalogue_lists_the_first_thirty(world: World) -> None:
    minimal = (AFPA.parent / "exemple-minimal-2.3-synthetique.xml").read_text(encoding="utf-8")
    start, end = minimal.index("<formation "), minimal.index("</formation>") + len("</formation>")
    content = minimal[:start] + "\n".join([minimal[start:end]] * 32) + minimal[end:]
    client = with_importer(world)
    await client.command("menu")
    await send_catalogue(client, content.encode())
    assert "Votre catalogue est importé : 32 action(s)" in client.text
    assert "… et 2 autre(s)" in client.text
    assert len([t for t in client.labels if t.startswith("✏ Compléter n° ")]) == 30
    assert len(await world.actions()) == 32
