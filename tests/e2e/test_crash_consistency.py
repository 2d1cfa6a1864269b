"""The real ``formabot run`` process killed with SIGKILL at 50 random points of a form, and restarted.

A scripted user fills a whole Région action (general data, two sessions, récapitulatif, confirm).
At 50 points chosen by a seeded random generator (reproducible) the process is killed: before an
answer is sent; right after it is sent (still in Telegram's queue, or already taken by the bot);
while the bot sends its reply (the answer committed, the reply held by "Telegram"); or after the
reply. After each restart (the new process polls) the user types /aide, reads where
they are and goes on from the screen shown, as a person would.

An answer whose reply never came may or may not have been committed: both are fine. Every answer the
bot acknowledged (its reply, the next screen, arrived: before the kill, or after the restart when
Telegram delivered the update again) must be in the confirmed action. The figures go to
``tests/e2e/.reliability/crash.json``.
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
import statistics
import time
from contextlib import closing
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from domain.catalogue import ALL_FIELDS, FieldSpec, Kind, Section
from domain.models import Action, Status
from storage.database import create_engine
from storage.uow import SqlUnitOfWorkFactory
from tests.e2e.processes import BotProcess
from tests.e2e.support import new_link_code, settings_for
from tests.fakebotapi import ChatMessage, FakeBotApi, FakeUser
from tests.labels import label, label_start
from tests.samples import VALID_SAMPLES

SEED = 20261201
KILLS = 50
SESSIONS = 2
SESSION_OVERRIDES = {2: {"debut": "01/04/2027", "fin": "30/09/2027"}}
# The user's inputs on the happy path: « Créer », « Région », 34 general questions (+1 tick for each
# of the 2 multi-selects), per session « Ajouter » + 8 questions, « Terminer », « Confirmer », « Oui ».
# A lost input is typed again, so a run has at least this many: every planned kill happens.
MIN_INPUTS = 2 + 34 + 2 + SESSIONS * 9 + 3
REPLY_TIMEOUT = 30.0
REPLY_LATENCY = 0.5
REPLY_METHODS = {"sendmessage", "editmessagetext", "answercallbackquery"}  # only after the commit
REPORT = Path(__file__).parent / ".reliability" / "crash.json"
PROGRESS = re.compile(r"(Données générales|Session n° (\d+)) · question \d+/\d+")


class Point(StrEnum):
    BEFORE_SEND = "before the answer is sent"
    SENT = "right after it is sent (in Telegram's queue)"
    TAKEN = "after the bot took it from Telegram, before the reply"
    REPLYING = "while the bot sends its reply (answer committed, reply in flight)"
    AFTER_REPLY = "after the reply"


def kill_plan(rng: random.Random) -> dict[tuple[int, str], Point]:
    """``KILLS`` distinct points: (input number, "before" | "after") → where exactly."""
    slots = rng.sample(range(MIN_INPUTS * 2), KILLS)
    plan: dict[tuple[int, str], Point] = {}
    for slot in sorted(slots):
        n, phase = divmod(slot, 2)
        if phase == 0:
            plan[(n, "before")] = Point.BEFORE_SEND
        else:
            plan[(n, "after")] = rng.choice(
                [Point.SENT, Point.TAKEN, Point.REPLYING, Point.AFTER_REPLY]
            )
    return plan


@dataclass
class Input:
    """One thing the user does: type ``text`` or press ``button``; ``spec`` when it answers a field."""

    description: str
    text: str | None = None
    button: str | None = None
    spec: FieldSpec | None = None
    session: int | None = None  # 1-based, for a session field
    expected: Any = None
    transcript_start: int = 0
    acknowledged: bool = False
    committed_silently: bool = False  # no reply, but the screen after the restart had moved on


@dataclass
class Figures:
    kills: dict[str, int] = field(default_factory=dict)
    restarts: list[float] = field(default_factory=list)  # spawn → polling
    crash_cycles: list[float] = field(default_factory=list)  # kill → the screen shown after /aide
    inputs: int = 0
    acknowledged_answers: int = 0
    unacknowledged_committed: int = 0
    unacknowledged_asked_again: int = 0
    lost: list[str] = field(default_factory=list)


def _field_on_screen(screen: ChatMessage) -> tuple[FieldSpec, int | None] | None:
    m = PROGRESS.search(screen.text)
    if m is None:
        return None
    session = int(m.group(2)) if m.group(2) else None
    section = Section.SESSION if session else Section.GENERAL
    lines = {line.strip() for line in screen.text.splitlines()}
    for spec in ALL_FIELDS:
        if spec.section is section and spec.display_label in lines:
            return spec, session
    raise AssertionError(f"unknown question on screen: {screen}")


def _titled(screen: ChatMessage, title: str) -> bool:
    """The screen's title, whether the message starts with it or a notice (the help) comes first."""
    return screen.text.startswith(title) or f"\n\n{title}" in screen.text


