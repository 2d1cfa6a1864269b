"""Linking a Telegram user to an organisation, a funder or the Carif-Oref with a one-time code."""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.io import Reply
from dialogs.render import render
from domain.models import Organisation
from domain.ports import BotUnitOfWork, Membership, Role

MAX_FAILED_PER_HOUR = 5


@dataclass(frozen=True, slots=True)
class LinkOutcome:
    """What redeeming a code gave: the message to show, and the new link (None: refused)."""

    reply: Reply
    membership: Membership | None = None
    organisation: Organisation | None = None


async def link(uow: BotUnitOfWork, user_id: int, chat_id: int, code: str, *, support: str) -> LinkOutcome:
    """Redeem ``code`` for the user; a refusal says whom to ask (``support``: the support contact)."""
    if await uow.link_codes.attempts_in_last_hour(user_id) >= MAX_FAILED_PER_HOUR:
        return LinkOutcome(Reply(render("link_locked.j2", support=support)))
    membership = await uow.link_codes.redeem(code, user_id)
    if membership is None:
        left = max(0, MAX_FAILED_PER_HOUR - await uow.link_codes.attempts_in_last_hour(user_id))
        return LinkOutcome(Reply(render("link_failed.j2", left=left, support=support)))
    await uow.members.add(membership, chat_id=chat_id)
    organisation = None
    if membership.role is Role.MEMBER and membership.organisation_id is not None:
        organisation = await uow.organisations.get(membership.organisation_id)
    reply = Reply(render("link_ok.j2", membership=membership, organisation=organisation))
    return LinkOutcome(reply, membership, organisation)
