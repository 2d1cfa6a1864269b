"""Telegram misbehaving in the middle of a form: 429 with retry_after, a series of 500s, requests
that time out, and the Bot API unreachable for 30 seconds.

Each time: the user's answer is processed once, the bot keeps its place (the next question, with
every answer acknowledged before in the conversation state) and the replies are delivered again
once Telegram behaves.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from telegram.request import BaseRequest

from bot.http_client import bot_request
from dialogs.state import DialogState
from domain.catalogue import Section, field_spec
from storage.database import create_engine
from storage.uow import SqlUnitOfWorkFactory
from tests.e2e.support import Player, new_link_code, running_bot, settings_for
from tests.fakebotapi import FakeBotApi, WaitTimeout
from tests.labels import label
from tests.samples import VALID_SAMPLES

USER_ID = 1001
# The first questions of a Région action, in order (``certifiante: oui`` asks ``certifications``).
QUESTIONS = [
    "intitule",
    "objectif",
    "resultats_attendus",
    "contenu",
    "certifiante",
    "certifications",
    "formacodes",
    "codes_rome",
]
OUTAGE_SECONDS = 30.0
RECOVERY_TIMEOUT = 60.0  # PTB's polling backs off up to 30 s between attempts after network errors
SHORT_READ_TIMEOUT = 1.0  # instead of HTTPXRequest's 5 s, so that a timeout costs little time
REPLY_METHODS = {"sendmessage", "editmessagetext", "answercallbackquery"}


async def _conversation(database_url: str, chat_id: int = USER_ID) -> DialogState:
    engine = create_engine(database_url)
    try:
        async with SqlUnitOfWorkFactory(engine)() as uow:
            conversation = await uow.conversations.load(chat_id)
    finally:
        await engine.dispose()
    return DialogState.model_validate(conversation.data)


async def _assert_place(database_url: str, player: Player, answered: list[str]) -> None:
    """The question shown is the one after ``answered``, and every one of them is in the state."""
    expected_next = QUESTIONS[len(answered)]
    shown = player.current_field()
    assert shown is not None and shown.key == expected_next, player.text
    state = await _conversation(database_url)
    assert state.form is not None and state.form.key == expected_next, state.form
    draft = state.form.action()
    for key in answered:
        spec = field_spec(Section.GENERAL, key)
        assert draft.get(key) == spec.parse(VALID_SAMPLES[key]), (key, draft.get(key))


@asynccontextmanager
async def _in_a_form(
    tmp_path: Path, answered: int
) -> AsyncIterator[tuple[FakeBotApi, Player, str]]:
    """The bot running, Claire linked, in a new Région action with ``answered`` questions done."""
    async with FakeBotApi() as api:
        settings = settings_for(api, tmp_path / "bot.db")
        _, code = await new_link_code(settings)
        async with running_bot(settings):
            claire = Player(api.user(USER_ID, "Claire"))
            await claire.command("start", code)
            await claire.press(label("create"))
            await claire.press("Région")
            for key in QUESTIONS[:answered]:
                await claire.say(VALID_SAMPLES[key])
            await _assert_place(settings.database_url, claire, QUESTIONS[:answered])
            yield api, claire, settings.database_url


def _after(api: FakeBotApi, start: int, methods: set[str]) -> list[Any]:
    return [r for r in api.requests[start:] if r.method.lower() in methods]


async def _answer(player: Player, key: str, timeout: float) -> None:
    """Type the sample answer of ``key`` and wait (up to ``timeout``) for the next screen."""
    start = player._mark()
    await player.user.send_text(VALID_SAMPLES[key])
    await player._settle(start, timeout=timeout)


async def test_429_with_retry_after_is_honoured_and_nothing_is_sent_twice(tmp_path: Path) -> None:
    async with _in_a_form(tmp_path, answered=2) as (api, claire, url):
        start = len(api.requests)
        api.inject_429(
            3, retry_after=1, methods=["sendMessage", "editMessageText", "answerCallbackQuery"]
        )
        api.inject_429(1, retry_after=1, methods=["getUpdates"])
        await _answer(claire, "resultats_attendus", timeout=30)
        await _assert_place(url, claire, QUESTIONS[:3])
        await claire.say(VALID_SAMPLES["contenu"])
        await claire.press("Oui")  # a button: the answer to the callback query and an edit
        await _assert_place(url, claire, QUESTIONS[:5])

        refused = [r for r in api.requests[start:] if r.status == 429]
        assert len(refused) == 4 and api.stats.too_many_requests == 4
        for request in refused:  # nothing asked of the API before retry_after had passed
            following = [
                r
                for r in api.requests[start:]
                if r.method == request.method and r.time > request.time
            ]
            assert following, request
            assert following[0].time - request.time >= 0.95, (
                request.method,
                following[0].time - request.time,
            )
        assert not api.stats.duplicates
        assert not api.unanswered_callbacks()


async def test_a_series_of_500s_is_retried_and_delivered_once(tmp_path: Path) -> None:
    async with _in_a_form(tmp_path, answered=2) as (api, claire, url):
        start = len(api.requests)
        api.inject_500(3)  # the next three messages or edits
        api.inject_500(3, methods=["getUpdates"])
        await _answer(claire, "resultats_attendus", timeout=30)
        await _assert_place(url, claire, QUESTIONS[:3])
        api.inject_500(3, methods=["editMessageText", "answerCallbackQuery"])
        await claire.say(VALID_SAMPLES["contenu"])
        start_press = claire._mark()
        await claire.user.press("Oui", claire.screen)
        await claire._settle(start_press, timeout=30)
        await _assert_place(url, claire, QUESTIONS[:5])

        assert len([r for r in api.requests[start:] if r.status == 500]) == 9
        assert api.stats.server_errors == 9
        assert not api.stats.duplicates
        assert not api.unanswered_callbacks()
        assert not any("Un incident" in m.text for m in claire.user.bot_messages)


async def test_requests_timing_out_then_the_answer_is_processed_and_delivered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The application's HTTP client with a short read timeout (PTB's default is 5 s): the same
    # code path, only faster to provoke. getUpdates gets it plus its long-polling timeout.
    def short_timeout_request(size: int, **kwargs: Any) -> BaseRequest:  # getUpdates' and the others'
        kwargs.setdefault("read_timeout", SHORT_READ_TIMEOUT)
        return bot_request(size, **kwargs)

    monkeypatch.setattr("bot.telegram_channel.bot_request", short_timeout_request)
    async with _in_a_form(tmp_path, answered=2) as (api, claire, url):
        # 1. getUpdates times out (latency above read timeout + poll timeout): the answer waits.
        polls = len(api.requests_for("getUpdates"))
        api.set_latency(2 * SHORT_READ_TIMEOUT + 0.5)
        await api.wait_until(lambda: len(api.requests_for("getUpdates")) > polls, 10)
        start = claire._mark()
        await claire.user.send_text(VALID_SAMPLES["resultats_attendus"])
        polls = len(api.requests_for("getUpdates"))
        await api.wait_until(lambda: len(api.requests_for("getUpdates")) >= polls + 2, 20)
        assert not claire.user.pending_replies()  # not delivered to the bot yet
        # 2. getUpdates gets through, but the reply's sendMessage times out and is retried.
        requests = len(api.requests)
        api.set_latency(SHORT_READ_TIMEOUT + 0.5)
        await api.wait_until(lambda: len(_after(api, requests, {"sendmessage"})) >= 2, 20)
        # 3. Telegram answers in time again.
        api.set_latency(0)
        await claire._settle(start, timeout=30)
        await _assert_place(url, claire, QUESTIONS[:3])
        # A timed-out sendMessage may still have been delivered by Telegram, and the bot retried
        # it: the question can show more than once (at least once). The user answers it once.
        began = time.monotonic()
        claire._mark()
        await claire.user.send_text(VALID_SAMPLES["contenu"])
        claire.screen = await claire.user.wait_for(
            lambda m: bool(m.buttons) and "Formation certifiante" in m.text,
            10,
            what="the next question",
        )
        claire.read = [claire.screen]
        assert time.monotonic() - began < 10, "delivery did not resume"
        await _assert_place(url, claire, QUESTIONS[:4])
        await api.wait_until(
            lambda: all(r.status is not None for r in _after(api, requests, REPLY_METHODS)), 10
        )
        copies = sum(
            1 for m in claire.user.bot_messages if "question 4/" in m.text and not m.edited
        )
        print(f"timeouts: question 4 was shown {copies} time(s)")
        assert copies >= 1


async def test_bot_api_unreachable_for_30_seconds_message_processed_after_nothing_lost(
    tmp_path: Path,
) -> None:
    async with _in_a_form(tmp_path, answered=3) as (api, claire, url):
        await api.pause()  # connection refused, open connections closed
        outage_began = time.monotonic()
        start = claire._mark()
        await claire.user.send_text(VALID_SAMPLES["contenu"])  # written during the outage
        with pytest.raises(WaitTimeout):  # the outage itself: nothing can reach the user
            await claire.user.wait_for(
                lambda m: True, OUTAGE_SECONDS, what="reply during the outage"
            )
        await api.resume()
        resumed = time.monotonic()
        await claire._settle(start, timeout=RECOVERY_TIMEOUT)
        recovery = time.monotonic() - resumed
        print(
            f"outage: {resumed - outage_began:.1f} s; reply {recovery:.1f} s after the API came back"
        )
        await _assert_place(url, claire, QUESTIONS[:4])
        began = time.monotonic()
        await claire.press("Oui")
        assert time.monotonic() - began < 10, "delivery did not resume"
        await _assert_place(url, claire, QUESTIONS[:5])
        assert not api.stats.duplicates
        assert not api.unanswered_callbacks()
        assert not any("Un incident" in m.text for m in claire.user.bot_messages)
