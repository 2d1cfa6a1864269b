"""The LHEO export reads one consistent snapshot (issue 13, finding 8), on SQLite and PostgreSQL.

Paging by OFFSET over one short transaction per page wrote an action twice when another one was
published between two pages (and skipped one when an action left the list). With a page size of 2
and writers working between the pages, every action is now in the file exactly once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from lxml import etree

from domain.funders import Funder
from domain.models import Action, Organisation, Status
from domain.services.lheo import export_actions
from storage.lheo.files import SqlLheoFiles
from storage.lheo.schema import LHEO_NS
from storage.lheo.snapshot import export_snapshot
from storage.lheo.validate import validate_lheo
from storage.uow import SqlUnitOfWorkFactory
from tests.factories import make_organisation, make_valid_action
from tests.integration.conftest import TODAY

NS = {"l": LHEO_NS}
NOW = datetime(2027, 1, 4, 6, 0, tzinfo=UTC)


def numeros(path: Path) -> list[str]:
    return [str(n) for n in etree.parse(str(path)).xpath("//l:formation/@numero", namespaces=NS)]


async def add(factory: SqlUnitOfWorkFactory, organisation_id: int, status: Status, title: str) -> Action:
    async with factory() as uow:
        repository = uow.all_actions()  # seeding any status
        action = await repository.add(make_valid_action(Funder.REGION, organisation_id=organisation_id,
                                                        intitule=title))
        if status is not Status.DRAFT:
            action.status = status
            if status is Status.ARCHIVED:
                action.archived_on = date(2026, 12, 20)
            await repository.save(action)
        await uow.commit()
    return action


async def change(factory: SqlUnitOfWorkFactory, action_id: int | None, **values: object) -> None:
    async with factory() as uow:
        repository = uow.all_actions()
        action = await repository.get(int(action_id or 0))
        assert action is not None
        for key, value in values.items():
            setattr(action, key, value)
        await repository.save(action)
        await uow.commit()


async def organisations(factory: SqlUnitOfWorkFactory) -> list[int]:
    async with factory() as uow:
        a = await uow.organisations.add(make_organisation(id=None))
        b = await uow.organisations.add(make_organisation(id=None, siret="35600000000048",
                                                          raison_sociale="Forma Nord"))
        await uow.commit()
    assert a.id is not None and b.id is not None
    return [a.id, b.id]


async def test_actions_published_meanwhile_are_never_written_twice(
    uow_factory: SqlUnitOfWorkFactory, tmp_path: Path
) -> None:
    orgs = await organisations(uow_factory)
    drafts = [await add(uow_factory, orgs[0], Status.DRAFT, f"Brouillon {n}") for n in range(2)]
    published = [await add(uow_factory, orgs[n % 2], Status.PUBLISHED, f"Publiée {n}") for n in range(7)]
    calls: list[str] = []

    async def between_pages() -> None:
        # A writer works between two pages: an older draft published, a new action published,
        # an action not read yet archived, an action already read renamed.
        step = len(calls)
        if step == 0:
            await change(uow_factory, drafts[0].id, status=Status.PUBLISHED)
            calls.append("older draft published")
        elif step == 1:
            await add(uow_factory, orgs[1], Status.PUBLISHED, "Nouvelle")
            calls.append("new action published")
        elif step == 2:
            await change(uow_factory, published[-1].id, status=Status.ARCHIVED, archived_on=TODAY)
            await change(uow_factory, published[0].id, intitule="Renommée")
            calls.append("archived and renamed")

    out = tmp_path / "offre.xml"
    report = await export_actions(SqlLheoFiles(uow_factory.engine), out, "public", today=TODAY, now=NOW, page_size=2,
                                  between_pages=between_pages)
    assert len(calls) == 3
    assert sorted(numeros(out)) == [a.reference for a in published]  # each exactly once
    assert report.formations == len(published) and not report.left_out
    assert "Renommée" not in out.read_text(encoding="utf-8")  # the snapshot of the first read
    assert validate_lheo(out).valid

    # The next export sees the new state, each action once again.
    again = tmp_path / "again.xml"
    await export_actions(SqlLheoFiles(uow_factory.engine), again, "public", today=TODAY, now=NOW, page_size=2)
    expected = [*sorted([drafts[0].reference, *(a.reference for a in published[:-1])]), "FB-000010"]
    assert numeros(again) == expected


async def test_ofaa_scope_reads_published_and_archived_in_one_pass(
    uow_factory: SqlUnitOfWorkFactory, tmp_path: Path
) -> None:
    """An action archived while the export runs is not read once as published, then again as
    archived."""
    orgs = await organisations(uow_factory)
    actions = [await add(uow_factory, orgs[0], Status.PUBLISHED, f"Publiée {n}") for n in range(5)]
    archived = await add(uow_factory, orgs[1], Status.ARCHIVED, "Archivée")

    async def archive_what_was_read() -> None:
        if not done:  # the first and the last: one of them was read in the first page
            for action in (actions[0], actions[-1]):
                await change(uow_factory, action.id, status=Status.ARCHIVED, archived_on=TODAY)
            done.append(True)

    done: list[bool] = []

    out = tmp_path / "ofaa.xml"
    await export_actions(SqlLheoFiles(uow_factory.engine), out, "ofaa", today=TODAY, now=NOW, page_size=2,
                         between_pages=archive_what_was_read)
    assert done
    assert sorted(numeros(out)) == [a.reference for a in [*actions, archived]]
    assert validate_lheo(out).valid


async def test_the_snapshot_pages_on_the_key_and_reads_each_organisation_once(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    orgs = await organisations(uow_factory)
    for n in range(5):
        await add(uow_factory, orgs[n % 2], Status.PUBLISHED, f"Publiée {n}")
    async with export_snapshot(uow_factory.engine) as snapshot:
        pages = [[a.id for a in page] async for page in snapshot.pages([Status.PUBLISHED], page_size=2)]
        seen: list[tuple[int | None, Organisation]] = [
            (a.id, o) async for a, o in snapshot.items([Status.PUBLISHED], page_size=2)
        ]
    assert pages == [[1, 2], [3, 4], [5]]
    assert [a for a, _ in seen] == [1, 2, 3, 4, 5]
    assert {o.id for _, o in seen} == set(orgs)
    assert len({id(o) for _, o in seen}) == 2  # one object per organisation
