"""Whether a queued notification's recipient is still one: each outbox row says why its chat is told
(``storage.uow``: member of the organisation, staff, the funder's validator); a chat that lost every
such link since the row was queued is not sent it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.events import RECIPIENT_REASONS
from domain.ports import BotUnitOfWork, Membership, OutboxMessage, Role


async def no_longer_addressed(
    uow: BotUnitOfWork, messages: Sequence[OutboxMessage]
) -> list[OutboxMessage]:
    """The messages whose chat lost, since they were queued, every link that made it a recipient:
    unlinked from the organisation or the funder, or no longer among the configured staff
    (``uow.staff_ids``). Rows without reasons (queued by an older version) are sent as before."""
    checked = [m for m in messages if isinstance(m.payload.get(RECIPIENT_REASONS), list)]
    if not checked:
        return []
    links = await uow.members.links_of_chats(m.chat_id for m in checked)
    staff = uow.staff_ids
    return [
        m
        for m in checked
        if not any(
            _still_holds(reason, m.payload, links.get(m.chat_id, []), staff)
            for reason in m.payload[RECIPIENT_REASONS]
        )
    ]


def _still_holds(
    reason: str, payload: dict[str, Any], links: Sequence[Membership], staff: frozenset[int]
) -> bool:
    if reason == "organisation":
        return any(
            link.role is Role.MEMBER and link.organisation_id == payload.get("organisation_id")
            for link in links
        )
    if reason == "staff":
        return any(link.role is Role.STAFF and link.user_id in staff for link in links)
    if reason == "funder":
        return any(
            link.role is Role.VALIDATOR and link.funder is not None
            and link.funder.value == payload.get("funder")
            for link in links
        )
    return True  # a reason this version does not know: not for it to refuse
