"""The LHEO use cases (``domain/services/lheo.py``) on the in-memory unit of work, with the LHEO
files stubbed: they reach the XML and CSV files only through ``domain.ports.LheoFiles``, so the
command line, the daily job and the chat can all call them on whatever the composition root wires."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from domain.events import ExportLeftOut, OfaaReferenceReceived
from domain.lheo import (
    CATALOGUE_MAX_BYTES,
    EXPORT_PAGE,
    CatalogueTooLarge,
    ExportReport,
    LeftOut,
    LheoError,
    OfaaRow,
    ReadDrafts,
)
from domain.models import Action, Organisation, Status
from domain.ports import BetweenPages
from domain.services import lheo
from domain.services.member import Member
from tests.factories import FACTORY_TODAY, make_organisation, make_session, make_valid_action
from tests.fakes import FakeUnitOfWork, Store

NOW = datetime(2027, 1, 4, 6, tzinfo=UTC)


class StubFiles:
    """``LheoFiles`` in memory: a snapshot of given actions, an export file that keeps what it is
    given, drafts and Ofaa lines handed back as they are."""

    def __init__(self, actions: Sequence[Action] = (), drafts: Sequence[Action] = (),
                 ofaa: Sequence[OfaaRow] = ()) -> None:
        self.actions, self.drafts, self.ofaa = list(actions), list(drafts), list(ofaa)
        self.written: list[Action] = []
        self.report = ExportReport()

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[StubFiles]:
        yield self

    async def items(self, statuses: Sequence[Status], *, page_size: int = EXPORT_PAGE,
                    between_pages: BetweenPages | None = None) -> AsyncIterator[tuple[Action, Organisation]]:
        for action in self.actions:
            if action.status in statuses:
                yield action, make_organisation()

    def export_file(self, out: Path, *, now: datetime, progress: object = None) -> StubFiles:
        return self

    def __enter__(self) -> StubFiles:
        return self

    def __exit__(self, *exc: object) -> None:
        self.report.formations = len(self.written)

    def write(self, action: Action, organisation: Organisation) -> bool:
        self.written.append(action)
        return True

    def read_drafts(self, path: Path, organisation_id: int, *, today: date,
                    progress: object = None) -> ReadDrafts:
        return ReadDrafts(actions=list(self.drafts), lines=[f"{len(self.drafts)} action(s) lue(s)"])

    def read_ofaa(self, path: Path) -> tuple[list[OfaaRow], list[str]]:
        return list(self.ofaa), ["ligne 4 : reference_ofaa vide."]


async def test_an_export_writes_the_actions_of_its_scope_only() -> None:
    ended = [make_session(FACTORY_TODAY - timedelta(days=60), FACTORY_TODAY - timedelta(days=30))]
    public = make_valid_action(status=Status.PUBLISHED, intitule="public")
    past = make_valid_action(status=Status.PUBLISHED, intitule="past", sessions=ended)
    archived = make_valid_action(status=Status.ARCHIVED, intitule="archived",
                                 archived_on=FACTORY_TODAY - timedelta(days=10), sessions=ended)
    draft = make_valid_action(intitule="draft")
    for scope, expected in (("public", ["public"]), ("ofaa", ["public", "archived"])):
        files = StubFiles(actions=[public, past, archived, draft])
        report = await lheo.export_actions(files, Path("offre.xml"), scope,  # type: ignore[arg-type]
                                           today=FACTORY_TODAY, now=NOW)
        assert [a.intitule for a in files.written] == expected
        assert report.formations == len(expected)


async def test_the_ofaa_references_are_recorded_and_told_once() -> None:
    store = Store()
    async with FakeUnitOfWork(store) as uow:
        action = await uow.actions_for_organisation(7).add(
            make_valid_action(status=Status.PUBLISHED, reference_carif="C-1"))
        await uow.commit()
    files = StubFiles(ofaa=[OfaaRow(2, "C-1", "O-1"), OfaaRow(3, "C-9", "O-9")])
    result, changed = await lheo.import_ofaa_file(lambda: FakeUnitOfWork(store), files, Path("f.csv"))
    assert changed == 1 and store.actions[action.id or 0].reference_ofaa == "O-1"
    assert store.events == [OfaaReferenceReceived(action.id, 7, reference_ofaa="O-1")]
    assert [p.split(" :")[0] for p in result.problems] == ["ligne 3", "ligne 4"]
    _, again = await lheo.import_ofaa_file(lambda: FakeUnitOfWork(store), files, Path("f.csv"))
    assert again == 0 and len(store.events) == 1


async def stored_organisation(store: Store) -> Organisation:
    async with FakeUnitOfWork(store) as uow:
        organisation = await uow.organisations.add(make_organisation())
        await uow.commit()
    assert organisation.id is not None
    return organisation


async def test_an_lheo_import_stores_its_drafts_unless_dry_run() -> None:
    store = Store()
    organisation = await stored_organisation(store)
    assert organisation.id is not None
    files = StubFiles(drafts=[make_valid_action(organisation_id=organisation.id)])
    factory = lambda: FakeUnitOfWork(store)  # noqa: E731
    trial = await lheo.import_lheo_file(factory, files, Path("f.xml"), organisation.id,
                                        today=FACTORY_TODAY, dry_run=True)
    assert trial.dry_run and trial.stored == [] and store.actions == {}
    with pytest.raises(LheoError):
        await lheo.import_lheo_file(factory, files, Path("f.xml"), 999, today=FACTORY_TODAY)
    outcome = await lheo.import_lheo_file(factory, files, Path("f.xml"), organisation.id,
                                          today=FACTORY_TODAY)
    assert outcome.lines == ["1 action(s) lue(s)"] and len(outcome.stored) == len(store.actions) == 1


async def test_an_action_left_out_of_both_exports_is_told_once() -> None:
    store = Store()
    item = LeftOut(reference="FB-000001", action_id=1, organisation_id=7, issues=("x",))
    told = await lheo.report_left_out(lambda: FakeUnitOfWork(store), [item, item], FACTORY_TODAY)
    assert told == 1 and [type(e) for e in store.events] == [ExportLeftOut]
    assert await lheo.report_left_out(lambda: FakeUnitOfWork(store), [], FACTORY_TODAY) == 0


async def test_a_catalogue_sent_in_the_chat_is_stored_in_the_members_scope_within_its_size() -> None:
    store = Store()
    organisation = await stored_organisation(store)
    assert organisation.id is not None
    member = Member(organisation.id, user_id=7001)

    class Counted(StubFiles):
        reads = 0

        def read_drafts(
            self, path: Path | bytes, organisation_id: int, *, today: date, progress: object = None
        ) -> ReadDrafts:
            Counted.reads += 1
            assert path == b"<lheo/>" and organisation_id == member.organisation_id
            return super().read_drafts(Path("-"), organisation_id, today=today)

    files = Counted(
        drafts=[make_valid_action(organisation_id=organisation.id, intitule="Plaquiste")]
    )
    with pytest.raises(CatalogueTooLarge, match="5 Mo au plus"):
        async with FakeUnitOfWork(store) as uow:
            await lheo.import_catalogue(
                uow, member, files, b" " * (CATALOGUE_MAX_BYTES + 1), today=FACTORY_TODAY
            )
    assert Counted.reads == 0 and store.actions == {}  # refused before it is read
    async with FakeUnitOfWork(store) as uow:
        stored = await lheo.import_catalogue(uow, member, files, b"<lheo/>", today=FACTORY_TODAY)
        await uow.commit()
    assert [a.intitule for a in stored] == ["Plaquiste"] and stored[0].id in store.actions
    assert stored[0].organisation_id == organisation.id and stored[0].status is Status.DRAFT
