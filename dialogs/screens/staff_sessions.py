"""The Carif-Oref adds a forgotten session to a published action (RULES.md; the guide's
« contactez-nous »): from the staff's view of the action, « ➕ Ajouter une session » asks the
session's questions in turn (the catalogue's labels, help and parsers, as at intake), checks each
answer with the intake's rules (the Région's date rules included), shows the session, then calls
``backoffice.add_session`` (the command line's ``formabot action add-session`` calls it too)."""

from __future__ import annotations

from typing import Any

from dialogs.context import Context
from dialogs.form import resolve_shortcut
from dialogs.io import Reply
from dialogs.keyboards import Keyboard
from dialogs.render import label, plain, render, text
from dialogs.router import button, screen
from dialogs.screens.backoffice import BackofficeScreen, actor, attempt, blabel, load, load_or_leave
from dialogs.screens.session_update import slabel, stext
from dialogs.state import DialogState, ScreenName
from domain.catalogue import SESSION_FIELDS, Kind
from domain.errors import FieldError
from domain.models import Action, Session, Status
from domain.services import backoffice
from domain.sessions import new_session_problems

REVIEW = "_review"  # ``st.session_key`` once every question is answered
KEYS = tuple(spec.key for spec in SESSION_FIELDS)
_SPECS = {spec.key: spec for spec in SESSION_FIELDS}


def offer(kb: Keyboard, action: Action) -> None:
    """« ➕ Ajouter une session » on the staff's view of a published action."""
    if action.status is Status.PUBLISHED:
        kb.add(slabel("add_session"), "add_session")


def start(st: DialogState) -> None:
    """Open the questions of a new session for the action viewed (``st.action_id``)."""
    st.staff_session = {}
    st.session_key = KEYS[0]
    st.screen = ScreenName.STAFF_SESSION


def _session(st: DialogState) -> Session:
    return Session.model_validate(st.staff_session or {})


def _leave(st: DialogState) -> None:
    """Back to the action's view; the answers of the session are dropped."""
    st.staff_session, st.session_key = None, None
    st.screen = ScreenName.STAFF_VIEW


def _next_key(st: DialogState, key: str) -> str:
    index = KEYS.index(key) + 1
    return KEYS[index] if index < len(KEYS) else REVIEW


# Shows its error: an answer the intake's rules refuse, said above the same question.
@screen(ScreenName.STAFF_SESSION, shows_error=True, targets=(ScreenName.STAFF_VIEW, ScreenName.STAFF_MENU))
class StaffSession(BackofficeScreen):
    """One question of the new session at a time (``st.session_key``), then the review."""

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        action = await load_or_leave(ctx, st, ScreenName.STAFF_MENU)
        number = len(action.sessions) + 1
        key = st.session_key if st.session_key in (*KEYS, REVIEW) else KEYS[0]
        if key == REVIEW:
            session = _session(st)
            answered = [
                {"label": spec.label, "value": spec.format(session.get(spec.key))}
                for spec in SESSION_FIELDS if session.get(spec.key) is not None
            ]
            kb.add(slabel("add_session_yes", number=number), "add")
            kb.row(kb.button(blabel("back"), "back"), kb.button(blabel("cancel"), "cancel"))
            body = render("staff_session.j2", action=action, number=number, review=True,
                          answered=answered, error=st.error)
            return [Reply(body, kb.rows)]
        spec = _SPECS[key]
        if spec.kind is Kind.CHOICE:
            for choice in spec.choices:
                kb.add(slabel("choice", label=choice.label), "choice", choice.code)
        organisation = await ctx.uow.organisations.get(action.organisation_id)
        for i, shortcut in enumerate(spec.shortcuts):
            if resolve_shortcut(shortcut.source or "", action, organisation) is not None:
                kb.add(shortcut.label, "sc", i)
        nav = [kb.button(blabel("back"), "back")]
        if not spec.required:
            nav.append(kb.button(label("skip"), "skip"))
        nav.append(kb.button(blabel("cancel"), "cancel"))
        kb.row(*nav)
        body = render("staff_session.j2", action=action, number=number, review=False, spec=spec,
                      position=KEYS.index(key) + 1, total=len(KEYS), error=st.error)
        return [Reply(body, kb.rows)]

    async def _answer(self, ctx: Context, st: DialogState, value: Any) -> None:
        """Keep the answer of the current question if the intake's rules accept it; then the next."""
        action = await load(ctx, st, st.action_id)
        key = st.session_key
        if action is None or key not in KEYS:
            st.screen = ScreenName.STAFF_MENU
            return
        draft = _session(st)
        draft.set(key, value)
        answered = [k for k in KEYS if draft.get(k) is not None and KEYS.index(k) <= KEYS.index(key)]
        problems = new_session_problems(action, draft, answered) if value is not None else []
        if problems:
            st.error = text("problems", problems=[p.message for p in problems])
            return
        st.staff_session = draft.model_dump(mode="json")
        st.session_key = _next_key(st, key)

    @button("choice")
    async def choice(self, ctx: Context, st: DialogState, arg: str) -> None:
        spec = _SPECS.get(st.session_key or "")
        if spec is None or spec.kind is not Kind.CHOICE or arg not in {c.code for c in spec.choices}:
            ctx.say(text("unexpected_button"))
            return
        await self._answer(ctx, st, arg)

    @button("sc")
    async def shortcut(self, ctx: Context, st: DialogState, arg: str) -> None:
        action = await load(ctx, st, st.action_id)
        spec = _SPECS.get(st.session_key or "")
        if action is None or spec is None or not 0 <= int(arg) < len(spec.shortcuts):
            ctx.say(text("unexpected_button"))
            return
        organisation = await ctx.uow.organisations.get(action.organisation_id)
        value = resolve_shortcut(spec.shortcuts[int(arg)].source or "", action, organisation)
        try:  # checked as a typed answer would be
            checked = spec.check(value) if value is not None else None
        except FieldError as exc:
            st.error = plain(exc.message)
            return
        if checked is not None:
            await self._answer(ctx, st, checked)

    @button("skip")
    async def skip(self, ctx: Context, st: DialogState, arg: str) -> None:
        spec = _SPECS.get(st.session_key or "")
        if spec is None or spec.required:
            ctx.say(text("unexpected_button"))
            return
        await self._answer(ctx, st, None)

    @button("back")
    async def back(self, ctx: Context, st: DialogState, arg: str) -> None:
        key = st.session_key or KEYS[0]
        if key == KEYS[0]:
            await self.cancel(ctx, st, arg)
            return
        st.session_key = KEYS[-1] if key == REVIEW else KEYS[KEYS.index(key) - 1]

    @button("cancel")
    async def cancel(self, ctx: Context, st: DialogState, arg: str) -> None:
        _leave(st)

    @button("add")
    async def add(self, ctx: Context, st: DialogState, arg: str) -> None:
        added = await attempt(
            ctx, st, backoffice.add_session(ctx.uow, actor(ctx, st), st.action_id or 0, _session(st))
        )
        if added is not None:
            _leave(st)
            st.notice = stext("session_added", reference=added.reference, number=len(added.sessions))

    async def on_text(self, ctx: Context, st: DialogState, value: str) -> None:
        spec = _SPECS.get(st.session_key or "")
        if spec is None:  # the review: buttons only
            await super().on_text(ctx, st, value)
            return
        try:
            parsed = spec.parse(value)
        except FieldError as exc:
            st.error = plain(exc.message)
            return
        await self._answer(ctx, st, parsed)

