"""The dialogs as a whole: declared transitions, button payload sizes, the Mermaid graph."""

from __future__ import annotations

from datetime import date

import pytest

from dialogs.graph import mermaid
from dialogs.keyboards import MAX_PAYLOAD, Keyboard, payload
from dialogs.router import SCREENS, TRANSITIONS_SEEN
from domain.funders import Funder
from domain.models import Status
from tests.dialogs.support import World, fill
from tests.factories import make_valid_action


async def test_every_transition_taken_is_declared_for_the_graph(world: World) -> None:
    # A walk through most screens; then every screen change seen in this process must be declared.
    await world.add_action(make_valid_action(Funder.REGION, organisation_id=world.org_a, status=Status.PUBLISHED))
    client = world.client()
    await client.command("nouvelle")
    await client.press("Région")
    await fill(client)
    await client.press("➕ Ajouter la session n° 1")
    await fill(client)
    await client.press("Terminer votre saisie")
    await client.press("✏ Présentation générale")
    await client.press("⬅ Retour au récapitulatif")
    await client.press("✖ Quitter")
    await client.press("Non, continuer la saisie")
    await client.press("💾 Sauvegarder")
    await client.press("📅 Mettre à jour des dates de session")
    undeclared = {(a, b) for a, b in TRANSITIONS_SEEN if a != b and b not in SCREENS[a].targets}
    assert not undeclared, undeclared


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
    for label in ("Publiées (1)", big.reference, "📅 Mettre à jour les dates", "Session n° 1"):
        await client.press(label)
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
