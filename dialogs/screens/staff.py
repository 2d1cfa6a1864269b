"""The Carif-Oref staff: the queues (confirmed, approved to publish, État justifications received),
the Région's vote, and an action's full view with the operations its status allows (publish,
return for correction, justification received, approve, refuse, vote)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from dialogs import operations
from dialogs.context import Context
from dialogs.io import Reply
from dialogs.keyboards import Keyboard
from dialogs.render import plain, render, text
from dialogs.router import button, goes_to, goes_to_with_action, opens_action, opens_list, screen
from dialogs.screens import staff_edit, staff_sessions
from dialogs.screens.backoffice import (
    BackofficeScreen,
    action_view,
    actor,
    attempt,
    blabel,
    btext,
    load,
    load_or_leave,
)
from dialogs.screens.paged import PagedList
from dialogs.state import DialogState, ScreenName
from domain.errors import DomainError
from domain.lifecycle import Operation, staff_operations
from domain.models import Action, Status
from domain.ports import UnitOfWork
from domain.services import backoffice
from domain.services.actors import Actor, find, parse_references

# The queues of the staff menu: a name, and its title (in backoffice_texts.j2).
QUEUES = ("submitted", "approved", "justif")
_QUEUE_STATUS = {"submitted": Status.SUBMITTED, "approved": Status.APPROVED}
# An État justification can be marked received before or after confirmation (see the lifecycle).
_JUSTIF_STATUSES = (Status.SUBMITTED, Status.RETURNED, Status.DRAFT)
_REF = re.compile(r"\S+")


async def justifications_to_check(ctx: Context) -> list[Action]:
    """État actions whose organisation sent the justification, not yet marked received."""
    found: list[Action] = []
    today = ctx.clock.today()
    for status in _JUSTIF_STATUSES:
        for action in await ctx.uow.all_actions().list(status, limit=1000):
            if (
                action.justificatif is not None
                and Operation.MARK_JUSTIFICATION in staff_operations(action, today)
            ):
                found.append(action)
    return found


async def queue(ctx: Context, name: str) -> list[Action]:
    if name == "justif":
        return await justifications_to_check(ctx)
    return await ctx.uow.all_actions().list(_QUEUE_STATUS.get(name, Status.SUBMITTED), limit=1000)


async def open_reference(ctx: Context, st: DialogState, value: str) -> None:
    """A reference typed at the menu or in a list opens that action."""
    if not _REF.fullmatch(value):
        ctx.say(btext("no_text"))
        return
    try:
        action = await find(ctx.uow, actor(ctx, st), value)
    except DomainError as exc:
        ctx.say(plain(operations.describe(exc)))
        return
    st.action_id = action.id
    st.list_status = None
    st.screen = ScreenName.STAFF_VIEW


@screen(ScreenName.STAFF_MENU, shows_error=True,
        targets=(ScreenName.STAFF_LIST, ScreenName.STAFF_VOTE, ScreenName.STAFF_VIEW))
class StaffMenu(BackofficeScreen):
    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        actor(ctx, st)  # staff only
        counts = await ctx.uow.all_actions().counts()
        totals = {
            "submitted": counts.get(Status.SUBMITTED, 0),
            "approved": counts.get(Status.APPROVED, 0),
            "justif": len(await justifications_to_check(ctx)),
        }
        for name in QUEUES:
            kb.add(blabel("queue", label=btext(f"queue_{name}"), count=totals[name]), "q", name)
        kb.add(blabel("vote"), "vote")
        body = render("staff_menu.j2", notice=st.notice, error=st.error, **totals)
        return [Reply(body, kb.rows)]

    open_queue = opens_list(ScreenName.STAFF_LIST, "q", QUEUES)

    vote = goes_to(ScreenName.STAFF_VOTE, "vote")

    async def on_text(self, ctx: Context, st: DialogState, value: str) -> None:
        await open_reference(ctx, st, value)


@screen(ScreenName.STAFF_LIST, targets=(ScreenName.STAFF_VIEW, ScreenName.STAFF_MENU))
class StaffList(BackofficeScreen, PagedList):
    async def items(self, ctx: Context, st: DialogState) -> list[Action]:
        actor(ctx, st)
        return await queue(ctx, self._queue(st))

    @staticmethod
    def _queue(st: DialogState) -> str:
        return st.list_status if st.list_status in QUEUES else "submitted"

    def item_label(self, action: Action) -> str:
        return blabel("action_item", reference=action.reference or "", title=action.intitule or text("untitled"))

    def footer(self, kb: Keyboard, st: DialogState) -> None:
        kb.add(blabel("menu"), "menu")

    async def body(self, ctx: Context, st: DialogState, actions: list[Action]) -> str:
        return render("backoffice_list.j2", title=btext(f"queue_{self._queue(st)}"), count=len(actions),
                      notice=st.notice)

    view = opens_action(ScreenName.STAFF_VIEW, "view")
    menu = goes_to(ScreenName.STAFF_MENU, "menu")

    async def on_text(self, ctx: Context, st: DialogState, value: str) -> None:
        await open_reference(ctx, st, value)


# The operations of the view, in the order shown: (operation, label macro, verb).
_OPERATION_BUTTONS = (
    (Operation.MARK_JUSTIFICATION, "justification", "justif"),
    (Operation.APPROVE, "approve", "approve"),
    (Operation.RECORD_VOTE, "record_vote", "vote"),
    (Operation.PUBLISH, "publish", "publish"),
    (Operation.RETURN, "send_back", "return"),
    (Operation.REFUSE, "refuse", "refuse"),
)


@screen(ScreenName.STAFF_VIEW, shows_error=True,
        targets=(ScreenName.STAFF_PUBLISH, ScreenName.STAFF_RETURN, ScreenName.REFUSE_REASON, ScreenName.STAFF_LIST,
                 ScreenName.STAFF_MENU, ScreenName.STAFF_ORGANISATION, ScreenName.STAFF_EDIT,
                 ScreenName.STAFF_ORDER, ScreenName.STAFF_SESSION))
class StaffView(BackofficeScreen):
    """The full view of an action, with the operations ``staff_operations`` allows now."""

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        action = await load_or_leave(ctx, st, ScreenName.STAFF_LIST if st.list_status else ScreenName.STAFF_MENU)
        allowed = staff_operations(action, ctx.clock.today())
        kb.offer(allowed, ((op, blabel(name), verb) for op, name, verb in _OPERATION_BUTTONS))
        staff_edit.add_buttons(action, kb)
        staff_sessions.offer(kb, action)
        if action.justificatif is not None:
            kb.add(blabel("download"), "document")
        kb.add(blabel("organisation"), "org")
        back = "back" if st.list_status else "menu"
        kb.row(kb.button(blabel("back"), back), kb.button(blabel("menu"), "menu"))
        return await action_view(ctx, st, action, kb)

    async def _action(self, ctx: Context, st: DialogState, operation: Operation | None) -> Action | None:
        """The action viewed, if still in scope and (for ``operation``) allowing it now."""
        action = await load(ctx, st, st.action_id)
        if action is None or action.id is None:
            st.screen = ScreenName.STAFF_MENU
            return None
        actor(ctx, st)
        if operation is not None and operation not in staff_operations(action, ctx.clock.today()):
            st.error = text("operation_not_allowed")
            return None
        return action

    async def _decide(
        self, ctx: Context, st: DialogState, operation: Operation,
        decision: Callable[[UnitOfWork, Actor, int], Awaitable[Action]], notice: str,
    ) -> None:
        """``decision`` on the action viewed, if it allows ``operation``; ``notice`` says it was done."""
        if (action := await self._action(ctx, st, operation)) is not None:
            assert action.id is not None
            done = await attempt(ctx, st, decision(ctx.uow, actor(ctx, st), action.id))
            if done is not None:
                st.notice = btext(notice, reference=done.reference)

    @button("justif")
    async def mark_justification(self, ctx: Context, st: DialogState, arg: str) -> None:
        await self._decide(ctx, st, Operation.MARK_JUSTIFICATION, backoffice.mark_justification,
                           "justification_marked")

    @button("approve")
    async def approve(self, ctx: Context, st: DialogState, arg: str) -> None:
        await self._decide(ctx, st, Operation.APPROVE, backoffice.approve, "approved")

    @button("vote")
    async def vote(self, ctx: Context, st: DialogState, arg: str) -> None:
        if (action := await self._action(ctx, st, Operation.RECORD_VOTE)) is not None:
            report = await attempt(
                ctx, st, backoffice.record_region_vote(ctx.uow, actor(ctx, st), [action.reference or ""])
            )
            if report is not None:
                st.notice = operations.vote_report(report)

    @button("publish")
    async def publish(self, ctx: Context, st: DialogState, arg: str) -> None:
        if await self._action(ctx, st, Operation.PUBLISH) is not None:
            st.reference_carif = None
            st.screen = ScreenName.STAFF_PUBLISH

    send_back = goes_to_with_action(ScreenName.STAFF_RETURN, "return", Operation.RETURN)

    @button("refuse")
    async def refuse(self, ctx: Context, st: DialogState, arg: str) -> None:
        if await self._action(ctx, st, Operation.REFUSE) is not None:
            st.refusal_reason = None
            st.screen = ScreenName.REFUSE_REASON

    @button("correct")
    async def correct(self, ctx: Context, st: DialogState, arg: str) -> None:
        if (action := await self._action(ctx, st, None)) is not None and action.id is not None:
            await staff_edit.start_correction(ctx, st, action.id)

    @button("order")
    async def next_order(self, ctx: Context, st: DialogState, arg: str) -> None:
        if (action := await self._action(ctx, st, None)) is not None and action.id is not None:
            await staff_edit.start_order(ctx, st, action.id)

    @button("add_session")
    async def add_session(self, ctx: Context, st: DialogState, arg: str) -> None:
        if (action := await self._action(ctx, st, None)) is not None and action.status is Status.PUBLISHED:
            staff_sessions.start(st)

    @button("document")
    async def document(self, ctx: Context, st: DialogState, arg: str) -> None:
        if (action := await self._action(ctx, st, None)) is not None:
            doc = action.justificatif
            if doc is None:
                ctx.say(btext("no_justificatif"))
            else:
                ctx.say(btext("document_info", reference=action.reference, name=doc.file_name,
                              mime=doc.mime_type, size=doc.size))

    organisation = goes_to_with_action(ScreenName.STAFF_ORGANISATION, "org")
    back = goes_to_with_action(ScreenName.STAFF_LIST, "back")
    menu = goes_to_with_action(ScreenName.STAFF_MENU, "menu")


class _StaffTyping(BackofficeScreen):
    """A screen where the staff types something about the action viewed, then goes back to it."""

    targets = (ScreenName.STAFF_VIEW, ScreenName.STAFF_LIST, ScreenName.STAFF_MENU)
    shows_error = True


@screen(ScreenName.STAFF_PUBLISH)
class StaffPublish(_StaffTyping):
    """« Publier »: the Carif-Oref reference it will get (or one typed instead), then confirm."""

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        action = await load_or_leave(ctx, st, ScreenName.STAFF_MENU)
        reference = st.reference_carif or backoffice.proposed_reference(
            action, ctx.clock.today()
        )
        kb.add(blabel("publish_yes", reference=reference), "yes")
        kb.add(blabel("cancel"), "no")
        body = render("staff_publish.j2", action=action, reference=reference, error=st.error, notice=st.notice)
        return [Reply(body, kb.rows)]

    @button("no")
    async def cancel(self, ctx: Context, st: DialogState, arg: str) -> None:
        st.reference_carif = None
        st.screen = ScreenName.STAFF_VIEW

    @button("yes")
    async def publish(self, ctx: Context, st: DialogState, arg: str) -> None:
        published = await attempt(
            ctx, st,
            backoffice.publish(
                ctx.uow, actor(ctx, st), st.action_id or 0, now=ctx.clock.now(),
                reference_carif=st.reference_carif, today=ctx.clock.today(),
            ),
        )
        if published is None:
            return
        st.reference_carif = None
        st.notice = btext("published", reference=published.reference,
                          reference_carif=published.reference_carif)
        st.screen = ScreenName.STAFF_LIST if st.list_status else ScreenName.STAFF_VIEW

    async def on_text(self, ctx: Context, st: DialogState, value: str) -> None:
        try:
            st.reference_carif = backoffice.check_reference_carif(value)
        except DomainError as exc:
            st.error = plain(operations.describe(exc))


@screen(ScreenName.STAFF_RETURN)
class StaffReturn(_StaffTyping):
    """« Renvoyer pour correction »: the comment, typed; the organisation reads it."""

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        action = await load_or_leave(ctx, st, ScreenName.STAFF_MENU)
        kb.add(blabel("cancel"), "no")
        body = render("staff_return.j2", action=action, limit=backoffice.MAX_TEXT, error=st.error)
        return [Reply(body, kb.rows)]

    cancel = goes_to(ScreenName.STAFF_VIEW, "no")

    async def on_text(self, ctx: Context, st: DialogState, value: str) -> None:
        if not 1 <= len(value) <= backoffice.MAX_TEXT:
            st.error = btext("comment_length", limit=backoffice.MAX_TEXT)
            return
        returned = await attempt(
            ctx, st,
            backoffice.return_for_correction(ctx.uow, actor(ctx, st), st.action_id or 0, value),
        )
        if returned is None:
            return
        st.notice = btext("returned", reference=returned.reference)
        st.screen = ScreenName.STAFF_LIST if st.list_status else ScreenName.STAFF_VIEW


@screen(ScreenName.STAFF_VOTE, shows_error=True, targets=(ScreenName.STAFF_MENU,))
class StaffVote(BackofficeScreen):
    """« Vote de la Région »: the references typed or pasted, then the report line by line."""

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        actor(ctx, st)
        kb.add(blabel("cancel"), "no")
        body = render("staff_vote.j2", error=st.error)
        return [Reply(body, kb.rows)]

    cancel = goes_to(ScreenName.STAFF_MENU, "no")

    async def on_text(self, ctx: Context, st: DialogState, value: str) -> None:
        references = parse_references(value)
        report = await attempt(ctx, st, backoffice.record_region_vote(ctx.uow, actor(ctx, st), references))
        if report is None:
            return
        st.notice = operations.vote_report(report)
        st.screen = ScreenName.STAFF_MENU
