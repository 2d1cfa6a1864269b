"""One input, end to end: one unit of work, the dialog step, the state saved, the replies.

Nothing the user answered lives only in memory: the conversation state (with the working copy of
the form) is written in the same transaction as the update id, before any reply is returned.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import dialogs.screens  # noqa: F401  (registers the screens)
from dialogs.context import Context, Principal
from dialogs.io import Incoming, Reply
from dialogs.render import render
from dialogs.router import dispatch, show
from dialogs.state import DialogState
from domain.errors import StaleVersion
from domain.ports import Clock, UnitOfWork

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3


class DialogEngine:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        clock: Clock,
        *,
        staff_ids: Sequence[int] = (),
        reminder_days: Sequence[int] = (30, 7, 1),
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.staff_ids = frozenset(staff_ids)
        self.reminder_days = tuple(reminder_days)

    async def handle(self, inc: Incoming) -> list[Reply]:
        """Process one input; an update already processed returns no reply and changes nothing."""
        for attempt in range(MAX_ATTEMPTS):
            try:
                return await self._handle_once(inc)
            except StaleVersion:
                # Another input of this chat committed first: replay on the fresh state, where an
                # old button is then recognised as stale.
                log.info("conversation state changed concurrently, retrying", extra={"attempt": attempt})
        return [Reply(render("busy.j2"))]

    async def _handle_once(self, inc: Incoming) -> list[Reply]:
        async with self.uow_factory() as uow:
            if inc.update_id is not None and not await uow.mark_update_processed(inc.update_id):
                return []
            principal = Principal(
                user_id=inc.user_id,
                memberships=tuple(await uow.memberships(inc.user_id)),
                is_staff=inc.user_id in self.staff_ids,
            )
            conversation = await uow.conversations.load(inc.chat_id)
            st = DialogState.model_validate(conversation.data) if conversation.data else DialogState()
            ctx = Context(uow=uow, principal=principal, clock=self.clock, reminder_days=self.reminder_days)
            replies = await self._step(ctx, st, inc)
            conversation.data = st.model_dump(mode="json")
            await uow.conversations.save(conversation)
            await uow.commit()
            return replies

    async def _step(self, ctx: Context, st: DialogState, inc: Incoming) -> list[Reply]:
        orgs = ctx.principal.organisation_ids
        if not orgs:
            return [Reply(render("unknown_user.j2", principal=ctx.principal))]
        if st.organisation_id not in orgs:
            st.organisation_id = orgs[0] if len(orgs) == 1 else None
        ctx.organisation_id = st.organisation_id
        if st.organisation_id is None:
            if st.screen != "choose_org":
                st.screen = "choose_org"
                return await show(ctx, st)
            replies = await dispatch(ctx, st, inc)
            return replies
        return await dispatch(ctx, st, inc)
