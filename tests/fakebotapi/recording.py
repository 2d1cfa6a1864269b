"""What tests read from the fake Bot API: the fake users, recorded requests, and ``wait_until``.

``InspectionMixin`` gives the test side of the server: ``user()`` (a ``FakeUser`` whose private
chat has ``chat_id == user_id``), the recorded requests (``requests``, ``requests_for``,
``failed_requests``), the current state of a message, the callback queries left unanswered, and
``wait_until`` (wait for any condition on the fake's state, re-checked after every change).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from .models import CallbackQueryRecord, ChatMessage, RecordedRequest, WaitTimeout
from .state import ServerState
from .user import FakeUser


class InspectionMixin(ServerState):
    """The fake users and everything a test inspects or waits for."""

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until ``predicate()`` is true (checked after every change of the fake's state).

        Raises TimeoutError (an AssertionError too) after ``timeout`` seconds.
        """
        condition = self._condition
        try:
            async with condition:
                await asyncio.wait_for(condition.wait_for(predicate), timeout)
        except TimeoutError:
            raise WaitTimeout(f"condition not met within {timeout} s") from None

    def user(
        self, user_id: int, first_name: str = "Claire", username: str | None = None
    ) -> FakeUser:
        """The fake user ``user_id`` (created on first call; private chat id == user id)."""
        existing = self._users.get(user_id)
        if existing is not None:
            return existing
        created = FakeUser(self, user_id, first_name, username)  # type: ignore[arg-type]
        self._users[user_id] = created
        return created

    @property
    def users(self) -> dict[int, FakeUser]:
        return dict(self._users)

    def unanswered_callbacks(self) -> list[CallbackQueryRecord]:
        """Callback queries sent to the bot that it has not answered yet."""
        return [record for record in self.callbacks.values() if not record.answered]

    def requests_for(self, method: str) -> list[RecordedRequest]:
        """Recorded requests of ``method`` (case-insensitive)."""
        lowered = method.lower()
        return [request for request in self.requests if request.method.lower() == lowered]

    def failed_requests(self) -> list[RecordedRequest]:
        """Recorded requests that were not answered with 200."""
        return [request for request in self.requests if request.status not in (None, 200)]

    def current_message(self, chat_id: int, message_id: int) -> ChatMessage | None:
        """The current state of a message (None if unknown or deleted)."""
        stored = self._messages.get((chat_id, message_id))
        if stored is None or stored.deleted:
            return None
        return self._snapshot(stored, edited=stored.edit_date is not None)
