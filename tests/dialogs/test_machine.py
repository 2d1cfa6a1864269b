"""The dialogs as a whole: declared transitions, button payload sizes, the Mermaid graph."""

from __future__ import annotations

import logging
from datetime import date

import pytest

import dialogs.router
from dialogs.graph import mermaid
from dialogs.keyboards import MAX_PAYLOAD, Keyboard, payload
from dialogs.render import label
from dialogs.router import SCREENS, Screen, UndeclaredTransition, button, check_transition
from dialogs.state import DialogState, ScreenName
from domain.funders import Funder
from domain.models import Status
from tests.dialogs.support import World, fill
from tests.factories import make_valid_action


async def test_every_transition_taken_is_declared_for_the_graph(world: World) -> None:
    # A walk through most screens: each screen change is checked against the screen's declared
    # targets when it happens (tests run strict: an undeclared one raises at once).
    assert dialogs.router.STRICT_TRANSITIONS
    await world.add_action(make_valid_action(Funder.REGION, organisation_id=world.org_a, status=Status.PUBLISHED))
    client = world.client()
    await client.command("nouvelle")
    await client.press("Région")
    await fill(client)
    await client.press(label("add_session", number=1))
    await fill(client)
    await client.press("Terminer votre saisie")
    await client.press(label("edit_group", group="Présentation générale"))
    await client.press(label("back_recap"))
    await client.press(label("quit"))
    await client.press("Non, continuer la saisie")
    await client.press(label("save"))  # saved, still on the récapitulatif (issue 15 item 5)
    await client.command("menu")
    await client.press("📅 Mettre à jour des sessions")
    assert "dates" in client.text.lower()


