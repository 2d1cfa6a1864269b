"""Hostile answers to every field of the catalogue, typed through Telegram (the real bot on the
fake Bot API): each gets a French error (« ⚠ ») or is accepted as a normalised value, never an
unhandled exception; the field still takes a valid answer afterwards.

Each field is opened from the récapitulatif of a complete draft created in storage (a Région draft;
an État one for the État fields), or from « Votre fiche organisme ». Telegram caps a user's message
at 4 096 characters: the 5 000 and 100 000 character answers are sent anyway, the bot must cope.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from domain.catalogue import ACTION_FIELDS, ORGANISATION_FIELDS, SESSION_FIELDS, FieldSpec, Kind
from domain.funders import Funder
from tests.e2e.reliability_support import (
    INCIDENT,
    ErrorLogs,
    Person,
    UpdateTracker,
    incidents,
    store,
    write_figures,
)
from tests.e2e.support import new_link_code, running_bot, settings_for
from tests.factories import make_valid_action
from tests.fakebotapi import FakeBotApi
from tests.labels import label
from tests.samples import VALID_SAMPLES

CORPUS: dict[str, str] = {
    "whitespace": " \t  \u00a0 ",
    "5 000 characters": "x" * 5_000,
    "100 000 characters": "é" * 100_000,
    "control characters": "abc\x00\x01\x07\x08\x0b\x0c\x1b[31mdef\x7f\u0085",
    "<b>": "<b>gras</b>",
    "<script>": "<script>alert('x')</script>",
    "SQL": "'; DROP TABLE actions; --",
    "RTL marks": "\u202eelcyc\u202c \u200fמרכז\u200f \u2067x\u2069",
    "emoji": "🎓👩‍🏫😀",
    "31/02/2027": "31/02/2027",
    "00/00/0000": "00/00/0000",
    "1e309": "1e309",
    "-0": "-0",
    "NaN": "NaN",
    "30 nines": "9" * 30,
}
WARNING = "\u26a0"
WORKERS = 3  # members typing at the same time, each on a third of the fields
# Characters a normalised value shown back to the user must not contain (C0/C1 controls, DEL).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
JUSTIFICATIF = b"%PDF-1.4\n% convention de financement\n"


def _draft_of(spec: FieldSpec) -> str:
    """Which draft a general-data field is opened on: the État one for the État fields."""
    if spec.funders is not None and Funder.REGION not in spec.funders:
        return "etat"
    return "region"


class FieldDriver:
    """Opens a field's question from the récapitulatif (or the fiche) as a member would."""

    def __init__(self, person: Person, drafts: dict[str, int]) -> None:
        self.person = person
        self.drafts = drafts
        self.open_draft: str | None = None

    def on_question(self, spec: FieldSpec) -> bool:
        screen = self.person.screen
        return screen is not None and "· question " in screen.text and spec.display_label in screen.text

    def on_recap(self) -> bool:
        screen = self.person.screen
        return screen is not None and self.person.offers("confirm") and self.person.offers("print")

    async def open(self, spec: FieldSpec) -> None:
        p = self.person
        if spec in ORGANISATION_FIELDS:
            await p.command("menu")
            await p.tap("fiche")
            await p.tap("f", spec.key)
        else:
            draft = _draft_of(spec) if spec in ACTION_FIELDS else "region"
            if self.open_draft != draft or not (self.on_recap() or self._leave_question()):
                await self._open_recap(draft)
            if not self.on_recap():
                for _ in range(6):  # a composite field's sub-steps, then back to the recap
                    await p.press(label("back"))
                    if self.on_recap():
                        break
            if spec in SESSION_FIELDS:
                await p.press(label("edit_session", number=1, period=""))
            else:
                await p.press(label("edit_group", group=spec.group))
            assert p.offers("f", spec.key), (spec.key, p.labels)
            await p.tap("f", spec.key)
        assert self.on_question(spec), (spec.key, p.text[-500:])

    def _leave_question(self) -> bool:
        return self.person.screen is not None and "· question " in self.person.screen.text

    async def _open_recap(self, draft: str) -> None:
        p = self.person
        await p.command("menu")
        await p.tap("list", "draft")
        await p.tap("view", self.drafts[draft])
        await p.tap("modify")
        assert self.on_recap(), p.text[-500:]
        self.open_draft = draft


