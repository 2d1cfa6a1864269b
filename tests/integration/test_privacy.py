"""``formabot member forget``: a person's links, conversation and attempts go; the organisation's
actions and their history stay, with the person's Telegram id replaced by a pseudonym that the
audit trail's trigger (migration 0002) lets through, and nothing else."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from bot.cli import main
from dialogs.engine import DialogEngine
from dialogs.testing import DialogClient
from domain.clock import FixedClock
from domain.events import Published
from domain.funders import Funder
from domain.ports import Membership, Role
from storage.privacy import forget_user
from storage.tables import actions, audit, conversations, link_attempts, link_codes, members, outbox
from storage.uow import SqlUnitOfWorkFactory
from tests.databases import prepared_sqlite
from tests.factories import make_valid_action
from tests.integration.conftest import TODAY, add_organisations

PERSON = 987_654_321  # an id no snapshot or date contains by chance
COLLEAGUE = 555_111_222


async def _rows(factory: SqlUnitOfWorkFactory, statement: Any) -> list[Any]:
    async with factory() as uow:
        return list((await uow.connection.execute(statement)).all())


async def _count(factory: SqlUnitOfWorkFactory, table: Any, *where: Any) -> int:
    async with factory() as uow:
        return int((await uow.connection.execute(select(func.count()).select_from(table).where(*where))).scalar_one())


async def _populate(factory: SqlUnitOfWorkFactory, clock: FixedClock, org_a: int, org_b: int) -> DialogEngine:
    """PERSON: linked to A and B (through the bot) and a validator, one wrong code, a conversation,
    actions of A they created and notifications; COLLEAGUE: linked to A, their own history."""
    engine = DialogEngine(factory, clock)
    async with factory(actor_user_id=PERSON) as uow:
        code_a = await uow.link_codes.create(Role.MEMBER, organisation_id=org_a)
        code_b = await uow.link_codes.create(Role.MEMBER, organisation_id=org_b)
        code_c = await uow.link_codes.create(Role.MEMBER, organisation_id=org_a)
        await uow.link_codes.create(Role.MEMBER, organisation_id=org_a, created_by=PERSON)  # as staff
        await uow.commit()

    person = DialogClient(engine, PERSON)
    await person.command("start", "AAAA-BBBB-CCCC")
    assert "n'est pas valable" in person.text
    for code in (code_a, code_b):
        await person.command("start", code)
        assert "Bienvenue" in person.text
    colleague = DialogClient(engine, COLLEAGUE)
    await colleague.command("start", code_c)
    assert "Bienvenue" in colleague.text

    async with factory(actor_user_id=PERSON) as uow:
        await uow.members.add(Membership(user_id=PERSON, role=Role.VALIDATOR, funder=Funder.POLE_EMPLOI))
        repo = uow.actions_for_organisation(org_a)
        first = await repo.add(make_valid_action(Funder.REGION, organisation_id=org_a, intitule="Soudeur TIG"))
        await uow.audit.record(PERSON, first, "created")
        uow.publish(Published(first.id, org_a, reference_carif="24_P_000001"))
        await uow.commit()
    async with factory(actor_user_id=COLLEAGUE) as uow:
        second = await uow.all_actions().add(
            make_valid_action(Funder.REGION, organisation_id=org_a, intitule="Cuisinier")
        )
        # Its audit row is the event's; the event's notice goes to PERSON (the one about the
        # first action does not: PERSON did that, and the actor of a change is not told of it).
        uow.publish(Published(second.id, org_a, reference_carif="24_P_000002"))
        await uow.commit()
    async with factory() as uow:  # a system change (no actor)
        await uow.audit.record(None, second, "archived")
        await uow.commit()
    return engine


def _audit_dump(rows: list[Any]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row._mapping.items() if k != "actor_user_id"} for row in rows]


async def test_forget_removes_the_person_and_keeps_the_organisations_actions(
    uow_factory: SqlUnitOfWorkFactory, clock: FixedClock, org_ids: tuple[int, int]
) -> None:
    org_a, org_b = org_ids
    engine = await _populate(uow_factory, clock, org_a, org_b)
    assert await _count(uow_factory, members, members.c.user_id == PERSON) == 3
    assert await _count(uow_factory, conversations, conversations.c.chat_id == PERSON) == 1
    assert await _count(uow_factory, link_attempts, link_attempts.c.user_id == PERSON) == 1
    assert await _count(uow_factory, outbox, outbox.c.chat_id == PERSON) == 1
    audit_before = await _rows(uow_factory, select(audit).order_by(audit.c.id))
    assert [r.actor_user_id for r in audit_before] == [PERSON, PERSON, COLLEAGUE, None]
    actions_before = await _rows(uow_factory, select(actions).order_by(actions.c.id))

    async with uow_factory() as uow:
        report = await forget_user(uow, PERSON)
        await uow.commit()

    assert report.found and report.pseudonym < 0
    assert [(link.role, link.organisation_id, link.funder) for link in report.links] == [
        ("member", org_a, None), ("member", org_b, None), ("validator", None, "pole-emploi"),
    ]
    assert report.links[0].organisation_name == "Organisme A"
    assert (report.conversations, report.link_attempts, report.notifications) == (1, 1, 1)
    assert (report.link_codes, report.audit_rows, report.kept_actions) == (3, 2, 2)

    # Gone: links, conversation, attempts, notifications to the person's chat.
    assert await _count(uow_factory, members, members.c.user_id == PERSON) == 0
    assert await _count(uow_factory, members, members.c.chat_id == PERSON) == 0
    assert await _count(uow_factory, conversations, conversations.c.chat_id == PERSON) == 0
    assert await _count(uow_factory, conversations, conversations.c.user_id == PERSON) == 0
    assert await _count(uow_factory, link_attempts, link_attempts.c.user_id == PERSON) == 0
    assert await _count(uow_factory, outbox, outbox.c.chat_id == PERSON) == 0
    # The colleague is untouched.
    assert await _count(uow_factory, members, members.c.user_id == COLLEAGUE) == 1
    assert await _count(uow_factory, conversations, conversations.c.chat_id == COLLEAGUE) == 1
    assert await _count(uow_factory, outbox, outbox.c.chat_id == COLLEAGUE) == 1

    # Kept: the actions as they were, every audit row, with the person's id pseudonymised.
    assert await _rows(uow_factory, select(actions).order_by(actions.c.id)) == actions_before
    audit_after = await _rows(uow_factory, select(audit).order_by(audit.c.id))
    assert _audit_dump(audit_after) == _audit_dump(audit_before)
    assert [r.actor_user_id for r in audit_after] == [report.pseudonym, report.pseudonym, COLLEAGUE, None]
    for row in audit_after:  # the clear id nowhere in the trail
        assert str(PERSON) not in json.dumps([row.actor_user_id, row.snapshot, row.details], default=str)
    # Used codes stay used (single use), by the pseudonym; the code the person issued too.
    codes = await _rows(uow_factory, select(link_codes.c.used_by, link_codes.c.created_by, link_codes.c.used_at))
    assert PERSON not in {c.used_by for c in codes} | {c.created_by for c in codes}
    assert sorted(c.used_by for c in codes if c.used_by is not None and c.used_by < 0) == [report.pseudonym] * 2
    assert [c.created_by for c in codes if c.created_by is not None] == [report.pseudonym]
    assert all(c.used_at is not None for c in codes if c.used_by is not None)

    # Forgetting again finds nothing more.
    async with uow_factory() as uow:
        again = await forget_user(uow, PERSON)
        await uow.commit()
    assert not again.found and again.links == ()

    # The bot no longer knows the person: an unknown user, told how to get a link code.
    person = DialogClient(engine, PERSON)
    await person.command("menu")
    assert "code de rattachement" in person.text
    assert "Vos actions de formation" not in person.text
    await person.send("Soudeur TIG")
    assert "code de rattachement" in person.text
    colleague = DialogClient(engine, COLLEAGUE)
    await colleague.command("menu")
    assert "code de rattachement" not in colleague.text


async def test_the_audit_trail_allows_only_pseudonymising_an_actor(
    uow_factory: SqlUnitOfWorkFactory, clock: FixedClock, org_ids: tuple[int, int]
) -> None:
    await _populate(uow_factory, clock, *org_ids)
    async with uow_factory() as uow:
        report = await forget_user(uow, PERSON)
        await uow.commit()
    pseudonym = report.pseudonym
    refused = (
        "UPDATE audit SET kind = 'x'",
        "DELETE FROM audit",
        f"DELETE FROM audit WHERE actor_user_id = {pseudonym}",
        f"UPDATE audit SET actor_user_id = {PERSON} WHERE actor_user_id = {pseudonym}",  # back
        f"UPDATE audit SET actor_user_id = -1 WHERE actor_user_id = {pseudonym}",  # again
        f"UPDATE audit SET actor_user_id = 1 WHERE actor_user_id = {COLLEAGUE}",  # not a pseudonym
        f"UPDATE audit SET actor_user_id = -1, kind = 'x' WHERE actor_user_id = {COLLEAGUE}",
        f"UPDATE audit SET actor_user_id = -1, snapshot = NULL WHERE actor_user_id = {COLLEAGUE}",
        f"UPDATE audit SET actor_user_id = -1, organisation_id = 0 WHERE actor_user_id = {COLLEAGUE}",
        "UPDATE audit SET actor_user_id = -1 WHERE actor_user_id IS NULL",  # a system row
        f"UPDATE audit SET actor_user_id = NULL WHERE actor_user_id = {COLLEAGUE}",
    )
    for statement in refused:
        async with uow_factory() as uow:
            with pytest.raises(DBAPIError, match="append-only"):
                await uow.connection.execute(text(statement))
    async with uow_factory() as uow:  # the one change allowed
        result = await uow.connection.execute(
            text(f"UPDATE audit SET actor_user_id = -7 WHERE actor_user_id = {COLLEAGUE}")
        )
        assert result.rowcount == 1
        await uow.rollback()


# The command line (SQLite) --------------------------------------------------------------------------


def test_member_forget_command_prints_what_was_removed_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def prepare(factory: SqlUnitOfWorkFactory) -> None:
        org_a, org_b = await add_organisations(factory)
        await _populate(factory, FixedClock(TODAY), org_a, org_b)

    url = prepared_sqlite(tmp_path / "bot.db", prepare, FixedClock(TODAY))
    monkeypatch.setenv("FORMABOT_DATABASE_URL", url)
    monkeypatch.setenv("FORMABOT_ADMIN_IDS", f"1,{PERSON}")

    assert main(["member", "forget", str(PERSON)]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0] == f"Utilisateur Telegram {PERSON} oublié."
    assert "  - rattachement : membre de l'organisme n° 1 « Organisme A »" in lines
    assert "  - rattachement : membre de l'organisme n° 2 « Organisme B »" in lines
    assert "  - rattachement : valideur Pôle emploi" in lines
    assert "  - tentatives de code de rattachement : 1" in lines
    assert "  - lignes du journal d'audit : 2" in lines
    assert any(line.startswith("  - les actions de formation des organismes") and "(2)" in line for line in lines)
    assert "FORMABOT_ADMIN_IDS" in captured.err

    assert main(["member", "forget", str(PERSON)]) == 0
    assert capsys.readouterr().out.strip() == f"Aucune donnée de l'utilisateur Telegram {PERSON} : rien à effacer."

    for bad in ("abc", "-5", "0"):
        with pytest.raises(SystemExit) as exit_info:
            main(["member", "forget", bad])
        assert exit_info.value.code == 2
    assert "identifiant" in capsys.readouterr().err
