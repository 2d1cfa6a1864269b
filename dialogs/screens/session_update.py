"""Updating one session of a published action (RULES.md « Sessions after publication »): what the
session screens share (typed periods, the update itself and its notice), and the screen asking a
nombre de places, a période or modalités d'inscription.

Their words live in ``sessions_buttons.j2`` (labels) and ``sessions_texts.j2`` (short messages).
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from dialogs.context import Context
from dialogs.io import Reply
from dialogs.keyboards import Keyboard
from dialogs.render import label, macro_html, macro_text, plain, render, text
from dialogs.router import Redirect, Screen, button, known_arg, screen
from dialogs.screens.common import load_action
from dialogs.state import DialogState, ScreenName
from domain.catalogue import session_field
from domain.errors import ActionInvalid, DomainError, FieldError, StaleVersion
from domain.lifecycle import Operation, allowed_operations
from domain.models import Action
from domain.parsing.dates import split_period
from domain.services import member

# The fields asked on their own screen: the key of the screen, and the session fields it sets.
FIELDS = {
    "places": ("places",),
    "inscription": ("inscription_debut", "inscription_fin"),
    "modalites": ("modalites_inscription",),
}
RECRUITMENT = ("1", "2", "3")  # dict-etat-recrutement: ouvert, fermé, suspendu
CLOSED = "2"


def slabel(name: str, /, **context: Any) -> str:
    """A button label: the macro ``name`` of ``sessions_buttons.j2``, plain text."""
    return macro_text("sessions_buttons.j2", name, **context)


def stext(name: str, /, **context: Any) -> str:
    """A short message: the macro ``name`` of ``sessions_texts.j2``, HTML."""
    return macro_html("sessions_texts.j2", name, **context)


def recruitment(session_state: str | None) -> str:
    """The état du recrutement of a session (ouvert by default, as the catalogue says)."""
    return session_state if session_state in RECRUITMENT else "1"


def parse_period(st: DialogState, value: str, start_key: str, end_key: str) -> tuple[date, date] | None:
    """A period typed at once (« du … au … »), or its start (kept in ``st.new_debut``: None is
    returned) then its end, read by the catalogue's date parsers; ``FieldError`` if one is wrong."""
    start, end = session_field(start_key), session_field(end_key)
    period = split_period(value)  # as at the form's « Date de début »
    if period is not None:
        return start.parse(period[0]), end.parse(period[1])
    if st.new_debut is not None:
        return start.parse(st.new_debut), end.parse(value)
    st.new_debut = start.parse(value).strftime("%d/%m/%Y")
    return None


async def update(ctx: Context, st: DialogState, values: dict[str, Any]) -> Action | None:
    """Update the session chosen (``st.action_id``, ``st.session_index``) with ``values``, through
    the member's use case; a refusal is put in ``st.error`` (None returned). A ``StaleVersion``
    propagates: the engine replays the input on fresh data."""
    action = await load_action(ctx, st.action_id)
    if action is None:
        st.screen = ScreenName.MENU
        return None
    if Operation.UPDATE_DATES not in allowed_operations(action, ctx.clock.today()):
        st.error = text("dates_not_allowed")  # a draft changes through its form, never here
        return None
    try:
        return await member.update_session(
            ctx.uow, ctx.member(), action, st.session_index or 0, values, ctx.clock.today()
        )
    except ActionInvalid as exc:
        st.error = text("problems", problems=[p.message for p in exc.problems])
    except StaleVersion:
        # Read and written in this one transaction: someone committed in between. The engine
        # replays the whole input on fresh data (what the user typed is not lost).
        raise
    except DomainError as exc:
        st.error = plain(exc.message)
    return None


def saved_notice(action: Action, index: int, what: str) -> str:
    return stext("saved", action=action, number=index + 1, what=what)


