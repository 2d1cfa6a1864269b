"""A funder's validators (Pôle emploi, Agefiph): the actions proposed to their funder, the full view
of one, « Valider » and « Refuser » (with a reason). Their scope is their funder's actions only: any
other action, even named by a forged button, is « introuvable »."""

from __future__ import annotations

from dialogs import operations
from dialogs.context import Context
from dialogs.io import Reply
from dialogs.keyboards import Keyboard, page_slice, pages
from dialogs.render import render, text
from dialogs.router import screen
from dialogs.screens.backoffice import (
    LIST_PAGE,
    BackofficeScreen,
    action_view,
    actor,
    attempt,
    blabel,
    btext,
    current_funder,
    load,
    redirect,
)
from dialogs.state import DialogState
from domain.lifecycle import funder_can_decide
from domain.models import Status


@screen
class ValidatorMenu(BackofficeScreen):
    """« Actions proposées à Pôle emploi », with the number awaiting a decision."""

    name = "validator_menu"
    targets = ("validator_list",)
    help_topic = "validator"

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        queues = []
        for funder in ctx.principal.funders:
            counts = await ctx.uow.actions_for_funder(funder).counts()
            count = counts.get(Status.SUBMITTED, 0)
            queues.append((funder, count))
            kb.add(blabel("funder_queue", funder=funder.label, count=count), "list", funder.value)
        body = render("validator_menu.j2", queues=queues, notice=st.notice)
        return [Reply(body, kb.rows)]

    async def on_button(self, ctx: Context, st: DialogState, verb: str, arg: str) -> None:
        if verb == "list" and arg in {f.value for f in ctx.principal.funders}:
            st.extra["funder"] = arg
            st.list_page = 0
            st.screen = "validator_list"
        else:
            ctx.say(text("unexpected_button"))


@screen
class ValidatorList(BackofficeScreen):
    """The submitted actions of the validator's funder, newest first, a page at a time."""

    name = "validator_list"
    targets = ("validator_view", "validator_menu")
    help_topic = "validator"

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        funder = current_funder(ctx, st)
        actions = await ctx.uow.actions_for_funder(funder).list(Status.SUBMITTED, limit=1000)
        for i in page_slice(actions, st.list_page, LIST_PAGE):
            a = actions[i]
            title = a.intitule or text("untitled")
            kb.add(blabel("action_item", reference=a.reference or "", title=title), "view", a.id)
        kb.pager(st.list_page, pages(actions, LIST_PAGE))
        kb.add(blabel("menu"), "menu")
        body = render("backoffice_list.j2", title=btext("queue_funder", funder=funder.label),
                      count=len(actions), notice=st.notice)
        return [Reply(body, kb.rows)]

    async def on_button(self, ctx: Context, st: DialogState, verb: str, arg: str) -> None:
        if verb == "pg" and arg.isdigit():
            st.list_page = int(arg)
        elif verb == "view" and arg.isdigit():
            st.action_id = int(arg)
            st.screen = "validator_view"
        else:
            st.screen = "validator_menu"


@screen
class ValidatorView(BackofficeScreen):
    """The full view of one action (read-only), with « Valider » and « Refuser » while submitted."""

    name = "validator_view"
    targets = ("validator_list", "validator_menu", "refuse_reason")
    help_topic = "validator"

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        action = await load(ctx, st, st.action_id)
        if action is None:
            return await redirect(ctx, st, kb, "validator_list")
        if funder_can_decide(current_funder(ctx, st), action):
            kb.row(kb.button(blabel("approve"), "approve"), kb.button(blabel("refuse"), "refuse"))
        kb.row(kb.button(blabel("back"), "back"), kb.button(blabel("menu"), "menu"))
        return await action_view(ctx, st, action, kb)

    async def on_button(self, ctx: Context, st: DialogState, verb: str, arg: str) -> None:
        if verb == "approve":
            approved = await attempt(
                ctx, st, operations.approve(ctx.uow, actor(ctx, st), st.action_id or 0)
            )
            if approved is not None:
                st.notice = btext("approved", reference=approved.reference)
                st.screen = "validator_list"
        elif verb == "refuse":
            action = await load(ctx, st, st.action_id)
            if action is not None and funder_can_decide(current_funder(ctx, st), action):
                st.extra.pop("reason", None)
                st.screen = "refuse_reason"
            elif action is not None:
                st.error = text("operation_not_allowed")
        elif verb == "back":
            st.screen = "validator_list"
        else:
            st.screen = "validator_menu"
