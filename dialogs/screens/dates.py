"""« Mettre à jour des dates de session »: pick the action, the session, type the new dates."""

from __future__ import annotations

import re

from dialogs.context import Context
from dialogs.form import session_period
from dialogs.io import Reply
from dialogs.keyboards import Keyboard, page_slice, pages
from dialogs.render import label, plain, render, text
from dialogs.router import Screen, screen
from dialogs.screens.common import load_action
from dialogs.state import DialogState
from domain.archiving import archive_date
from domain.catalogue import session_field
from domain.errors import ActionInvalid, DomainError, FieldError, StaleVersion
from domain.lifecycle import Operation, allowed_operations, update_session_dates
from domain.models import Action, Status

LIST_PAGE = 5
# « du 12/01/2027 au 30/06/2027 », « 12/01/2027 - 30/06/2027 », « 12/01/2027 → 30/06/2027 »
_RANGE = re.compile(r"^\s*(?:du\s+)?(?P<a>.+?)\s*(?:\s+au\s+|\s+-\s+|→|\s+à\s+)\s*(?P<b>.+?)\s*$", re.I)


async def _updatable(ctx: Context) -> list[Action]:
    today = ctx.clock.today()
    actions = await ctx.actions().list(Status.PUBLISHED, limit=1000)
    return [a for a in actions if Operation.UPDATE_DATES in allowed_operations(a, today)]


@screen
class DatesPickAction(Screen):
    name = "dates_pick_action"
    targets = ("dates_pick_session", "menu")
    help_topic = "dates"

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        actions = await _updatable(ctx)
        for i in page_slice(actions, st.list_page, LIST_PAGE):
            a = actions[i]
            kb.add(label("action_item", reference=a.reference or "", title=a.intitule or ""), "pick", a.id)
        kb.pager(st.list_page, pages(actions, LIST_PAGE))
        kb.add(label("menu"), "menu")
        return [Reply(render("dates_pick_action.j2", count=len(actions)), kb.rows)]

    async def on_button(self, ctx: Context, st: DialogState, verb: str, arg: str) -> None:
        if verb == "pg":
            st.list_page = max(0, int(arg))
        elif verb == "pick" and arg.isdigit():
            st.action_id = int(arg)
            st.screen = "dates_pick_session"
        else:
            st.screen = "menu"


@screen
class DatesPickSession(Screen):
    name = "dates_pick_session"
    targets = ("dates_input", "dates_pick_action", "menu")
    help_topic = "dates"

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        action = await ctx.actions().get(st.action_id or 0)
        if action is None or Operation.UPDATE_DATES not in allowed_operations(action, ctx.clock.today()):
            st.screen = "dates_pick_action"
            ctx.say(text("dates_not_allowed"))
            return await DatesPickAction().render(ctx, st, kb)
        for i, s in enumerate(action.sessions):
            kb.add(label("session_item", number=i + 1, period=session_period(s)), "session", i)
        kb.row(kb.button(label("back"), "back"), kb.button(label("menu"), "menu"))
        return [Reply(render("dates_pick_session.j2", action=action), kb.rows)]

    async def on_button(self, ctx: Context, st: DialogState, verb: str, arg: str) -> None:
        if verb == "session" and arg.isdigit():
            st.session_index = int(arg)
            st.extra.pop("new_debut", None)
            st.screen = "dates_input"
        elif verb == "back":
            st.screen = "dates_pick_action"
        else:
            st.screen = "menu"


@screen
class DatesInput(Screen):
    """Type « du 12/01/2027 au 30/06/2027 », or the start then the end."""

    name = "dates_input"
    targets = ("view", "dates_pick_session", "menu")
    help_topic = "dates"

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        action = await ctx.actions().get(st.action_id or 0)
        index = st.session_index or 0
        if action is None or index >= len(action.sessions):
            st.screen = "menu"
            ctx.say(text("action_not_found"))
            return []
        kb.row(kb.button(label("back"), "back"), kb.button(label("menu"), "menu"))
        body = render(
            "dates_input.j2",
            action=action,
            number=index + 1,
            session=action.sessions[index],
            new_debut=st.extra.get("new_debut"),
            error=st.error,
        )
        st.error = None
        return [Reply(body, kb.rows)]

    async def on_button(self, ctx: Context, st: DialogState, verb: str, arg: str) -> None:
        st.screen = "dates_pick_session" if verb == "back" else "menu"

    async def on_text(self, ctx: Context, st: DialogState, value: str) -> None:
        debut_spec, fin_spec = session_field("debut"), session_field("fin")
        try:
            match = _RANGE.match(value)
            if match:
                debut = debut_spec.parse(match["a"])
                fin = fin_spec.parse(match["b"])
            elif "new_debut" in st.extra:
                debut = debut_spec.parse(st.extra["new_debut"])
                fin = fin_spec.parse(value)
            else:
                debut = debut_spec.parse(value)
                st.extra["new_debut"] = debut.strftime("%d/%m/%Y")
                return
        except FieldError as exc:
            st.error = plain(exc.message)
            return
        action = await load_action(ctx, st.action_id)
        if action is None:
            st.screen = "menu"
            return
        index = st.session_index or 0
        try:
            events = update_session_dates(action, index, debut, fin, ctx.clock.today())
            saved = await ctx.actions().save(action)
        except ActionInvalid as exc:
            st.extra.pop("new_debut", None)
            st.error = text("problems", problems=[p.message for p in exc.problems])
            return
        except StaleVersion:
            # Read and written in this one transaction: someone committed in between. The engine
            # replays the whole input on fresh data (the user's dates are not lost).
            raise
        except DomainError as exc:
            st.error = plain(exc.message)
            return
        ctx.uow.publish(*events)
        st.extra.pop("new_debut", None)
        st.notice = render(
            "dates_saved.j2", action=saved, number=index + 1, session=saved.sessions[index],
            archive_on=archive_date(saved),
        )
        st.screen = "view"
