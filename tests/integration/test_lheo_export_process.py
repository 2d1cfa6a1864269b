"""The daily job's LHEO export runs in a child process (``storage.lheo.export_process``, issue 17):
the bot's event loop stays free for the people chatting. The child writes the file the bot's own
process would write, byte for byte, and its report (what was written, what was left out and why)
comes back whole; with nothing to export, ``NothingToExport`` is raised in the bot as in-process.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from domain.lheo import NothingToExport
from domain.models import Status
from domain.services.lheo import export_actions
from storage.lheo.files import SqlLheoFiles
from storage.uow import SqlUnitOfWorkFactory
from tests.factories import make_organisation
from tests.integration.conftest import TODAY
from tests.integration.test_lheo_snapshot import NOW, add, organisations


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """The command lines of the child processes started."""
    started: list[tuple[Any, ...]] = []
    original = asyncio.create_subprocess_exec

    async def spy(*args: Any, **kwargs: Any) -> asyncio.subprocess.Process:
        started.append(args)
        return await original(*args, **kwargs)

    monkeypatch.setattr(asyncio, "create_subprocess_exec", spy)
    return started


async def test_the_child_writes_the_same_file_and_report_as_the_bot(
    uow_factory: SqlUnitOfWorkFactory, tmp_path: Path, children: list[tuple[Any, ...]]
) -> None:
    orgs = await organisations(uow_factory)
    async with uow_factory() as uow:
        bare = await uow.organisations.add(make_organisation(id=None, siret="44306184100047",
                                                             numero_activite=None))
        await uow.commit()
    assert bare.id is not None
    for n in range(5):
        await add(uow_factory, orgs[n % 2], Status.PUBLISHED, f"Publiée {n}")
    await add(uow_factory, orgs[0], Status.ARCHIVED, "Archivée")
    orphan = await add(uow_factory, bare.id, Status.PUBLISHED, "Fiche incomplète")
    files = SqlLheoFiles(uow_factory.engine)
    for scope in ("public", "ofaa"):
        child = await files.export_off_loop(tmp_path / f"child-{scope}.xml", scope, today=TODAY, now=NOW)
        here = await export_actions(files, tmp_path / f"here-{scope}.xml", scope, today=TODAY, now=NOW)
        assert (tmp_path / f"child-{scope}.xml").read_bytes() == (tmp_path / f"here-{scope}.xml").read_bytes()
        assert (child.formations, child.sessions, child.left_out) == (here.formations, here.sessions, here.left_out)
        assert child.path == tmp_path / f"child-{scope}.xml"
        assert [item.reference for item in child.left_out] == [orphan.reference]
    assert [args[1:3] for args in children] == [("-m", "storage.lheo.export_child")] * 2


async def test_nothing_to_export_is_raised_in_the_bot(
    uow_factory: SqlUnitOfWorkFactory, tmp_path: Path, children: list[tuple[Any, ...]]
) -> None:
    async with uow_factory() as uow:
        bare = await uow.organisations.add(make_organisation(id=None, numero_activite=None))
        await uow.commit()
    assert bare.id is not None
    orphan = await add(uow_factory, bare.id, Status.PUBLISHED, "Fiche incomplète")
    with pytest.raises(NothingToExport) as raised:
        await SqlLheoFiles(uow_factory.engine).export_off_loop(tmp_path / "x.xml", "public", today=TODAY, now=NOW)
    assert [item.reference for item in raised.value.left_out] == [orphan.reference]
    assert "Numéro de déclaration d'activité" in raised.value.left_out[0].missing
    assert not (tmp_path / "x.xml").exists()
    assert len(children) == 1
