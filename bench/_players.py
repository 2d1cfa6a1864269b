"""Simulated users for ``bench/e2e_throughput.py``: a recorded script of one full action, replayed.

A pilot (the e2e ``Player``, which reads each question and picks the answer) goes once through a
whole action and records what it sent; every simulated user then replays that script, pressing
buttons by their label on its own screen. Waiting for a reply hooks the user's transcript in the
fake Bot API (one future per user), instead of ``FakeUser.wait_for``, whose shared condition wakes
every waiting user on every request: with hundreds of users the harness would measure itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from dialogs.render import text as render_text
from tests.e2e.support import Player
from tests.fakebotapi import ChatMessage, FakeBotApi, FakeUser

StepKind = Literal["start", "text", "press"]
# formabot's answer to an update it failed on (the update was rolled back; the user may retry).
INTERNAL_ERROR = str(render_text("internal_error"))[:12]
RETRIES = 3


@dataclass(frozen=True)
class Step:
    """One update a user sends: ``/start CODE``, a text answer, or a press on a button label."""

    kind: StepKind
    value: str = ""


class ScriptError(Exception):
    """A reply that was not the expected one (no such button, a validation error, a timeout)."""


class InternalError(Exception):
    """formabot answered « Un incident m'empêche de traiter ce message »."""


class RecordingPlayer(Player):
    """The e2e player, writing down every update it sends."""

    def __init__(self, user: FakeUser) -> None:
        super().__init__(user)
        self.steps: list[Step] = []

    async def say(self, text: str, *, screen: bool = True) -> str:
        self.steps.append(Step("text", text))
        return await super().say(text, screen=screen)

    async def command(self, command: str, *args: str, screen: bool = True) -> str:
        if command != "start":
            raise ValueError("only /start is scripted")
        self.steps.append(Step("start"))
        return await super().command(command, *args, screen=screen)

    async def press(self, label: str) -> str:
        self.steps.append(Step("press", label))
        return await super().press(label)


async def record_full_action(api: FakeBotApi, user_id: int, code: str) -> tuple[list[Step], str]:
    """Link, create a Région action, fill every question, one session, confirm. Returns the script
    and the text of the last screen (the confirmation)."""
    pilot = RecordingPlayer(api.user(user_id, "Pilote"))
    await pilot.command("start", code)
    await pilot.press("➕ Créer une action")
    await pilot.press("Région")
    await pilot.fill()
    await pilot.press("➕ Ajouter la session n° 1")
    await pilot.fill()
    await pilot.press("Terminer votre saisie")
    await pilot.press("✅ Confirmer (valider la proposition)")
    await pilot.press("✅ Oui, je confirme")
    return pilot.steps, pilot.text


def step_at(script: list[Step], index: int) -> Step:
    """The ``index``-th update of a user going round the script: ``/start`` once, then the action
    steps again and again (the screen after « Oui, je confirme » is the menu, with « Créer »)."""
    if index == 0:
        return script[0]
    cycle = script[1:]
    return cycle[(index - 1) % len(cycle)]


class SimUser:
    """One simulated user. ``formabot=True``: a reply is the first bot message or edit with
    buttons (the screen) and presses resolve a label on it; otherwise (the echo bot) a reply is
    any bot message, and a press is a callback query on the last bot message."""

    def __init__(self, api: FakeBotApi, user_id: int, code: str, *, formabot: bool) -> None:
        self.user = api.user(user_id, f"U{user_id}")
        self.code = code
        self.formabot = formabot
        self.screen: ChatMessage | None = None
        self.last_bot_message_id: int | None = None
        self.sent = 0
        self.confirmed = 0
        self.internal_errors = 0
        self._last_sent = 0.0
        self._waiter: asyncio.Future[tuple[float, ChatMessage]] | None = None
        self.user._record = self._hook(self.user._record)  # type: ignore[method-assign]

    def _hook(self, record: Callable[[ChatMessage], None]) -> Callable[[ChatMessage], None]:
        def on_record(snapshot: ChatMessage) -> None:
            record(snapshot)
            if not snapshot.from_bot:
                return
            self.last_bot_message_id = snapshot.message_id
            waiter = self._waiter
            if waiter is None or waiter.done():
                return
            if snapshot.buttons or not self.formabot:
                waiter.set_result((time.perf_counter(), snapshot))
            elif snapshot.text.startswith(INTERNAL_ERROR):
                waiter.set_exception(InternalError(snapshot.text))

        return on_record

    def _callback_data(self, label: str) -> tuple[str, int]:
        screen = self.screen
        if screen is None:
            raise ScriptError(f"user {self.user.user_id}: no screen to press {label!r} on")
        texts = screen.button_texts
        matches = [t for t in texts if t == label] or [t for t in texts if t.startswith(label)]
        if len(matches) != 1:
            raise ScriptError(f"user {self.user.user_id}: button {label!r} not found in {texts}")
        data = screen.callback_data_of(matches[0])
        if data is None:
            raise ScriptError(f"user {self.user.user_id}: button {label!r} has no callback data")
        return data, screen.message_id

    async def send(self, step: Step, timeout: float) -> tuple[float, float]:
        """Send one update and wait for its reply: (time sent, time the reply arrived). After
        formabot's internal-error message the user sends it again (``RETRIES`` times at most, each
        one counted in ``internal_errors``); the time sent is then the first attempt's."""
        first_sent: float | None = None
        for _ in range(RETRIES):
            try:
                sent, arrived = await self._send_once(step, timeout)
            except InternalError:
                self.internal_errors += 1
                first_sent = first_sent or self._last_sent
                continue
            return first_sent or sent, arrived
        raise ScriptError(f"user {self.user.user_id}: internal error {RETRIES} times on {step}")

    async def _send_once(self, step: Step, timeout: float) -> tuple[float, float]:
        waiter: asyncio.Future[tuple[float, ChatMessage]] = asyncio.get_running_loop().create_future()
        self._waiter = waiter
        sent = self._last_sent = time.perf_counter()
        if step.kind == "start":
            await self.user.send_command("/start", self.code)
        elif step.kind == "text":
            await self.user.send_text(step.value)
        elif self.formabot:
            data, message_id = self._callback_data(step.value)
            await self.user.send_callback(data, message_id)
        else:
            await self.user.send_callback(f"press:{step.value}"[:32], self.last_bot_message_id)
        self.sent += 1
        try:
            arrived, reply = await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            raise ScriptError(
                f"user {self.user.user_id}: no reply to {step} within {timeout} s"
            ) from None
        finally:
            self._waiter = None
        if self.formabot:
            self.screen = reply
            if step.kind == "text" and "⚠" in reply.text:
                raise ScriptError(f"user {self.user.user_id}: {step} refused: {reply.text[:200]!r}")
            if step.value.startswith("✅ Oui") and "confirmée" in reply.text:
                self.confirmed += 1
        return sent, arrived
