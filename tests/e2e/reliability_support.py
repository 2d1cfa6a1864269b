"""Support of the reliability tests (access matrix, hostile input, races) on the fake Bot API.

- ``UpdateTracker`` wraps the Telegram channel's update handler: it counts the updates each chat
  had handled (the waits are on that condition, never on a delay) and keeps every exception that
  escaped the handler (the bot's error handler would then have fired).
- ``ErrorLogs`` captures the records logged at ERROR or above while the bot runs.
- ``Person`` is a user of the fake API who sends one input at a time and waits until the bot has
  handled it; ``tap(verb, arg)`` sends the payload a button of the current screen would carry (a
  forged one when the screen has no such button).
- ``stored_actions``/``store`` read and write the bot's database directly; ``member_code`` issues a
  member's link code; ``write_figures`` writes a JSON report under ``tests/e2e/.reliability/``.
- ``scene`` starts the fake API with an organisation and its first member's link code, and
  checks at the end that the run was clean: what every test of a race or an old form shares.
- ``open_recap`` takes a member to a draft's récapitulatif; ``check_clean`` asserts a run left no
  escaped exception, no incident message, no error log (and, if asked, no unanswered callback).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from telegram import Update

from bot.config import Settings
from bot.telegram_channel import TelegramChannel
from domain.funders import Funder
from domain.models import Action
from domain.ports import Role
from tests.databases import database
from tests.e2e.support import new_link_code, settings_for
from tests.factories import make_valid_action
from tests.fakebotapi import ChatMessage, FakeBotApi, FakeUser
from tests.labels import label

REPORT_DIR = Path(__file__).parent / ".reliability"
INCIDENT = "Un incident"  # the start of the bot's error handler's message
STALE = "Ce bouton n'est plus valable"


class UpdateTracker:
    """Counts the updates handled per user and keeps the exceptions the handler let escape."""

    def __init__(self) -> None:
        self.handled: Counter[int] = Counter()
        self.errors: list[tuple[int, BaseException]] = []
        self._cond: asyncio.Condition | None = None

    def install(self, monkeypatch: pytest.MonkeyPatch) -> UpdateTracker:
        original = TelegramChannel.on_update
        tracker = self

        async def on_update(channel: TelegramChannel, update: object, context: Any) -> None:
            user = update.effective_user if isinstance(update, Update) else None
            user_id = user.id if user is not None else 0
            try:
                await original(channel, update, context)
            except BaseException as exc:
                tracker.errors.append((user_id, exc))
                raise
            finally:
                await tracker._done(user_id)

        monkeypatch.setattr(TelegramChannel, "on_update", on_update)
        return self

    @property
    def cond(self) -> asyncio.Condition:
        if self._cond is None:
            self._cond = asyncio.Condition()
        return self._cond

    async def _done(self, user_id: int) -> None:
        async with self.cond:
            self.handled[user_id] += 1
            self.cond.notify_all()

    async def wait(self, user_id: int, count: int, timeout: float = 20.0) -> None:
        """Until ``user_id`` had ``count`` updates handled (AssertionError after ``timeout``)."""
        async with self.cond:
            try:
                await asyncio.wait_for(self.cond.wait_for(lambda: self.handled[user_id] >= count), timeout)
            except TimeoutError:
                raise AssertionError(
                    f"user {user_id}: {self.handled[user_id]} updates handled, {count} awaited"
                ) from None


class ErrorLogs(logging.Handler):
    """The log records at ERROR or above (their message and exception type)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def lines(self) -> list[str]:
        return [
            f"{r.name}: {r.getMessage()}"
            + (f" [{r.exc_info[0].__name__}: {r.exc_info[1]}]" if r.exc_info and r.exc_info[0] else "")
            for r in self.records
        ]

    @classmethod
    @asynccontextmanager
    async def captured(cls) -> AsyncIterator[ErrorLogs]:
        handler = cls()
        root = logging.getLogger()
        root.addHandler(handler)
        try:
            yield handler
        finally:
            root.removeHandler(handler)


def screen_seq(message: ChatMessage | None) -> str | None:
    """The screen number the buttons of ``message`` carry (None: no screen buttons)."""
    if message is None:
        return None
    for row in message.buttons:
        for _, data in row:
            head = (data or "").split(":", 1)[0]
            if head.isdigit():
                return head
    return None