def next_input(screen: ChatMessage) -> Input | None:
    """What the user does on this screen (None: the action is confirmed, nothing left to do)."""
    labels = screen.button_texts
    on_screen = _field_on_screen(screen)
    if on_screen is not None:
        spec, session = on_screen
        where = f"session {session} · {spec.key}" if session else spec.key
        if spec.kind is Kind.MULTI_CHOICE:
            first = spec.choices[0]
            unticked = label_start("unticked", "label")
            box = next(
                (
                    t
                    for t in labels
                    if t.startswith(unticked) and first.label.startswith(t.removeprefix(unticked).strip().rstrip("…"))
                ),
                None,
            )
            if box is not None:
                return Input(f"tick {where}", button=box)
            [validate] = [t for t in labels if t.startswith(label_start("validate", "count"))]  # « ✅ Valider (1) »
            return Input(
                f"validate {where}",
                button=validate,
                spec=spec,
                session=session,
                expected=spec.parse(first.code),
            )
        raw = SESSION_OVERRIDES.get(session or 0, {}).get(spec.key, VALID_SAMPLES[spec.key])
        return Input(
            f"answer {where}", text=raw, spec=spec, session=session, expected=spec.parse(raw)
        )
    if label("confirm_yes") in labels:
        return Input("confirm: yes", button=label("confirm_yes"))
    if label("confirm") in labels:
        return Input("recap: confirm", button=label("confirm"))
    if _titled(screen, "Sessions de formation"):
        add = label("add_session", number=SESSIONS + 1)
        if add in labels or not any(t.startswith(label_start("add_session", "number")) for t in labels):
            return Input("sessions: finish", button="Terminer votre saisie")
        [add] = [t for t in labels if t.startswith(label_start("add_session", "number"))]
        return Input(f"sessions: {add}", button=add)
    if _titled(screen, "Créer une action de formation"):
        return Input("create: Région", button="Région")
    if label("create") in labels:
        if "En cours d'instruction (1)" in labels:
            return None  # confirmed
        return Input("menu: create", button=label("create"))
    raise AssertionError(f"unexpected screen: {screen}")


