"""A funder's validators (Pôle emploi, Agefiph): the actions proposed to their funder, the full view
of one, « Valider » and « Refuser » (with a reason). Their scope is their funder's actions only: any
other action, even named by a forged button, is « introuvable »."""

from __future__ import annotations

from dialogs.context import Context
from dialogs.io import Reply
from dialogs.keyboards import Keyboard
from dialogs.render import render, text
from dialogs.router import button, goes_to, known_arg, opens_action, screen
from dialogs.screens.backoffice import (
    BackofficeScreen,
    action_view,
    actor,
    attempt,
    blabel,
    btext,
    current_funder,
    load,
    load_or_leave,
)
from dialogs.screens.paged import PagedList
from dialogs.state import DialogState, ScreenName
from domain.lifecycle import funder_can_decide
from domain.models import Action, Status
from domain.services import backoffice


@screen(ScreenName.VALIDATOR_MENU, targets=(ScreenName.VALIDATOR_LIST,))
class ValidatorMenu(BackofficeScreen):
    """« Actions proposées à Pôle emploi », with the number awaiting a decision."""

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        queues = []
        for funder in ctx.principal.funders:
            counts = await ctx.uow.actions_for_funder(funder).counts()
            count = counts.get(Status.SUBMITTED, 0)
            queues.append((funder, count))
            kb.add(blabel("funder_queue", funder=funder.label, count=count), "list", funder.value)
        body = render("validator_menu.j2", queues=queues, notice=st.notice)
        return [Reply(body, kb.rows)]

    @button("list")
    async def open_list(self, ctx: Context, st: DialogState, arg: str) -> None:
        if not known_arg(ctx, arg, {f.value for f in ctx.principal.funders}):
            return
        st.validator_funder = arg
        st.list_page = 0
        st.screen = ScreenName.VALIDATOR_LIST


@screen(ScreenName.VALIDATOR_LIST, targets=(ScreenName.VALIDATOR_VIEW, ScreenName.VALIDATOR_MENU))
class ValidatorList(BackofficeScreen, PagedList):
    """The submitted actions of the validator's funder, newest first, a page at a time."""

    async def items(self, ctx: Context, st: DialogState) -> list[Action]:
        return await ctx.uow.actions_for_funder(current_funder(ctx, st)).list(Status.SUBMITTED, limit=1000)

    def item_label(self, action: Action) -> str:
        return blabel("action_item", reference=action.reference or "", title=action.intitule or text("untitled"))

    def footer(self, kb: Keyboard, st: DialogState) -> None:
        kb.add(blabel("menu"), "menu")

    async def body(self, ctx: Context, st: DialogState, actions: list[Action]) -> str:
        funder = current_funder(ctx, st)
        return render("backoffice_list.j2", title=btext("queue_funder", funder=funder.label),
                      count=len(actions), notice=st.notice)

    view = opens_action(ScreenName.VALIDATOR_VIEW, "view")
    menu = goes_to(ScreenName.VALIDATOR_MENU, "menu")


@screen(ScreenName.VALIDATOR_VIEW, shows_error=True,
        targets=(ScreenName.VALIDATOR_LIST, ScreenName.VALIDATOR_MENU, ScreenName.REFUSE_REASON))
class ValidatorView(BackofficeScreen):
    """The full view of one action (read-only), with « Valider » and « Refuser » while submitted."""

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        action = await load_or_leave(ctx, st, ScreenName.VALIDATOR_LIST)
        if funder_can_decide(current_funder(ctx, st), action):
            kb.row(kb.button(blabel("approve"), "approve"), kb.button(blabel("refuse"), "refuse"))
        kb.row(kb.button(blabel("back"), "back"), kb.button(blabel("menu"), "menu"))
        return await action_view(ctx, st, action, kb)

    @button("approve")
    async def approve(self, ctx: Context, st: DialogState, arg: str) -> None:
        approved = await attempt(ctx, st, backoffice.approve(ctx.uow, actor(ctx, st), st.action_id or 0))
        if approved is not None:
            st.notice = btext("approved", reference=approved.reference)
            st.screen = ScreenName.VALIDATOR_LIST

    @button("refuse")
    async def refuse(self, ctx: Context, st: DialogState, arg: str) -> None:
        action = await load(ctx, st, st.action_id)
        if action is not None and funder_can_decide(current_funder(ctx, st), action):
            st.refusal_reason = None
            st.screen = ScreenName.REFUSE_REASON
        elif action is not None:
            st.error = text("operation_not_allowed")

    back = goes_to(ScreenName.VALIDATOR_LIST, "back")
    menu = goes_to(ScreenName.VALIDATOR_MENU, "menu")
