"""Callback queries: the button presses fake users send, and answerCallbackQuery.

``CallbacksMixin`` creates the callback query of a press (``_new_callback``, the record kept in
``callbacks``) and answers answerCallbackQuery like Telegram: once per query, text at most 200
characters. Forged callback queries pushed as raw updates are recorded by ``push_update``
(``updates.py``); ``unanswered_callbacks()`` is in ``recording.py``.
"""

from __future__ import annotations

import itertools

from .models import CallbackQueryRecord
from .protocol import Params, bad_request, normalized
from .state import ServerState
from .user import FakeUser

_QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


class CallbacksMixin(ServerState):
    """Callback queries and their answers."""

    def _init_callbacks(self) -> None:
        self._callback_counter = itertools.count(1)

    def _new_callback(
        self, user: FakeUser, data: str | None, message_id: int | None
    ) -> CallbackQueryRecord:
        query_id = f"{user.user_id}{next(self._callback_counter):012d}"
        record = CallbackQueryRecord(query_id, user.user_id, data, message_id)
        self.callbacks[query_id] = record
        return record

    def _answer_callback_query(self, params: Params) -> bool:
        query_id = params.str("callback_query_id")
        record = self.callbacks.get(query_id or "")
        if record is None or record.answered:
            raise bad_request(_QUERY_TOO_OLD)
        text = params.str("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        record.answered = True
        record.answer = normalized(dict(params.values))
        return True