def _same(a: Input | None, b: Input | None) -> bool:
    return (
        a is not None
        and b is not None
        and (a.description, a.text, a.button) == (b.description, b.text, b.button)
    )


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return _plain(value.model_dump())
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@dataclass
class CrashingUser:
    """The scripted user, and the process it kills: it only moves on from what the bot shows."""

    api: FakeBotApi
    user: FakeUser
    bot: BotProcess
    plan: dict[tuple[int, str], Point]
    screen: ChatMessage | None = None
    pending: Input | None = None
    inputs: list[Input] = field(default_factory=list)
    acknowledged: set[str] = field(default_factory=set)  # the descriptions of the acknowledged inputs (unique)
    figures: Figures = field(default_factory=Figures)

    async def wait_screen(self) -> ChatMessage:
        self.screen = await self.user.wait_for(
            lambda m: bool(m.buttons), REPLY_TIMEOUT, what="screen"
        )
        return self.screen

    async def crash(self, point: Point) -> None:
        """SIGKILL, restart, then /aide: where am I? The pending input is judged from the
        transcript, and the screen shown must not be behind anything the bot acknowledged."""
        began = time.monotonic()
        assert self.screen is not None
        before = None if self.pending is not None else next_input(self.screen)
        await self.bot.kill()
        self.api.set_latency(0)
        self.figures.kills[point.value] = self.figures.kills.get(point.value, 0) + 1
        self.figures.restarts.append(await self.bot.start())
        self.user.skip_replies()
        await self.user.send_command("/aide")
        aide = await self.user.wait_for(
            lambda m: m.text.startswith("Aide ·"), REPLY_TIMEOUT, what="help"
        )
        if aide.buttons:  # the help on top of the screen, in one message
            self.screen = screen = aide
        else:
            screen = await self.wait_screen()
        self.figures.crash_cycles.append(time.monotonic() - began)
        after = next_input(screen)
        pending, self.pending = self.pending, None
        if pending is not None:
            aide_index = next(i for i, m in enumerate(self.user.messages) if m is aide)
            between = self.user.messages[pending.transcript_start : aide_index]
            if any(m.from_bot and m.buttons for m in between):
                # The reply came (before the kill, or after the restart: Telegram redelivered it).
                self.acknowledge(pending)
            elif _same(after, pending):
                self.figures.unacknowledged_asked_again += 1
            else:
                pending.committed_silently = True
                self.figures.unacknowledged_committed += 1
        # The bot resumes where it was: the same screen when nothing was pending, and never a
        # step whose answer it had acknowledged (it would have forgotten it).
        if (before is not None and not _same(after, before)) or (
            after is not None and after.description in self.acknowledged
        ):
            self.figures.lost.append(
                f"after a kill {point.value}, the bot asked for "
                f"{after.description if after else 'nothing'!r} instead of "
                f"{before.description if before else 'what came next'!r}"
            )

    def taken(self, queued: tuple[str, Any]) -> bool:
        """The bot took the update: Telegram no longer holds it (getUpdates confirmed it)."""
        return not any(_is(update, queued) for update in self.api.pending_updates)

    def replying(self, since: int) -> bool:
        """The bot has started replying (only ever after the commit)."""
        return any(r.method.lower() in REPLY_METHODS for r in self.api.requests[since:])

    def acknowledge(self, step: Input) -> None:
        step.acknowledged = True
        self.acknowledged.add(step.description)

    async def play(self) -> None:
        if self.screen is None:
            await self.wait_screen()
        n = 0
        while True:
            assert self.screen is not None
            if (n, "before") in self.plan:
                await self.crash(self.plan[(n, "before")])
            assert self.screen is not None
            step = next_input(self.screen)
            if step is None:
                break
            assert n < 4 * MIN_INPUTS, "the form never ends"
            step.transcript_start = len(self.user.messages)
            self.user.skip_replies()
            self.inputs.append(step)
            self.pending = step
            point = self.plan.get((n, "after"))
            requests_before = len(self.api.requests)
            if point is Point.REPLYING:
                self.api.set_latency(REPLY_LATENCY)  # the reply's request is held by "Telegram"
            if step.text is not None:
                sent = await self.user.send_text(step.text)
                in_queue: Any = ("message", sent.message_id)
            else:
                assert step.button is not None
                query_id = await self.user.press(step.button, self.screen)
                in_queue = ("callback_query", query_id)
            if point is Point.SENT:
                await self.crash(point)
            elif point is Point.TAKEN:
                await self.api.wait_until(partial(self.taken, in_queue), REPLY_TIMEOUT)
                await self.crash(point)
            elif point is Point.REPLYING:
                await self.api.wait_until(partial(self.replying, requests_before), REPLY_TIMEOUT)
                await self.crash(point)
            else:
                screen = await self.wait_screen()
                assert "⚠" not in screen.text, screen  # every answer of the script is valid
                self.acknowledge(step)
                self.pending = None
                if point is Point.AFTER_REPLY:
                    await self.crash(point)
            n += 1
        self.figures.inputs = n
        assert not any(  # the bot never failed nor showed an outdated screen
            "Un incident m'empêche" in m.text or "plus valable" in m.text
            for m in self.user.bot_messages
        )


