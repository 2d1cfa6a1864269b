"""« Mettre à jour des dates de session »: pick the action, the session, type the new dates."""

from __future__ import annotations

import re

from dialogs.context import Context
from dialogs.form import session_period
from dialogs.io import Reply
from dialogs.keyboards import Keyboard
from dialogs.render import label, plain, render, text
from dialogs.router import Redirect, Screen, button, screen
from dialogs.screens.common import load_action
from dialogs.screens.paged import PagedList
from dialogs.state import DialogState, ScreenName
from domain.archiving import archive_date
from domain.catalogue import session_field
from domain.errors import ActionInvalid, DomainError, FieldError, StaleVersion
from domain.lifecycle import Operation, allowed_operations
from domain.models import Action, Status
from domain.services import member

# « du 12/01/2027 au 30/06/2027 », « 12/01/2027 - 30/06/2027 », « 12/01/2027 → 30/06/2027 »
_RANGE = re.compile(r"^\s*(?:du\s+)?(?P<a>.+?)\s*(?:\s+au\s+|\s+-\s+|→|\s+à\s+)\s*(?P<b>.+?)\s*$", re.I)


async def _updatable(ctx: Context) -> list[Action]:
    today = ctx.clock.today()
    actions = await ctx.actions().list(Status.PUBLISHED, limit=1000)
    return [a for a in actions if Operation.UPDATE_DATES in allowed_operations(a, today)]


@screen
class DatesPickAction(PagedList):
    name = ScreenName.DATES_PICK_ACTION
    targets = (ScreenName.DATES_PICK_SESSION, ScreenName.MENU)
    help_topic = "dates"
    pick_verb = "pick"

    async def items(self, ctx: Context, st: DialogState) -> list[Action]:
        return await _updatable(ctx)

    def item_label(self, action: Action) -> str:
        return label("action_item", reference=action.reference or "", title=action.intitule or "")

    def footer(self, kb: Keyboard, st: DialogState) -> None:
        kb.add(label("menu"), "menu")

    async def body(self, ctx: Context, st: DialogState, actions: list[Action]) -> str:
        return render("dates_pick_action.j2", count=len(actions))

    @button("pick")
    async def pick(self, ctx: Context, st: DialogState, arg: str) -> None:
        st.action_id = int(arg)
        st.screen = ScreenName.DATES_PICK_SESSION

    @button("menu")
    async def menu(self, ctx: Context, st: DialogState, arg: str) -> None:
        st.screen = ScreenName.MENU


@screen
class DatesPickSession(Screen):
    name = ScreenName.DATES_PICK_SESSION
    targets = (ScreenName.DATES_INPUT, ScreenName.DATES_PICK_ACTION, ScreenName.MENU)
    help_topic = "dates"

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        action = await ctx.actions().get(st.action_id or 0)
        if action is None or Operation.UPDATE_DATES not in allowed_operations(action, ctx.clock.today()):
            ctx.say(text("dates_not_allowed"))
            raise Redirect(ScreenName.DATES_PICK_ACTION)
        for i, s in enumerate(action.sessions):
            kb.add(label("session_item", number=i + 1, period=session_period(s)), "session", i)
        kb.row(kb.button(label("back"), "back"), kb.button(label("menu"), "menu"))
        return [Reply(render("dates_pick_session.j2", action=action), kb.rows)]

    @button("session")
    async def session(self, ctx: Context, st: DialogState, arg: str) -> None:
        st.session_index = int(arg)
        st.new_debut = None
        st.screen = ScreenName.DATES_INPUT

    @button("back")
    async def back(self, ctx: Context, st: DialogState, arg: str) -> None:
        st.screen = ScreenName.DATES_PICK_ACTION

    @button("menu")
    async def menu(self, ctx: Context, st: DialogState, arg: str) -> None:
        st.screen = ScreenName.MENU


@screen
class DatesInput(Screen):
    """Type « du 12/01/2027 au 30/06/2027 », or the start then the end."""

    name = ScreenName.DATES_INPUT
    targets = (ScreenName.VIEW, ScreenName.DATES_PICK_SESSION, ScreenName.MENU)
    help_topic = "dates"
    shows_error = True

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        action = await ctx.actions().get(st.action_id or 0)
        index = st.session_index or 0
        if action is None or index >= len(action.sessions):
            ctx.say(text("action_not_found"))
            raise Redirect(ScreenName.MENU, show=False)
        kb.row(kb.button(label("back"), "back"), kb.button(label("menu"), "menu"))
        body = render(
            "dates_input.j2",
            action=action,
            number=index + 1,
            session=action.sessions[index],
            new_debut=st.new_debut,
            error=st.error,
        )
        return [Reply(body, kb.rows)]

    @button("back")
    async def back(self, ctx: Context, st: DialogState, arg: str) -> None:
        st.screen = ScreenName.DATES_PICK_SESSION

    @button("menu")
    async def menu(self, ctx: Context, st: DialogState, arg: str) -> None:
        st.screen = ScreenName.MENU

    async def on_text(self, ctx: Context, st: DialogState, value: str) -> None:
        debut_spec, fin_spec = session_field("debut"), session_field("fin")
        try:
            match = _RANGE.match(value)
            if match:
                debut = debut_spec.parse(match["a"])
                fin = fin_spec.parse(match["b"])
            elif st.new_debut is not None:
                debut = debut_spec.parse(st.new_debut)
                fin = fin_spec.parse(value)
            else:
                debut = debut_spec.parse(value)
                st.new_debut = debut.strftime("%d/%m/%Y")
                return
        except FieldError as exc:
            st.error = plain(exc.message)
            return
        action = await load_action(ctx, st.action_id)
        if action is None:
            st.screen = ScreenName.MENU
            return
        index = st.session_index or 0
        try:
            saved = await member.update_session_dates(
                ctx.uow, ctx.member(), action, index, debut, fin, ctx.clock.today()
            )
        except ActionInvalid as exc:
            st.new_debut = None
            st.error = text("problems", problems=[p.message for p in exc.problems])
            return
        except StaleVersion:
            # Read and written in this one transaction: someone committed in between. The engine
            # replays the whole input on fresh data (the user's dates are not lost).
            raise
        except DomainError as exc:
            st.error = plain(exc.message)
            return
        st.new_debut = None
        st.notice = render(
            "dates_saved.j2", action=saved, number=index + 1, session=saved.sessions[index],
            archive_on=archive_date(saved),
        )
        st.screen = ScreenName.VIEW