async def test_hostile_answers_to_every_field_through_telegram(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracker = UpdateTracker().install(monkeypatch)
    fields = [*ORGANISATION_FIELDS, *ACTION_FIELDS, *SESSION_FIELDS]
    results: list[dict[str, str]] = []
    problems: list[str] = []
    async with ErrorLogs.captured() as error_logs, FakeBotApi() as api:
        settings = settings_for(api, tmp_path / "bot.db")
        workers = []
        for i in range(WORKERS):  # one organisation each, so that they never meet
            org, code = await new_link_code(settings, f"Organisme {i}")
            region, etat = await store(settings.database_url, [
                make_valid_action(Funder.REGION, organisation_id=org, intitule="Brouillon Région"),
                make_valid_action(Funder.ETAT_EMPLOI, organisation_id=org, intitule="Brouillon État"),
            ])
            assert region.id is not None and etat.id is not None
            person = Person(api.user(1001 + i, f"Membre {i}"), tracker)
            workers.append((person, code, {"region": region.id, "etat": etat.id}))
        async with running_bot(settings):

            async def work(index: int, person: Person, code: str, drafts: dict[str, int]) -> None:
                await person.command("start", code)
                assert "Bienvenue" in person.text
                driver = FieldDriver(person, drafts)
                mine = [spec for i, spec in enumerate(fields) if i % WORKERS == index]
                # The État fields last: opening the État draft saves the Région working copy.
                for spec in sorted(mine, key=lambda s: s in ACTION_FIELDS and _draft_of(s) == "etat"):
                    await _attack(driver, spec, results, problems, tracker)
                await person.settle()

            await asyncio.gather(*(work(i, *w) for i, w in enumerate(workers)))
        users = [person.user for person, _, _ in workers]
        failed = [f"{r.method}: {r.description}" for r in api.failed_requests()
                  if r.method.lower() != "getupdates"]
        shown = [m.text for u in users for m in u.bot_messages]
        incident_lines = incidents(users)

    crashes = len(tracker.errors) + len(incident_lines)
    problems += [f"exception in the handler: {exc!r}" for _, exc in tracker.errors]
    problems += [f"incident message: {line}" for line in incident_lines]
    problems += [f"ERROR log: {line}" for line in error_logs.lines()]
    problems += [f"request refused by the API: {line}" for line in failed]
    problems += [f"control character shown back: {t[:120]!r}" for t in shown if _CONTROL.search(t)]
    outcomes = {kind: sum(r["outcome"] == kind for r in results) for kind in ("error", "accepted", "other", "crash")}
    figures = {
        "fields": len(fields),
        "corpus": list(CORPUS),
        "inputs_tried": len(results),
        "outcomes": outcomes,
        "crashes": crashes,
        "error_logs": len(error_logs.records),
        "problems": problems,
        "accepted": [r for r in results if r["outcome"] == "accepted"],
        "other": [r for r in results if r["outcome"] == "other"],
    }
    path = write_figures("hostile", figures)
    print(f"\nhostile input: {len(fields)} fields × {len(CORPUS)} answers = {len(results)} inputs tried "
          f"({outcomes}); crashes = {crashes}; problems = {len(problems)} ({path})")
    for line in problems:
        print("  PROBLEM", line)
    assert len(results) == len(fields) * len(CORPUS)
    assert crashes == 0
    assert problems == []


async def _attack(
    driver: FieldDriver, spec: FieldSpec, results: list[dict[str, str]], problems: list[str],
    tracker: UpdateTracker,
) -> None:
    """Every answer of the corpus to one field, then a valid answer."""
    p = driver.person
    await driver.open(spec)
    fresh = True
    for name, value in CORPUS.items():
        if not fresh or not driver.on_question(spec):
            # The last answer was taken: back to the recap, or to the next sub-step of an address
            # or a contact. The field is opened again, at its first sub-step.
            await driver.open(spec)
        errors = len(tracker.errors)
        await p.say(value)
        text = p.text
        if len(tracker.errors) > errors or INCIDENT in text or not p.read:
            outcome = "crash"
        elif WARNING in text:
            outcome = "error"
        elif not driver.on_question(spec) or spec.kind in (Kind.ADDRESS, Kind.CONTACT):
            outcome = "accepted"  # the next question, the recap, or the next sub-step
        else:
            outcome = "other"
        fresh = outcome == "error"
        results.append({"field": f"{spec.section}.{spec.key}", "input": name, "outcome": outcome})
        if outcome in ("crash", "other"):
            problems.append(f"{spec.section}.{spec.key} ← {name}: {outcome}: {text[:200]!r}")
        if p.screen is None or not p.payloads:
            problems.append(f"{spec.section}.{spec.key} ← {name}: no screen to go on with")
    # The next question still works: a valid answer is taken.
    await driver.open(spec)
    if spec.kind is Kind.DOCUMENT:
        await p.document(JUSTIFICATIF, "convention.pdf")
    else:
        await p.say(VALID_SAMPLES[spec.key])
    if WARNING in p.text or driver.on_question(spec):
        problems.append(f"{spec.section}.{spec.key}: the valid answer is refused after the corpus: "
                        f"{p.text[-300:]!r}")
