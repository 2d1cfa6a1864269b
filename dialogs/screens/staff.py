"""The Carif-Oref staff: the queues (confirmed, approved to publish, État justifications received),
the Région's vote, and an action's full view with the operations its status allows (publish,
return for correction, justification received, approve, refuse, vote)."""

from __future__ import annotations

import re

from dialogs import operations
from dialogs.context import Context
from dialogs.io import Reply
from dialogs.keyboards import Keyboard, page_slice, pages
from dialogs.render import plain, render, text
from dialogs.router import screen
from dialogs.screens.backoffice import (
    LIST_PAGE,
    BackofficeScreen,
    action_view,
    actor,
    attempt,
    blabel,
    btext,
    load,
    redirect,
)
from dialogs.state import DialogState
from domain.errors import DomainError
from domain.lifecycle import Operation, staff_operations
from domain.models import Action, Status

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
        action = await operations.find(ctx.uow, actor(ctx, st), value)
    except DomainError as exc:
        ctx.say(plain(exc.message))
        return
    st.action_id = action.id
    st.list_status = None
    st.screen = "staff_view"


@screen
class StaffMenu(BackofficeScreen):
    name = "staff_menu"
    targets = ("staff_list", "staff_vote", "staff_view")

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
        st.error = None
        return [Reply(body, kb.rows)]

    async def on_button(self, ctx: Context, st: DialogState, verb: str, arg: str) -> None:
        if verb == "q" and arg in QUEUES:
            st.list_status = arg
            st.list_page = 0
            st.screen = "staff_list"
        elif verb == "vote":
            st.screen = "staff_vote"
        else:
            ctx.say(text("unexpected_button"))

    async def on_text(self, ctx: Context, st: DialogState, value: str) -> None:
        await open_reference(ctx, st, value)


@screen
class StaffList(BackofficeScreen):
    name = "staff_list"
    targets = ("staff_view", "staff_menu")

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        actor(ctx, st)
        name = st.list_status if st.list_status in QUEUES else "submitted"
        actions = await queue(ctx, name)
        for i in page_slice(actions, st.list_page, LIST_PAGE):
            a = actions[i]
            title = a.intitule or text("untitled")
            kb.add(blabel("action_item", reference=a.reference or "", title=title), "view", a.id)
        kb.pager(st.list_page, pages(actions, LIST_PAGE))
        kb.add(blabel("menu"), "menu")
        body = render("backoffice_list.j2", title=btext(f"queue_{name}"), count=len(actions),
                      notice=st.notice)
        return [Reply(body, kb.rows)]

    async def on_button(self, ctx: Context, st: DialogState, verb: str, arg: str) -> None:
        if verb == "pg" and arg.isdigit():
            st.list_page = int(arg)
        elif verb == "view" and arg.isdigit():
            st.action_id = int(arg)
            st.screen = "staff_view"
        else:
            st.screen = "staff_menu"

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


@screen
class StaffView(BackofficeScreen):
    """The full view of an action, with the operations ``staff_operations`` allows now."""

    name = "staff_view"
    targets = ("staff_publish", "staff_return", "refuse_reason", "staff_list", "staff_menu")

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        action = await load(ctx, st, st.action_id)
        if action is None:
            return await redirect(ctx, st, kb, "staff_list" if st.list_status else "staff_menu")
        allowed = staff_operations(action, ctx.clock.today())
        for op, name, verb in _OPERATION_BUTTONS:
            if op in allowed:
                kb.add(blabel(name), verb)
        if action.justificatif is not None:
            kb.add(blabel("download"), "document")
        back = "back" if st.list_status else "menu"
        kb.row(kb.button(blabel("back"), back), kb.button(blabel("menu"), "menu"))
        return await action_view(ctx, st, action, kb)

    async def on_button(self, ctx: Context, st: DialogState, verb: str, arg: str) -> None:
        action = await load(ctx, st, st.action_id)
        if action is None or action.id is None:
            st.screen = "staff_menu"
            return
        who = actor(ctx, st)
        allowed = staff_operations(action, ctx.clock.today())
        if verb == "justif" and Operation.MARK_JUSTIFICATION in allowed:
            done = await attempt(ctx, st, operations.mark_justification(ctx.uow, who, action.id))
            if done is not None:
                st.notice = btext("justification_marked", reference=done.reference)
        elif verb == "approve" and Operation.APPROVE in allowed:
            done = await attempt(ctx, st, operations.approve(ctx.uow, who, action.id))
            if done is not None:
                st.notice = btext("approved", reference=done.reference)
        elif verb == "vote" and Operation.RECORD_VOTE in allowed:
            report = await attempt(
                ctx, st, operations.record_region_vote(ctx.uow, who, [action.reference or ""])
            )
            if report is not None:
                st.notice = render("vote_report.j2", summary=report.summary, lines=report.lines)
        elif verb == "publish" and Operation.PUBLISH in allowed:
            st.extra.pop("reference_carif", None)
            st.screen = "staff_publish"
        elif verb == "return" and Operation.RETURN in allowed:
            st.screen = "staff_return"
        elif verb == "refuse" and Operation.REFUSE in allowed:
            st.extra.pop("reason", None)
            st.screen = "refuse_reason"
        elif verb == "document":
            doc = action.justificatif
            if doc is None:
                ctx.say(btext("no_justificatif"))
            else:
                ctx.say(btext("document_info", reference=action.reference, name=doc.file_name,
                              mime=doc.mime_type, size=doc.size))
        elif verb == "back":
            st.screen = "staff_list"
        elif verb == "menu":
            st.screen = "staff_menu"
        else:
            st.error = text("operation_not_allowed")


