"""The two readers of an update (``bot.updates``) agree: what a webhook reads from the JSON is
what long polling reads from python-telegram-bot's ``Update`` built from the same JSON."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from telegram import Bot, Update

from bot.updates import Pressed, from_json, from_update
from bot.webhook import update_key
from dialogs.io import Incoming
from domain.models import Document

BOT = Bot("123456:TEST")
USER = {"id": 1001, "is_bot": False, "first_name": "Claire"}
PRIVATE = {"id": 1001, "type": "private", "first_name": "Claire"}
GROUP = {"id": -500, "type": "group", "title": "Équipe"}


def message(**fields: Any) -> dict[str, Any]:
    return {"message_id": 7, "date": 1_700_000_000, "chat": PRIVATE, "from": USER, **fields}


def both(update: dict[str, Any]) -> tuple[Any, Any]:
    # python-telegram-bot's de_json changes the dict it is given (dates become datetimes).
    return from_update(Update.de_json(copy.deepcopy(update), BOT)), from_json(update)


def test_each_kind_of_update_reads_the_same_both_ways() -> None:
    cases = {
        "text": {"update_id": 1, "message": message(text="Soudeur TIG")},
        "command": {"update_id": 2, "message": message(text="/start@formabot_bot  CODE-42 ")},
        "bare command": {"update_id": 3, "message": message(text="/MENU")},
        "sticker": {"update_id": 4, "message": message(sticker={"file_id": "s", "file_unique_id": "u",
                    "type": "regular", "width": 1, "height": 1, "is_animated": False, "is_video": False})},
        "document": {"update_id": 5, "message": message(document={"file_id": "d", "file_unique_id": "u",
                     "file_name": "catalogue.xml", "mime_type": "application/xml", "file_size": 1234})},
        "photo": {"update_id": 6, "message": message(photo=[
            {"file_id": "small", "file_unique_id": "a", "width": 90, "height": 90, "file_size": 10},
            {"file_id": "big", "file_unique_id": "b", "width": 800, "height": 800, "file_size": 9000}])},
        "group": {"update_id": 7, "message": message(chat=GROUP, text="bonjour")},
        "no sender": {"update_id": 8, "message": {k: v for k, v in message(text="x").items() if k != "from"}},
        "button": {"update_id": 9, "callback_query": {"id": "q1", "from": USER, "chat_instance": "c",
                   "data": "123:menu", "message": message(text="Menu")}},
        "button, old message": {"update_id": 10, "callback_query": {"id": "q2", "from": USER,
                                "chat_instance": "c", "data": "1:x",
                                "message": {"message_id": 3, "date": 0, "chat": PRIVATE}}},
        "button, no message": {"update_id": 11, "callback_query": {"id": "q3", "from": USER,
                               "chat_instance": "c", "inline_message_id": "i", "data": "1:x"}},
        "button in a group": {"update_id": 12, "callback_query": {"id": "q4", "from": USER,
                              "chat_instance": "c", "data": "1:x", "message": message(chat=GROUP, text="m")}},
        "edited message": {"update_id": 13, "edited_message": message(text="changed", edit_date=1)},
    }
    for name, update in cases.items():
        polling, webhook = both(update)
        assert polling == webhook, name
    assert from_json(cases["command"]) == (
        Incoming(chat_id=1001, user_id=1001, command="start", args="CODE-42", update_id=2, user_name="Claire"),
        None,
    )
    assert from_json(cases["photo"])[0].document == Document(  # type: ignore[union-attr]
        file_id="big", file_name="photo.jpg", mime_type="image/jpeg", size=9000)
    assert from_json(cases["button"])[1] == Pressed("q1", 1001, 7)
    assert from_json(cases["button, old message"])[1] == Pressed("q2", 1001, 3)  # edit tried
    assert from_json(cases["button, no message"]) == (None, Pressed("q3"))
    assert from_json(cases["button in a group"]) == (None, Pressed("q4", -500, 7))
    assert update_key(cases["button"]) == 1001 and update_key(cases["no sender"]) == 1001


texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@given(
    text=st.one_of(st.none(), texts, texts.map(lambda t: "/" + t)),
    chat=st.sampled_from([PRIVATE, GROUP]),
    first_name=st.one_of(st.just("Claire"), texts.filter(bool)),
    pressed=st.booleans(),
    date=st.sampled_from([0, 1_700_000_000]),
    data=st.one_of(st.none(), texts),
)
def test_any_message_or_button_reads_the_same_both_ways(
    text: str | None, chat: dict[str, Any], first_name: str, pressed: bool, date: int, data: str | None
) -> None:
    user = {**USER, "first_name": first_name}
    sent = {"message_id": 5, "date": date if pressed else 1_700_000_000, "chat": chat, "from": user}
    if text is not None:
        sent["text"] = text
    if pressed:
        query: dict[str, Any] = {"id": "q", "from": user, "chat_instance": "c", "message": sent}
        if data is not None:
            query["data"] = data
        update: dict[str, Any] = {"update_id": 42, "callback_query": query}
    else:
        update = {"update_id": 42, "message": sent}
    polling, webhook = both(update)
    assert polling == webhook
