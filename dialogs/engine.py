"""One input, end to end: one unit of work, the dialog step, the state saved, the replies.

Nothing the user answered lives only in memory: the conversation state (with the working copy of
the form) is written in the same transaction as the update id, before any reply is returned.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace

import dialogs.screens  # noqa: F401  (registers the screens)
from dialogs.context import DEFAULT_SUPPORT_CONTACT, Context, Principal
from dialogs.io import Incoming, Reply
from dialogs.keyboards import parse_payload
from dialogs.linking import link
from dialogs.printing import Printer
from dialogs.render import render, text
from dialogs.router import SCREENS, dispatch, show
from dialogs.state import DialogState, ScreenName
from domain.errors import StaleVersion
from domain.events import Event
from domain.ports import BotUnitOfWork, Clock, LheoFiles, Membership, Role

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3


class _PublishWatch:
    """Whether the unit of work was given events to publish during this input."""

    def __init__(self) -> None:
        self.seen = False

    def __bool__(self) -> bool:
        return self.seen


def _watch_publish(uow: BotUnitOfWork) -> _PublishWatch:
    # Screens and operations publish through ``uow.publish``; wrapping it on this one instance
    # tells the engine, without each of them having to, that notifications were queued.
    watch = _PublishWatch()
    publish = uow.publish

    def watched(*events: Event) -> None:
        watch.seen = watch.seen or bool(events)
        publish(*events)

    uow.publish = watched  # type: ignore[method-assign]
    return watch


class DialogEngine:
    def __init__(
        self,
        uow_factory: Callable[..., BotUnitOfWork],
        clock: Clock,
        *,
        staff_ids: Sequence[int] = (),
        reminder_days: Sequence[int] = (30, 7, 1),
        printer: Printer | None = None,
        support_contact: str = DEFAULT_SUPPORT_CONTACT,
        lheo_files: LheoFiles | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.staff_ids = frozenset(staff_ids)
        self.reminder_days = tuple(reminder_days)
        self.support_contact = support_contact
        # Heavy documents (the recap's PDF): admitted here after the commit, made by the channel.
        self.printer = printer if printer is not None else Printer()
        self.lheo_files = lheo_files  # an LHEO catalogue sent in the chat is read with them
        # Called after a commit that queued notifications (the bot wakes its outbox delivery).
        self.on_published: Callable[[], None] = lambda: None

    async def handle(self, inc: Incoming) -> list[Reply]:
        """Process one input; an update already processed returns no reply and changes nothing
        (``inc.show_again``: it shows the current screen again, and takes no answer)."""
        for attempt in range(MAX_ATTEMPTS):
            try:
                return self._admit_documents(inc.user_id, await self._handle_once(inc))
            except StaleVersion:
                # Another input of this chat committed first: replay on the fresh state, where an
                # old button is then recognised as stale.
                log.info("conversation state changed concurrently, retrying", extra={"attempt": attempt})
        return [Reply(render("busy.j2"))]

    async def _handle_once(self, inc: Incoming) -> list[Reply]:
        # The user is the actor of everything this input changes (the audit trail names them).
        async with self.uow_factory(actor_user_id=inc.user_id) as uow:
            seen = inc.update_id is not None and not await uow.mark_update_processed(inc.update_id)
            if seen and not inc.show_again:
                return []
            published = _watch_publish(uow)
            conversation = await uow.conversations.load(inc.chat_id)
            st = DialogState.model_validate(conversation.data) if conversation.data else DialogState()
            ctx = Context(
                uow=uow,
                principal=await self._principal(uow, inc.user_id, inc.chat_id),
                clock=self.clock,
                reminder_days=self.reminder_days,
                support_contact=self.support_contact,
                upload=inc.content,
                lheo_files=self.lheo_files,
            )
            if seen:
                # Processed already, delivered again (a webhook whose 200 never reached Telegram):
                # its replies may never have left. No answer is taken; the current screen is
                # shown again, under a new number (its buttons are the ones that count).
                replies = await self._show_again(ctx, st)
                conversation.data = st.model_dump(mode="json")
                await uow.conversations.save(conversation)
                await uow.commit()
                return replies
            if inc.command == "start" and inc.args.strip():
                outcome = await link(uow, inc.user_id, inc.chat_id, inc.args.strip(),
                                     support=ctx.support_contact)
                if outcome.membership is None:
                    await uow.commit()  # the failed attempt counts
                    return [outcome.reply]
                # The new link joins those just read (no second read of the same rows).
                if outcome.membership not in ctx.principal.memberships:
                    ctx.principal = replace(
                        ctx.principal, memberships=(*ctx.principal.memberships, outcome.membership)
                    )
                ctx.know_organisation(outcome.organisation)
                ctx.out.append(outcome.reply)
                # A fresh start, keeping any answers in progress (an action form parked behind a
                # fiche question comes back: the fiche edit has nothing pending).
                kept = st.parked_form if st.form is not None and st.form.kind == "organisation" else st.form
                st = DialogState(form=kept)
                inc = replace(inc, args="")
            if ctx.principal.is_staff and Role.STAFF not in {m.role for m in ctx.principal.memberships}:
                # Staff are named by configuration; the link row lets notifications reach them.
                await uow.members.add(Membership(user_id=inc.user_id, role=Role.STAFF), chat_id=inc.chat_id)
            try:
                replies = await self._step(ctx, st, inc)
            except (PermissionError, LookupError):
                # A screen of a role the user does not have (any more), or a state that no longer
                # holds together: nothing of this step is kept, the user is back at their home.
                await uow.rollback()
                if inc.update_id is not None:
                    await uow.mark_update_processed(inc.update_id)
                st = DialogState.model_validate(conversation.data) if conversation.data else DialogState()
                replies = await self._fall_back_home(ctx, st)
            conversation.data = st.model_dump(mode="json")
            await uow.conversations.save(conversation)
            await uow.commit()
            if published:
                self.on_published()
            return replies

    def _admit_documents(self, user_id: int, replies: list[Reply]) -> list[Reply]:
        """The step is committed: a reply asking for a document keeps it only if the user may have
        one more now (one in preparation at a time, a rate per minute); else it says why not."""
        admitted: list[Reply] = []
        for reply in replies:
            if reply.pending is not None:
                refusal = self.printer.admit(user_id)
                if refusal is not None:
                    reply = Reply(refusal)
            admitted.append(reply)
        return admitted

    @staticmethod
    async def _fall_back_home(ctx: Context, st: DialogState) -> list[Reply]:
        """The user's home screen after a refused step; a member whose organisation is not (or no
        longer) among their links chooses again. If even that cannot be shown, the notice alone."""
        ctx.out = [Reply(text("operation_not_allowed"))]
        st.screen = st.home
        _choose_organisation(ctx, st)
        try:
            return await show(ctx, st)
        except (PermissionError, LookupError):
            log.warning("home screen could not be shown after a refused step")
            st.screen = st.home
            return list(ctx.out)

    async def _show_again(self, ctx: Context, st: DialogState) -> list[Reply]:
        """The screen the user is at, as ``_step`` would frame it, without any input."""
        home = self._home(ctx.principal)
        if home is None:
            return [Reply(render("unknown_user.j2", principal=ctx.principal, support=ctx.support_contact))]
        if st.home != home:
            st.home, st.screen = home, home
        _choose_organisation(ctx, st)
        try:
            return await show(ctx, st)
        except (PermissionError, LookupError):
            return await self._fall_back_home(ctx, st)

    async def mark_unreachable(self, chat_id: int) -> None:
        """The chat blocked the bot (Telegram's 403): stop sending it notifications."""
        async with self.uow_factory() as uow:
            await uow.members.mark_unreachable(chat_id)
            await uow.commit()

    async def _principal(self, uow: BotUnitOfWork, user_id: int, chat_id: int) -> Principal:
        # Rights follow the configuration now: staff are the configured ids, never a link row
        # left from an earlier configuration. Reading the links also makes the chat reachable
        # again if a 403 had marked it (the user writes: they no longer block the bot).
        return Principal(
            user_id=user_id,
            memberships=tuple(await uow.members.of_user_in_chat(user_id, chat_id)),
            is_staff=user_id in self.staff_ids,
        )

    @staticmethod
    def _home(principal: Principal) -> ScreenName | None:
        """The main menu of the user's role: Carif-Oref staff, a funder's validator, a member."""
        if principal.is_staff and ScreenName.STAFF_MENU in SCREENS:
            return ScreenName.STAFF_MENU
        if principal.funders and ScreenName.VALIDATOR_MENU in SCREENS:
            return ScreenName.VALIDATOR_MENU
        if principal.organisation_ids:
            return ScreenName.MENU
        return None

    async def _step(self, ctx: Context, st: DialogState, inc: Incoming) -> list[Reply]:
        home = self._home(ctx.principal)
        if home is None:
            return [*ctx.out, Reply(render("unknown_user.j2", principal=ctx.principal,
                                                     support=ctx.support_contact))]
        if st.home != home:
            st.home, st.screen = home, home
        if home != ScreenName.MENU:
            return await dispatch(ctx, st, inc)
        orgs = ctx.principal.organisation_ids
        if st.organisation_id not in orgs:
            st.organisation_id = orgs[0] if len(orgs) == 1 else None
        ctx.organisation_id = st.organisation_id
        if _close_forms_of_organisations_left(st, orgs):
            ctx.say(text("form_not_member"))
            st.screen = ScreenName.MENU if st.organisation_id is not None else ScreenName.CHOOSE_ORG
            return await show(ctx, st)
        # No screen of an organisation can be shown before one is chosen: everything but a
        # button of the choice itself (or /aide) shows the choice again.
        if st.organisation_id is None and (st.screen != ScreenName.CHOOSE_ORG or not _for_the_choice(inc)):
            st.screen = ScreenName.CHOOSE_ORG
            return await show(ctx, st)
        return await dispatch(ctx, st, inc)


def _choose_organisation(ctx: Context, st: DialogState) -> None:
    """A member's screens are of one of their organisations: the one shown if still theirs,
    otherwise their only one, otherwise the choice among them."""
    orgs = ctx.principal.organisation_ids
    if st.home == ScreenName.MENU and st.organisation_id not in orgs:
        st.organisation_id = orgs[0] if len(orgs) == 1 else None
        if st.organisation_id is None:
            st.screen = ScreenName.CHOOSE_ORG
    ctx.organisation_id = st.organisation_id


def _close_forms_of_organisations_left(st: DialogState, orgs: list[int]) -> bool:
    """An action form (in progress or parked behind a fiche edit) of an organisation the user no
    longer belongs to is closed: nothing of it is shown again, and it can never be saved in another
    one's scope. (A fiche edit checks the links itself at its answer: dialogs/screens/fiche.py.)"""
    closed = False
    for attr in ("form", "parked_form"):
        form = getattr(st, attr)
        if form is not None and form.kind == "action" and form.draft.get("organisation_id") not in orgs:
            setattr(st, attr, None)
            closed = True
    if closed and st.form is None:
        st.quit_from = None
    return closed and st.form is None


def _for_the_choice(inc: Incoming) -> bool:
    """Whether an input may go to the organisation choice screen (not a command that opens
    another screen, not a notification's global button)."""
    if inc.command is not None:
        return inc.command == "aide"
    if inc.payload is not None:
        return parse_payload(inc.payload)[0] is not None
    return True
