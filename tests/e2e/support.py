"""End-to-end support: the real bot (``BotRuntime``) against the fake Bot API, and a player.

The player waits for conditions (the screen message arrived), never for fixed delays.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.runtime import BotRuntime
from domain.catalogue import FieldSpec
from domain.models import Action
from domain.ports import Role
from storage.database import create_engine, upgrade
from storage.uow import SqlUnitOfWorkFactory
from tests.dialogs.support import field_asked, give_sample
from tests.fakebotapi import ChatMessage, FakeBotApi, FakeUser

STAFF_ID = 9001
TODAY = date(2026, 12, 1)
# ``FORMABOT_FAST_PATHS`` on and off: a flow run both ways behaves the same (see ``uses_fast_paths``).
FAST_PATHS = [pytest.param(True, id="fast"), pytest.param(False, id="stock")]


def settings_for(api: FakeBotApi, db: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "telegram_token": api.token,
        "telegram_api_url": api.base_url,
        "database_url": f"sqlite+aiosqlite:///{db}",
        "admin_ids": [STAFF_ID],
        "today": TODAY,
        "export_dir": db.parent / "exports",
        # Telegram's pace is one message per second per chat; the fake has no such limit, and the
        # pacing itself is tested on its own, so the scripted users need not wait.
        "chat_rate": 100.0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@asynccontextmanager
async def running_bot(settings: Settings) -> AsyncIterator[BotRuntime]:
    runtime = BotRuntime(settings, poll_timeout=1)
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


async def uses_fast_paths(runtime: BotRuntime) -> bool:
    """Whether the running bot took the fast paths (the one-trip SQLite driver, ``BoundedRequest``):
    both, or neither."""
    from bot.http_client import BoundedRequest
    from storage.sqlite_driver import OneTripConnection

    assert runtime.services is not None and runtime._app is not None
    async with runtime.services.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver = isinstance(raw.driver_connection, OneTripConnection)
    http = isinstance(runtime._app.bot.request, BoundedRequest)  # type: ignore[attr-defined]
    assert driver is http
    return driver


async def new_link_code(
    settings: Settings, organisation_name: str = "Forma Sud", **fiche: Any
) -> tuple[int, str]:
    """An organisation with a complete fiche (``fiche``: fields other than the factory's), and a link
    code for it (as `formabot org add`)."""
    from domain.ports import Role
    from tests.factories import make_organisation

    engine = create_engine(settings.database_url)
    await upgrade(engine)
    try:
        async with SqlUnitOfWorkFactory(engine)() as uow:
            org = await uow.organisations.add(make_organisation(nom_organisme=organisation_name, **fiche))
            assert org.id is not None
            code = await uow.link_codes.create(Role.MEMBER, organisation_id=org.id)
            await uow.commit()
    finally:
        await engine.dispose()
    return org.id, code


class Player:
    """A user of the fake API who reads what the bot shows and answers like a person would."""

    def __init__(self, user: FakeUser) -> None:
        self.user = user
        self.screen: ChatMessage | None = None
        self.read: list[ChatMessage] = []

    async def _settle(self, start: int, *, screen: bool = True, timeout: float = 15.0) -> list[ChatMessage]:
        """Wait for the replies to the last input: up to the message (or edit) with buttons."""
        if screen:
            self.screen = await self.user.wait_for(lambda m: bool(m.buttons), timeout, what="screen")
        else:
            await self.user.next_reply(timeout)
        self.read = [m for m in self.user.messages[start:] if m.from_bot]
        return self.read

    def _mark(self) -> int:
        self.user.skip_replies()
        return len(self.user.messages)

    @property
    def text(self) -> str:
        return "\n".join(m.text for m in self.read)

    @property
    def labels(self) -> list[str]:
        return self.screen.button_texts if self.screen else []

    async def say(self, text: str, *, screen: bool = True) -> str:
        start = self._mark()
        await self.user.send_text(text)
        await self._settle(start, screen=screen)
        return self.text

    async def command(self, command: str, *args: str, screen: bool = True) -> str:
        start = self._mark()
        await self.user.send_command(f"/{command}", *args)
        await self._settle(start, screen=screen)
        return self.text

    async def send_document(self, data: bytes, file_name: str, mime_type: str) -> str:
        start = self._mark()
        await self.user.send_document(data, file_name, mime_type)
        await self._settle(start)
        return self.text

    async def press(self, label: str) -> str:
        assert self.screen is not None
        matches = [t for t in self.labels if t == label] or [t for t in self.labels if t.startswith(label)]
        assert len(matches) == 1, (label, self.labels)
        start = self._mark()
        await self.user.press(matches[0], self.screen)
        await self._settle(start)
        return self.text

    def current_field(self) -> FieldSpec | None:
        return field_asked(self.text)

    async def fill(self, overrides: dict[str, str] | None = None, limit: int = 80) -> list[str]:
        overrides = overrides or {}
        asked: list[str] = []
        for _ in range(limit):
            spec = self.current_field()
            if spec is None:
                return asked
            asked.append(spec.key)
            await give_sample(self, spec, overrides, self.say)
            assert "⚠" not in self.text, self.text
        raise AssertionError("the form never ended")


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 15.0) -> None:
    """Wait until ``check()`` holds (a database condition: the fake cannot signal it)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


class Db:
    """The test's own connection to the bot's database: actions, link codes, reads."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        self.factory = SqlUnitOfWorkFactory(self.engine)

    async def add(self, action: Action) -> Action:
        async with self.factory() as uow:
            stored = await uow.all_actions().add(action)
            await uow.commit()
        return stored

    async def get(self, action_id: int) -> Action:
        async with self.factory() as uow:
            found = await uow.all_actions().get(action_id)
        assert found is not None
        return found

    async def code(self, role: Role, **target: object) -> str:
        async with self.factory() as uow:
            code = await uow.link_codes.create(role, **target)
            await uow.commit()
        return code