@screen
class StaffPublish(BackofficeScreen):
    """« Publier »: the Carif-Oref reference it will get (or one typed instead), then confirm."""

    name = "staff_publish"
    targets = ("staff_view", "staff_list")

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        action = await load(ctx, st, st.action_id)
        if action is None:
            return await redirect(ctx, st, kb, "staff_menu")
        reference = st.extra.get("reference_carif") or operations.proposed_reference(
            action, ctx.clock.today()
        )
        kb.add(blabel("publish_yes", reference=reference), "yes")
        kb.add(blabel("cancel"), "no")
        body = render("staff_publish.j2", action=action, reference=reference, error=st.error)
        st.error = None
        return [Reply(body, kb.rows)]

    async def on_button(self, ctx: Context, st: DialogState, verb: str, arg: str) -> None:
        if verb != "yes":
            st.extra.pop("reference_carif", None)
            st.screen = "staff_view"
            return
        published = await attempt(
            ctx, st,
            operations.publish(
                ctx.uow, actor(ctx, st), st.action_id or 0, now=ctx.clock.now(),
                reference_carif=st.extra.get("reference_carif"), today=ctx.clock.today(),
            ),
        )
        if published is None:
            return
        st.extra.pop("reference_carif", None)
        st.notice = btext("published", reference=published.reference,
                          reference_carif=published.reference_carif)
        st.screen = "staff_list" if st.list_status else "staff_view"

    async def on_text(self, ctx: Context, st: DialogState, value: str) -> None:
        try:
            st.extra["reference_carif"] = operations.check_reference_carif(value)
        except DomainError as exc:
            st.error = plain(exc.message)


@screen
class StaffReturn(BackofficeScreen):
    """« Renvoyer pour correction »: the comment, typed; the organisation reads it."""

    name = "staff_return"
    targets = ("staff_view", "staff_list")

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        action = await load(ctx, st, st.action_id)
        if action is None:
            return await redirect(ctx, st, kb, "staff_menu")
        kb.add(blabel("cancel"), "no")
        body = render("staff_return.j2", action=action, limit=operations.MAX_TEXT, error=st.error)
        st.error = None
        return [Reply(body, kb.rows)]

    async def on_button(self, ctx: Context, st: DialogState, verb: str, arg: str) -> None:
        st.screen = "staff_view"

    async def on_text(self, ctx: Context, st: DialogState, value: str) -> None:
        if not 1 <= len(value) <= operations.MAX_TEXT:
            st.error = btext("comment_length", limit=operations.MAX_TEXT)
            return
        returned = await attempt(
            ctx, st,
            operations.return_for_correction(ctx.uow, actor(ctx, st), st.action_id or 0, value),
        )
        if returned is None:
            return
        st.notice = btext("returned", reference=returned.reference)
        st.screen = "staff_list" if st.list_status else "staff_view"


@screen
class StaffVote(BackofficeScreen):
    """« Vote de la Région »: the references typed or pasted, then the report line by line."""

    name = "staff_vote"
    targets = ("staff_menu",)

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        actor(ctx, st)
        kb.add(blabel("cancel"), "no")
        body = render("staff_vote.j2", error=st.error)
        st.error = None
        return [Reply(body, kb.rows)]

    async def on_button(self, ctx: Context, st: DialogState, verb: str, arg: str) -> None:
        st.screen = "staff_menu"

    async def on_text(self, ctx: Context, st: DialogState, value: str) -> None:
        references = operations.parse_references(value)
        report = await attempt(ctx, st, operations.record_region_vote(ctx.uow, actor(ctx, st), references))
        if report is None:
            return
        st.notice = render("vote_report.j2", summary=report.summary, lines=report.lines)
        st.screen = "staff_menu"