def _is(update: dict[str, Any], queued: tuple[str, Any]) -> bool:
    kind, ident = queued
    body = update.get(kind)
    if not isinstance(body, dict):
        return False
    return bool(body.get("message_id" if kind == "message" else "id") == ident)


async def _stored_actions(database_url: str) -> list[Action]:
    engine = create_engine(database_url)
    try:
        async with SqlUnitOfWorkFactory(engine)() as uow:
            return list(await uow.all_actions().list(limit=100))
    finally:
        await engine.dispose()


def _write_report(data: dict[str, Any]) -> None:
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


@pytest.mark.slow
async def test_fifty_sigkills_during_a_region_action_lose_no_acknowledged_answer(
    tmp_path: Path,
) -> None:
    began = time.monotonic()
    db = tmp_path / "bot.db"
    async with FakeBotApi() as api:
        settings = settings_for(api, db)
        _, code = await new_link_code(settings)
        bot = BotProcess(api, db, log_path=tmp_path / "formabot.log")
        await bot.start()
        try:
            user = api.user(1001, "Claire")
            await user.send_command("/start", code)
            # The welcome is on top of the menu, in one message.
            menu = await user.wait_for(lambda m: bool(m.buttons), REPLY_TIMEOUT, what="welcome and menu")
            assert "Bienvenue" in menu.text, menu.text
            claire = CrashingUser(api, user, bot, kill_plan(random.Random(SEED)))
            claire.screen = menu
            await claire.play()
            assert bot.kills == KILLS, (bot.kills, claire.figures.kills)
        finally:
            exit_code = await bot.stop()
        assert exit_code == 0, (
            f"formabot run did not stop cleanly on SIGTERM ({exit_code}):\n{bot.log_tail()}"
        )

    [action] = await _stored_actions(settings.database_url)
    figures = claire.figures
    answers = [i for i in claire.inputs if i.spec is not None]
    acknowledged = [i for i in answers if i.acknowledged]
    figures.acknowledged_answers = len(acknowledged)
    for answer in acknowledged:
        assert answer.spec is not None
        record: Any = action if answer.session is None else action.sessions[answer.session - 1]
        stored = record.get(answer.spec.key)
        if _plain(stored) != _plain(answer.expected):
            figures.lost.append(
                f"{answer.description}: stored {stored!r}, answered {answer.expected!r}"
            )
    with closing(sqlite3.connect(db)) as con:
        integrity = con.execute("PRAGMA integrity_check").fetchall()

    data = {
        "seed": SEED,
        "kills_survived": bot.kills,
        "kills_by_point": figures.kills,
        "answers_acknowledged": figures.acknowledged_answers,
        "answers_lost": len(figures.lost),
        "lost": figures.lost,
        "unacknowledged_but_committed": figures.unacknowledged_committed,
        "unacknowledged_asked_again": figures.unacknowledged_asked_again,
        "inputs": figures.inputs,
        "restart_seconds": {
            "count": len(figures.restarts),
            "mean": round(statistics.fmean(figures.restarts), 2),
            "max": round(max(figures.restarts), 2),
        },
        "crash_cycle_seconds": {
            "mean": round(statistics.fmean(figures.crash_cycles), 2),
            "max": round(max(figures.crash_cycles), 2),
        },
        "status": action.status.value,
        "sessions": len(action.sessions),
        "integrity_check": integrity[0][0] if integrity else None,
        "duration_seconds": round(time.monotonic() - began, 1),
    }
    _write_report(data)
    print("crash consistency:", json.dumps(data, ensure_ascii=False))
    assert data["kills_survived"] == KILLS
    assert data["answers_lost"] == 0, figures.lost
    assert action.status is Status.SUBMITTED and len(action.sessions) == SESSIONS
    assert integrity == [("ok",)]
