"""« Mettre à jour des sessions » (RULES.md « Sessions after publication »): pick the published
action (an action with a single session has its « Fermer le recrutement » right there: two taps
from the menu), the session, then type its new dates or choose what else changes (état du
recrutement, nombre de places, période and modalités d'inscription: ``session_update``)."""

from __future__ import annotations

from dialogs.context import Context
from dialogs.form import session_period
from dialogs.io import Reply
from dialogs.keyboards import Keyboard
from dialogs.render import label, plain, render, text
from dialogs.router import Redirect, Screen, button, goes_to, opens_action, screen
from dialogs.screens.common import load_action
from dialogs.screens.paged import PagedList
from dialogs.screens.session_update import (
    CLOSED,
    FIELDS,
    RECRUITMENT,
    SessionScreen,
    parse_period,
    recruitment,
    set_recruitment,
    slabel,
    update,
)
from dialogs.state import DialogState, ScreenName
from domain.archiving import archive_date
from domain.errors import FieldError
from domain.lifecycle import Operation, allowed_operations
from domain.models import Action, Status


async def _updatable(ctx: Context) -> list[Action]:
    today = ctx.clock.today()
    actions = await ctx.actions().list(Status.PUBLISHED, limit=1000)
    return [a for a in actions if Operation.UPDATE_DATES in allowed_operations(a, today)]


@screen(ScreenName.DATES_PICK_ACTION, targets=(ScreenName.DATES_PICK_SESSION, ScreenName.MENU))
class DatesPickAction(PagedList):
    pick_verb = "pick"

    async def items(self, ctx: Context, st: DialogState) -> list[Action]:
        return await _updatable(ctx)

    def item_label(self, action: Action) -> str:
        return label("action_item", reference=action.reference or "", title=action.intitule or "")

    def item_extra(self, kb: Keyboard, action: Action) -> None:
        """An action with a single session: its recruitment closed (or reopened) in one tap."""
        if len(action.sessions) != 1:
            return
        reference = action.reference or ""
        if recruitment(action.sessions[0].etat_recrutement) == CLOSED:
            kb.add(slabel("quick_reopen", reference=reference), "reopen", action.id)
        else:
            kb.add(slabel("quick_close", reference=reference), "close", action.id)

    def footer(self, kb: Keyboard, st: DialogState) -> None:
        kb.add(label("menu"), "menu")

    async def body(self, ctx: Context, st: DialogState, actions: list[Action]) -> str:
        return render("dates_pick_action.j2", count=len(actions), notice=st.notice)

    pick = opens_action(ScreenName.DATES_PICK_SESSION, "pick")

    @button("close", "reopen")
    async def recruit(self, ctx: Context, st: DialogState, arg: str) -> None:
        action = await load_action(ctx, int(arg))
        if action is None:
            return
        if len(action.sessions) != 1:  # a session added meanwhile: the user chooses it
            ctx.say(text("operation_not_allowed"))
            st.action_id = action.id
            st.screen = ScreenName.DATES_PICK_SESSION
            return
        st.action_id, st.session_index = action.id, 0
        closing = recruitment(action.sessions[0].etat_recrutement) != CLOSED
        await set_recruitment(ctx, st, CLOSED if closing else "1")
        if st.error is not None:  # refused: said here, the list stays
            ctx.say(st.error)
            st.error = None

    menu = goes_to(ScreenName.MENU, "menu")


@screen(ScreenName.DATES_PICK_SESSION,
        targets=(ScreenName.DATES_INPUT, ScreenName.DATES_PICK_ACTION, ScreenName.MENU))
class DatesPickSession(Screen):
    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        action = await ctx.actions().get(st.action_id or 0)
        if action is None or Operation.UPDATE_DATES not in allowed_operations(action, ctx.clock.today()):
            ctx.say(text("dates_not_allowed"))
            raise Redirect(ScreenName.DATES_PICK_ACTION)
        for i, s in enumerate(action.sessions):
            kb.add(label("session_item", number=i + 1, period=session_period(s)), "session", i)
        kb.row(kb.button(label("back"), "back"), kb.button(label("menu"), "menu"))
        body = render("dates_pick_session.j2", action=action, support=ctx.support_contact)
        return [Reply(body, kb.rows)]

    @button("session")
    async def session(self, ctx: Context, st: DialogState, arg: str) -> None:
        st.session_index = int(arg)
        st.new_debut = None
        st.screen = ScreenName.DATES_INPUT

    back = goes_to(ScreenName.DATES_PICK_ACTION, "back")
    menu = goes_to(ScreenName.MENU, "menu")


@screen(ScreenName.DATES_INPUT,
        targets=(ScreenName.VIEW, ScreenName.DATES_PICK_SESSION, ScreenName.SESSION_FIELD, ScreenName.MENU))
class DatesInput(SessionScreen):
    """The session: type « du 12/01/2027 au 30/06/2027 » (or the start then the end), or choose
    the état du recrutement, the nombre de places, the période or modalités d'inscription."""

    back_to = ScreenName.DATES_PICK_SESSION

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        action, index = await self.chosen(ctx, st)
        session = action.sessions[index]
        now = recruitment(session.etat_recrutement)
        kb.row(*(kb.button(slabel("recruit", code=code), "recruit", code) for code in RECRUITMENT if code != now))
        for key in FIELDS:
            kb.add(slabel("field", key=key), "field", key)
        self.leave_buttons(kb)
        body = render(
            "dates_input.j2", action=action, number=index + 1, session=session,
            new_debut=st.new_debut, error=st.error, notice=st.notice,
        )
        return [Reply(body, kb.rows)]

    @button("recruit")
    async def recruit(self, ctx: Context, st: DialogState, arg: str) -> None:
        st.new_debut = None
        await set_recruitment(ctx, st, arg)

    @button("field")
    async def field(self, ctx: Context, st: DialogState, arg: str) -> None:
        """« Nombre de places », « Période… », « Modalités… »: their own screen (``session_update``)."""
        st.new_debut = None
        st.session_key = arg if arg in FIELDS else None
        st.screen = ScreenName.SESSION_FIELD if arg in FIELDS else st.screen

    async def on_text(self, ctx: Context, st: DialogState, value: str) -> None:
        try:
            period = parse_period(st, value, "debut", "fin")
        except FieldError as exc:
            st.error = plain(exc.message)
            return
        if period is None:
            return
        index = st.session_index or 0
        saved = await update(ctx, st, {"debut": period[0], "fin": period[1]})
        st.new_debut = None
        if saved is None:
            return
        st.notice = render(
            "dates_saved.j2", action=saved, number=index + 1, session=saved.sessions[index],
            archive_on=archive_date(saved),
        )
        st.screen = ScreenName.VIEW
