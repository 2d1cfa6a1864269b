"""Issue 13, findings 9 and 11, through the fake Bot API with the real bot.

- A forged « Quitter » on a fiche question (a button that question never shows), the global dates
  button with « ² » (a digit for Python's ``isdigit``) or a number past any database integer: each
  is refused before a screen reads it, nothing raises, and nothing the organisation wrote (its
  fiche's e-mail, phone, contact) reaches the logs.
- A long answer (3 000 characters over many lines, full of « < » and « & », which HTML makes three
  times longer) does not make its question impossible to show: revisiting it works, and every
  message the bot sends is one Telegram (the fake's strict parser) accepts.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.logs import LEAKY_LOGGERS, setup_logging
from domain.models import Contact
from tests.e2e.reliability_support import (
    Person,
    Scene,
    incidents,
    scene,
)
from tests.e2e.support import running_bot

EMAIL = "zephirine.secrete@forma-sud.fr"
PHONE = "05 61 42 42 42"
CONTACT_NAME = "Zéphirine-Confidentielle"
UNEXPECTED = "Ce bouton ne s'applique pas ici"


@contextmanager
def json_logs() -> Iterator[io.StringIO]:
    """The bot's real log output (``setup_logging``, at DEBUG) captured in a string."""
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, {n: logging.getLogger(n).level for n in LEAKY_LOGGERS})
    setup_logging("DEBUG", stream)
    try:
        yield stream
    finally:
        root.handlers[:], level, levels = saved
        root.setLevel(level)
        for name, value in levels.items():
            logging.getLogger(name).setLevel(value)


# The personal data of Forma Sud's fiche that no log line may show.
FICHE = {
    "courriel": EMAIL, "telephone": PHONE,
    "contact": Contact(nom=CONTACT_NAME, prenom="Claire", telephone=PHONE, courriel=EMAIL),
}


def _clean(s: Scene, person: Person) -> None:
    assert incidents([person.user]) == []
    assert s.tracker.errors == []
    assert s.logs.lines() == []
    refused = [f"{r.method}: {r.description}" for r in s.api.failed_requests() if r.method.lower() != "getupdates"]
    assert refused == []


async def test_forged_buttons_on_a_fiche_question_are_refused_and_log_no_personal_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with json_logs() as logs:
        async with scene(tmp_path, monkeypatch, fiche=FICHE) as s:
            async with running_bot(s.settings):
                claire = await s.member(1001, "Claire")
                await claire.tap("fiche")
                await claire.tap("f", "telephone")
                assert "Téléphone" in claire.text and not claire.offers("quit")
                # Buttons an action's question has, forged on the fiche's question.
                for verb in ("quit", "save", "done"):
                    await claire.tap(verb)
                    assert UNEXPECTED in claire.text, claire.text
                    assert "Téléphone" in claire.text  # still the same question
                # Digits Python reads as digits, and numbers past a database integer.
                for data in ("g:dates:²", "g:dates:١٢", "g:dates:99999999999999999999999",
                             "g:dates:-1", "g:dates: 7"):
                    await claire.callback(data)
                for verb, arg in (("f", "²"), ("f", "telephone:x"), ("pg", "99999999999999999999")):
                    await claire.tap(verb, arg)
                await claire.command("menu")
                await claire.tap("fiche")
                await claire.tap("f", "telephone")
                # The question still works after all that.
                await claire.say("05 61 11 22 33")
                assert "05 61 11 22 33" in claire.text
                assert claire.unanswered() == []
            _clean(s, claire)
    output = logs.getvalue()
    assert "button payload refused" in output  # the refusals are logged, by type and place
    for secret in (EMAIL, PHONE, CONTACT_NAME, "05 61 11 22 33"):
        assert secret not in output


LONG_ANSWER = "\n".join(
    f"Module {i} <{i}> : soudure TIG & MIG, « tôles < 3 mm » && contrôle > visuel" for i in range(40)
)[:3000]


async def test_a_long_answer_can_be_revisited_and_every_message_is_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with scene(tmp_path, monkeypatch, fiche=FICHE) as s:
        (draft,) = await s.store(s.action(intitule="Soudeur TIG"))
        async with running_bot(s.settings):
            claire = await s.member(1001, "Claire")
            await claire.tap("list", "draft")
            await claire.tap("view", draft.id)
            await claire.tap("modify")
            await claire.tap("group", 0)
            await claire.tap("f", "contenu")
            assert "Contenu de la formation" in claire.text
            # Over the field's 3 000 characters: refused with the reason, the question again.
            await claire.say("x" * 4000)
            assert "3\u202f000 au plus" in claire.text and "Contenu de la formation" in claire.text
            await claire.say(LONG_ANSWER)
            assert "Récapitulatif" in claire.text
            # Revisit it: the question shows the beginning of the answer and its length.
            await claire.tap("group", 0)
            await claire.tap("f", "contenu")
            assert "Contenu de la formation" in claire.text
            assert f"Réponse actuelle ({len(LONG_ANSWER):,} caractères)".replace(",", "\u202f") in claire.text
            assert "Module 0 <0> : soudure TIG & MIG" in claire.text
            # Keep it: back to the recap, which shows all of it, over several messages if needed.
            await claire.tap("keep")
            assert "Module 39 <39>" in claire.text
        _clean(s, claire)