class Person:
    """A user who sends one input at a time and reads the bot's replies once it handled it."""

    def __init__(self, user: FakeUser, tracker: UpdateTracker) -> None:
        self.user = user
        self.tracker = tracker
        self.read: list[ChatMessage] = []
        self.queries: list[str] = []
        self._sent = 0

    @property
    def id(self) -> int:
        return self.user.user_id

    @property
    def api(self) -> FakeBotApi:
        return self.user.api

    async def _do(self, send: Callable[[], Awaitable[object]], updates: int = 1) -> str:
        start = len(self.user.messages)
        self._sent += updates
        result = await send()
        if isinstance(result, str):
            self.queries.append(result)
        await self.tracker.wait(self.id, self._sent)
        self.read = [m for m in self.user.messages[start:] if m.from_bot]
        return self.text

    @property
    def sent(self) -> int:
        """The updates this user sent so far (through this object)."""
        return self._sent

    def expect_more(self, updates: int) -> None:
        """Updates sent for this user outside ``_do`` (a raw update, a race): they count too."""
        self._sent += updates

    async def settle(self, timeout: float = 20.0) -> None:
        """Until the bot handled every update sent for this user."""
        await self.tracker.wait(self.id, self._sent, timeout)

    @property
    def text(self) -> str:
        return "\n".join(m.text for m in self.read)

    @property
    def screen(self) -> ChatMessage | None:
        """The current state of the last message showing a screen (buttons with a screen number)."""
        for snapshot in reversed(self.user.messages):
            if snapshot.from_bot and screen_seq(snapshot) is not None:
                return self.api.current_message(self.user.chat_id, snapshot.message_id) or snapshot
        return None

    @property
    def seq(self) -> str | None:
        return screen_seq(self.screen)

    @property
    def payloads(self) -> list[str]:
        screen = self.screen
        return [d for row in (screen.buttons if screen else []) for _, d in row if d]

    @property
    def labels(self) -> list[str]:
        screen = self.screen
        return screen.button_texts if screen else []

    def offers(self, verb: str, arg: str | int | None = None) -> bool:
        """Whether the current screen has a button with this verb (and argument)."""
        return self.payload(verb, arg) in self.payloads

    def payload(self, verb: str, arg: str | int | None = None, seq: str | None = None) -> str:
        head = seq or self.seq or "1"
        return f"{head}:{verb}" if arg is None else f"{head}:{verb}:{arg}"

    async def say(self, text: str) -> str:
        return await self._do(lambda: self.user.send_text(text))

    async def command(self, command: str, *args: str) -> str:
        return await self._do(lambda: self.user.send_command(f"/{command}", *args))

    async def document(self, data: bytes, name: str, mime: str = "application/pdf") -> str:
        return await self._do(lambda: self.user.send_document(data, name, mime))

    async def callback(self, data: str) -> str:
        """A callback query with ``data`` (forged or not), on the current screen's message."""
        screen = self.screen
        return await self._do(lambda: self.user.send_callback(data, screen))

    async def tap(self, verb: str, arg: str | int | None = None) -> str:
        """The payload ``verb:arg`` under the current screen number: a press of that button."""
        return await self.callback(self.payload(verb, arg))

    async def press(self, label: str) -> str:
        """Press the button of the current screen with this label (exact, else a unique prefix)."""
        screen = self.screen
        assert screen is not None, f"{self.user!r}: no screen"
        exact = [d for row in screen.buttons for t, d in row if t == label]
        found = exact or [d for row in screen.buttons for t, d in row if t.startswith(label)]
        assert len(found) == 1 and found[0], (label, screen.button_texts)
        return await self.callback(found[0])

    def unanswered(self) -> list[str]:
        answered = {q for q, r in self.api.callbacks.items() if r.answered}
        return [q for q in self.queries if q not in answered]


# The database, directly ------------------------------------------------------------------------


async def store(url: str, actions: Iterable[Action]) -> list[Action]:
    """Add the actions (each to its organisation) in one transaction; returns them stored."""
    async with database(url) as factory, factory() as uow:
        stored = [await uow.all_actions().add(a) for a in actions]
        await uow.commit()
    return stored


async def stored_actions(url: str) -> dict[int, Action]:
    async with database(url) as factory, factory() as uow:
        found: dict[int, Action] = {}
        offset = 0
        while batch := await uow.all_actions().list(offset=offset, limit=500):
            found.update({a.id: a for a in batch if a.id is not None})
            offset += len(batch)
        return found


def incidents(users: Iterable[FakeUser]) -> list[str]:
    """The bot's « Un incident » messages (its error handler fired), per user."""
    return [f"{u.user_id}: {m.text[:80]}" for u in users for m in u.bot_messages if INCIDENT in m.text]