async def set_recruitment(ctx: Context, st: DialogState, code: str) -> Action | None:
    """« Fermer / Ouvrir / Suspendre le recrutement » of the chosen session, with its notice."""
    if not known_arg(ctx, code, RECRUITMENT):
        return None
    saved = await update(ctx, st, {"etat_recrutement": code})
    if saved is not None:
        st.notice = saved_notice(saved, st.session_index or 0, stext("what_recruitment", code=code))
    return saved


def _what(key: str, action: Action, index: int) -> str:
    session = action.sessions[index]
    if key == "places":
        return stext("what_places", value=session.places)
    if key == "inscription":
        return stext("what_inscription", debut=session.inscription_debut, fin=session.inscription_fin)
    return stext("what_modalites", value=session.modalites_inscription)


class SessionScreen(Screen):
    """A screen of the session chosen (``st.action_id``, ``st.session_index``): « ⬅ Retour » to
    ``back_to`` and « 🏠 Menu » forget a start typed alone."""

    back_to: ClassVar[ScreenName] = ScreenName.MENU
    shows_error = True

    @staticmethod
    async def chosen(ctx: Context, st: DialogState) -> tuple[Action, int]:
        """The action and the index of the session chosen; else the menu, with a word."""
        action = await ctx.actions().get(st.action_id or 0)
        index = st.session_index or 0
        if action is None or index >= len(action.sessions):
            ctx.say(text("action_not_found"))
            raise Redirect(ScreenName.MENU, show=False)
        return action, index

    @staticmethod
    def leave_buttons(kb: Keyboard) -> None:
        kb.row(kb.button(label("back"), "go", "back"), kb.button(label("menu"), "go", "menu"))

    @button("go")
    async def go(self, ctx: Context, st: DialogState, arg: str) -> None:
        """« ⬅ Retour » (``back``: to ``back_to``) or « 🏠 Menu »: a start typed alone is forgotten."""
        st.new_debut = None
        st.session_key = None
        st.screen = self.back_to if arg == "back" else ScreenName.MENU


@screen(ScreenName.SESSION_FIELD, targets=(ScreenName.DATES_INPUT, ScreenName.MENU))
class SessionField(SessionScreen):
    """One of the session's other fields (``st.session_key``): typed, or « Effacer » (optional)."""

    back_to = ScreenName.DATES_INPUT

    @staticmethod
    def _key(st: DialogState) -> str:
        return st.session_key if st.session_key in FIELDS else "places"

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        action, index = await self.chosen(ctx, st)
        key = self._key(st)
        specs = [session_field(k) for k in FIELDS[key]]
        session = action.sessions[index]
        current = " → ".join(s.format(session.get(s.key)) for s in specs if session.get(s.key) is not None)
        if current:
            kb.add(slabel("clear"), "clear")
        self.leave_buttons(kb)
        body = render(
            "session_field.j2", action=action, number=index + 1, key=key,
            title=stext("field_title", key=key), help=" ".join(s.help for s in specs), current=current,
            error=st.error, new_debut=st.new_debut, max_len=specs[0].max_len,
        )
        return [Reply(body, kb.rows)]

    async def _save(self, ctx: Context, st: DialogState, values: dict[str, Any]) -> None:
        saved = await update(ctx, st, values)
        st.new_debut = None
        if saved is None:
            return
        st.notice = saved_notice(saved, st.session_index or 0, _what(self._key(st), saved, st.session_index or 0))
        st.session_key = None
        st.screen = ScreenName.DATES_INPUT

    @button("clear")
    async def clear(self, ctx: Context, st: DialogState, arg: str) -> None:
        await self._save(ctx, st, dict.fromkeys(FIELDS[self._key(st)]))

    async def on_text(self, ctx: Context, st: DialogState, value: str) -> None:
        key = self._key(st)
        try:
            if key == "inscription":
                period = parse_period(st, value, *FIELDS[key])
                if period is None:
                    return
                values: dict[str, Any] = dict(zip(FIELDS[key], period, strict=True))
            else:
                (field,) = FIELDS[key]
                values = {field: session_field(field).parse(value)}
        except FieldError as exc:
            st.error = plain(exc.message)
            return
        await self._save(ctx, st, values)
