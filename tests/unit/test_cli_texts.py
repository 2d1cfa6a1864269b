"""The command line's French output comes from ``dialogs/templates/cli.j2``, as plain text."""

from __future__ import annotations

from types import SimpleNamespace

from bot.commands import say


def test_plain_text_keeps_what_html_would_escape_and_the_indentation() -> None:
    assert say("org_created", name="Forma & Co <Sud>", code="ABC").splitlines() == [
        "Organisme « Forma & Co <Sud> » créé. Code de rattachement (usage unique, valable 7 jours) :",
        "  envoyez au bot : /start ABC",
    ]


def test_the_forget_report_lists_each_kind_of_data_once() -> None:
    report = SimpleNamespace(conversations=0, link_attempts=2, notifications=1, audit_rows=4, link_codes=1,
                             kept_actions=3)
    lines = say("forgotten", user_id=42, links=[], report=report).splitlines()
    assert lines[:4] == [
        "Utilisateur Telegram 42 oublié.",
        "Supprimé :",
        "  - aucun rattachement",
        "  - états de conversation : 0",
    ]
    assert lines[4] == "  - tentatives de code de rattachement : 2"
    assert lines[-1].startswith("  - les actions de formation des organismes auxquels il était rattaché (3)")