def test_an_undeclared_transition_raises_in_tests_and_is_logged_in_production(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    st = DialogState(screen=ScreenName.STAFF_VOTE)  # declares only STAFF_MENU
    check_transition(ScreenName.STAFF_VOTE, st)  # staying is always fine
    st.screen = ScreenName.STAFF_MENU
    check_transition(ScreenName.STAFF_VOTE, st)
    st.screen = ScreenName.RECAP
    with pytest.raises(UndeclaredTransition):
        check_transition(ScreenName.STAFF_VOTE, st)
    monkeypatch.setattr(dialogs.router, "STRICT_TRANSITIONS", False)
    with caplog.at_level(logging.ERROR, logger="dialogs.router"):
        check_transition(ScreenName.STAFF_VOTE, st)
    assert [r.message for r in caplog.records] == ["undeclared screen transition"]
    assert st.screen is ScreenName.RECAP  # a real screen: the half-done step goes on there


async def test_an_undeclared_transition_is_caught_when_it_happens(world: World) -> None:
    # A screen whose button leads somewhere it did not declare: the very press raises, whatever
    # ran before (no set of transitions collected by earlier tests).
    handler = SCREENS[ScreenName.FICHE].buttons["menu"]
    original = getattr(type(SCREENS[ScreenName.FICHE]), handler)

    async def misroute(self: Screen, ctx: object, st: DialogState, arg: str) -> None:
        st.screen = ScreenName.STAFF_VOTE

    client = world.client()
    await client.command("menu")
    await client.press(label("fiche"))
    setattr(type(SCREENS[ScreenName.FICHE]), handler, misroute)
    try:
        with pytest.raises(UndeclaredTransition):
            await client.press(label("menu"))
    finally:
        setattr(type(SCREENS[ScreenName.FICHE]), handler, original)


def test_screen_names_are_an_enum_and_every_one_is_a_screen() -> None:
    assert set(SCREENS) == set(ScreenName)
    for name, screen in SCREENS.items():
        assert screen.name is name
        assert all(isinstance(t, ScreenName) for t in screen.targets)
    with pytest.raises(AttributeError):
        getattr(ScreenName, "MENUU")  # noqa: B009  # a misspelt name fails at once


def test_each_verb_is_bound_to_one_handler() -> None:
    class Probe(Screen):
        @button("a", "b")
        async def ab(self, ctx: object, st: DialogState, arg: str) -> None:
            st.notice = arg

    class Child(Probe):
        @button("b")
        async def b(self, ctx: object, st: DialogState, arg: str) -> None:
            st.error = arg

    assert Probe.buttons == {"a": "ab", "b": "ab"}
    assert Child.buttons == {"a": "ab", "b": "b"}  # a subclass rebinds a verb
    for screen in SCREENS.values():
        for verb, method in screen.buttons.items():
            assert callable(getattr(screen, method)), (screen.name, verb)


def test_a_stored_state_with_plain_strings_and_extra_keys_still_loads() -> None:
    old = {
        "screen": "dates_input", "home": "menu", "seq": 4,
        "extra": {"quit_from": "sessions", "new_debut": "12/01/2027", "reason": "Hors délai",
                  "funder": "pole_emploi", "pick": "session:2", "reference_carif": "CO-1",
                  "fiche_then": "confirm_ask", "fiche_base": {"id": 1},
                  "justif_document": {"file_id": "F", "file_name": "a.pdf", "mime_type": "application/pdf",
                                      "size": 10}},
    }
    st = DialogState.model_validate(old)
    assert st.screen is ScreenName.DATES_INPUT and st.home is ScreenName.MENU
    assert st.quit_from is ScreenName.SESSIONS and st.new_debut == "12/01/2027"
    assert st.refusal_reason == "Hors délai" and st.validator_funder == "pole_emploi"
    assert (st.pick_kind, st.pick_index) == ("session", 2)
    assert st.reference_carif == "CO-1" and st.fiche_then is ScreenName.CONFIRM_ASK
    assert st.fiche_base == {"id": 1}
    assert st.pending_document is not None and st.pending_document.file_name == "a.pdf"
    # Stored again as plain strings, and read back the same.
    dumped = st.model_dump(mode="json")
    assert dumped["screen"] == "dates_input" and "extra" not in dumped
    assert DialogState.model_validate(dumped) == st
    # A screen no longer known: the user's home.
    assert DialogState.model_validate({"screen": "gone", "home": "staff_menu"}).screen is ScreenName.STAFF_MENU


def test_every_target_is_a_screen_and_the_graph_names_them() -> None:
    graph = mermaid()
    assert graph.startswith("stateDiagram-v2")
    for name, screen in SCREENS.items():
        for target in screen.targets:
            assert target in SCREENS, (name, target)
            if target != name:
                assert f"{name} --> {target}" in graph


def test_payload_over_64_bytes_is_refused_at_build_time() -> None:
    with pytest.raises(ValueError):
        payload(1, "f", "x" * 70)


async def test_every_button_shown_fits_telegram_64_bytes(world: World) -> None:
    # Large numbers everywhere: a long-lived conversation and big ids.
    big = await world.add_action(make_valid_action(Funder.REGION, organisation_id=world.org_a, status=Status.PUBLISHED))
    client = world.client()
    seen = []
    await client.command("menu")
    seen += client.labels
    for shown in ("Publiées (1)", big.reference, "📅 Mettre à jour les sessions", "Session n° 1"):
        await client.press(shown)
    await client.command("nouvelle")
    await client.press("Région")
    await fill(client, until="publics")
    await fill(client, until="debut")
    buttons = [b for r in client.transcript for row in r.buttons for b in row]
    assert buttons
    assert all(len(b.payload.encode()) <= MAX_PAYLOAD for b in buttons)
    kb = Keyboard(10**9)
    kb.calendar(date(2027, 12, 1)).add("x", "view", 10**12).add("x", "sm", "S2 2099").add("x", "f", "adresse_inscription")
    assert all(len(b.payload.encode()) <= MAX_PAYLOAD for row in kb.rows for b in row)


def test_the_readme_shows_the_current_graph() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "```mermaid\n" + mermaid().strip() + "\n```" in readme, "run `formabot dialogs graph` into the README"