def write_figures(name: str, figures: dict[str, Any]) -> Path:
    REPORT_DIR.mkdir(exist_ok=True)
    path = REPORT_DIR / f"{name}.json"
    path.write_text(json.dumps(figures, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    return path


async def member_code(url: str, organisation_id: int) -> str:
    """A new link code for a member of the organisation (as `formabot org link-code`)."""
    async with database(url) as factory, factory() as uow:
        code = await uow.link_codes.create(Role.MEMBER, organisation_id=organisation_id)
        await uow.commit()
    return code


async def open_recap(person: Person, action: Action) -> None:
    """Open the action's récapitulatif to modify it (its draft list, the action, « ✏ Modifier »)."""
    await person.command("menu")
    await person.tap("list", "draft")
    await person.tap("view", action.id)
    assert person.screen is not None, [m.text[:200] for m in person.user.messages[-6:]]
    await person.press(label("op_modify"))
    assert "Récapitulatif" in person.text, person.text[-300:]


def check_clean(
    tracker: UpdateTracker, api: FakeBotApi, logs: ErrorLogs, *, callbacks: bool = False
) -> None:
    """No exception escaped the handler, no user read « Un incident », nothing logged at ERROR;
    with ``callbacks``, every callback query was answered."""
    assert tracker.errors == []
    assert incidents(api.users.values()) == []
    assert logs.lines() == []
    if callbacks:
        assert not api.unanswered_callbacks()


@dataclass
class Scene:
    """The fake Bot API, the bot's settings and an organisation (``org``, complete fiche) whose
    members the test links; the tracker and the error logs a clean run is checked on."""

    api: FakeBotApi
    tracker: UpdateTracker
    logs: ErrorLogs
    settings: Settings
    org: int
    code: str
    _code_used: bool = field(default=False, repr=False)

    @property
    def url(self) -> str:
        return self.settings.database_url

    def action(self, funder: Funder = Funder.REGION, **fields: Any) -> Action:
        """A valid action of the organisation (not stored)."""
        return make_valid_action(funder, organisation_id=self.org, **fields)

    async def store(self, *actions: Action) -> list[Action]:
        return await store(self.url, actions)

    async def stored(self, action: Action) -> Action:
        """The action as the database has it now."""
        return (await stored_actions(self.url))[action.id or -1]

    async def member(self, user_id: int, name: str) -> Person:
        """A new member of the organisation, linked by ``/start`` with a code of their own (the
        first one with ``code``)."""
        code = self.code if not self._code_used else await member_code(self.url, self.org)
        self._code_used = True
        person = Person(self.api.user(user_id, name), self.tracker)
        await person.command("start", code)
        return person

    def check_clean(self, *, callbacks: bool = False) -> None:
        check_clean(self.tracker, self.api, self.logs, callbacks=callbacks)


@asynccontextmanager
async def scene(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, fiche: dict[str, Any] | None = None, **settings: object
) -> AsyncIterator[Scene]:
    """A fresh database with an organisation (``fiche``: fields of its fiche other than the
    factory's), the fake API and the updates tracked; the bot is started by the test
    (``running_bot(s.settings)``), after what it stores."""
    tracker = UpdateTracker().install(monkeypatch)
    async with FakeBotApi() as api, ErrorLogs.captured() as logs:
        bot_settings = settings_for(api, tmp_path / "bot.db", **settings)
        org, code = await new_link_code(bot_settings, **(fiche or {}))
        yield Scene(api, tracker, logs, bot_settings, org, code)


@dataclass
class OneMember:
    """What ``one_member`` yields: the member, the actions stored for their organisation, the
    database's URL (to read what the bot stored)."""

    person: Person
    actions: list[Action]
    database_url: str


@asynccontextmanager
async def one_member(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    actions: Callable[[int], list[Action]] = lambda organisation_id: [],
) -> AsyncIterator[OneMember]:
    """The bot running on the fake API and a fresh database, with « Claire » linked to a new
    organisation that has ``actions(organisation_id)`` stored; once the block ends, the run is
    checked clean (``check_clean``)."""
    from tests.e2e.support import running_bot

    async with scene(tmp_path, monkeypatch) as s:
        stored = await s.store(*actions(s.org))
        async with running_bot(s.settings):
            claire = await s.member(1001, "Claire")
            yield OneMember(claire, stored, s.url)
            s.check_clean()
