"""Conversations: each chat's state, swapped by version."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, or_, select, update

from domain.errors import StaleVersion
from domain.ports import ConversationState
from storage.hot_statements import HotStatement
from storage.repositories.base import Repository, upsert_ignore
from storage.tables import conversations

# Run for every update (``storage.hot_statements``: straight on the driver on SQLite).
CONVERSATION_BY_CHAT = HotStatement(lambda _dialect: select(conversations.c.data, conversations.c.version).where(
    conversations.c.chat_id == bindparam("p_chat_id")
))
CONVERSATION_SWAP = HotStatement(lambda _dialect: (
    update(conversations)
    .where(
        conversations.c.chat_id == bindparam("p_chat_id"),
        conversations.c.version == bindparam("p_version"),
    )
    .values(
        data=bindparam("p_data"),
        user_id=bindparam("p_user_id"),
        version=bindparam("p_new_version"),
        updated_at=bindparam("p_now"),
    )
))


class SqlConversationRepository(Repository):
    async def load(self, chat_id: int) -> ConversationState:
        """The chat's state; a chat never seen gets an empty state at version 0."""
        row = (await self._tx.hot(CONVERSATION_BY_CHAT, {"p_chat_id": chat_id})).first()
        if row is None:
            return ConversationState(chat_id=chat_id)
        return ConversationState(chat_id=chat_id, data=dict(row.data or {}), version=row.version)

    async def save(self, state: ConversationState) -> ConversationState:
        """Compare-and-swap: version 0 inserts, otherwise ``UPDATE … WHERE version = ?``.

        Raises ``StaleVersion`` when another writer got there first (also for a concurrent first
        insert). On success ``state.version`` is incremented in place and the state returned.
        """
        now = self._now()
        user_id = state.data.get("user_id")
        user_id = user_id if isinstance(user_id, int) else state.chat_id
        if state.version == 0:
            stmt = (
                upsert_ignore(self._conn, conversations, ("chat_id",))
                .values(chat_id=state.chat_id, user_id=user_id, data=state.data, version=1,
                        updated_at=now)
                .returning(conversations.c.chat_id)
            )
            written = (await self._conn.execute(stmt)).first() is not None
        else:
            result = await self._tx.hot(
                CONVERSATION_SWAP,
                {
                    "p_chat_id": state.chat_id,
                    "p_version": state.version,
                    "p_data": state.data,
                    "p_user_id": user_id,
                    "p_new_version": state.version + 1,
                    "p_now": now,
                },
            )
            written = result.rowcount == 1
        if not written:
            raise StaleVersion()
        state.version += 1
        return state

    async def forget(self, user_id: int) -> int:
        """Delete the conversations of ``user_id``'s chat or written by them (with any unsaved
        answers); how many."""
        result = await self._conn.execute(
            delete(conversations).where(
                or_(conversations.c.chat_id == user_id, conversations.c.user_id == user_id)
            )
        )
        return result.rowcount
