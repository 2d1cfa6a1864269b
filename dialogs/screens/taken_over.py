"""A session started from the previous one: « Comme la session n° 1, sauf les dates ».

Every field of the previous session but its dates is copied into the new one; only the dates are
asked (as at any session: « Date de début », which takes both dates at once, then « Date de fin »
if still empty), then the session is shown with what was taken over, each value correctable by
its own question, and « Valider la session » checks it with the session's rules.
"""

from __future__ import annotations

from dialogs.context import Context
from dialogs.form import enter, open_field
from dialogs.io import Reply
from dialogs.keyboards import Keyboard
from dialogs.recap import session_rows
from dialogs.render import label, render, text
from dialogs.router import Redirect, Screen, button, screen
from dialogs.screens.common import form_of
from dialogs.state import DialogState, ScreenName
from domain.catalogue import SESSION_FIELDS, Kind, Section
from domain.rules import validate_region_dates, validate_session

# What is not taken over: the dates (the session's and its registration period's).
NOT_TAKEN_OVER = frozenset(spec.key for spec in SESSION_FIELDS if spec.kind is Kind.DATE)


@screen(
    ScreenName.SESSION_TAKEN_OVER,
    targets=(
        ScreenName.QUESTION,  # a value to correct, or the question of a rule broken
        ScreenName.SESSIONS,  # the session validated
    ),
    shows_error=True,
    needs_form=True,
)
class SessionTakenOver(Screen):
    """The session taken over: its values, each correctable, and « Valider la session »."""

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        action = form_of(st).action_view()
        if not action.sessions:
            raise Redirect(ScreenName.SESSIONS)
        index = min(form_of(st).session_index, len(action.sessions) - 1)
        rows = session_rows(action)[index]
        for row in rows:
            kb.add(label("correct_field", label=row.label, value=row.value), "f", row.key)
        kb.add(label("session_ok", number=index + 1), "ok")
        body = render(
            "session_taken_over.j2",
            number=index + 1,
            rows=rows,
            dated=NOT_TAKEN_OVER,
            error=st.error,
            notice=st.notice,
        )
        return [Reply(body, kb.rows)]

    @button("f")
    async def correct(self, ctx: Context, st: DialogState, arg: str) -> None:
        _correct(ctx, st, arg)

    @button("ok")
    async def done(self, ctx: Context, st: DialogState, arg: str) -> None:
        """The session's rules, as at the end of any session: a problem of this session is its
        question (then back here); another one (a later session beyond 18 months) the sessions."""
        form = form_of(st)
        action = form.action_view()
        index = form.session_index
        problems = validate_session(action, index) + validate_region_dates(action)
        if problems:
            st.error = text("problems", problems=[p.message for p in problems])
            own = next((p.key for p in problems if p.session == index + 1 and p.key), None)
            if own is not None:
                _correct(ctx, st, own)
                return
        else:
            st.notice = text("session_added", number=index + 1)
        form.return_to = None
        st.screen = ScreenName.SESSIONS


def _correct(ctx: Context, st: DialogState, key: str) -> None:
    """The question of ``key`` in the session taken over, then back to it."""
    form = form_of(st)
    if open_field(form, "session", form.session_index, key, ScreenName.SESSION_TAKEN_OVER):
        st.screen = ScreenName.QUESTION
    else:
        ctx.say(text("unexpected_button"))


def take_over_previous(st: DialogState) -> None:
    """The session just added (``start_session``) takes the previous one's fields but its dates;
    its first date is asked, and the walk comes back here once both are given."""
    form = form_of(st)
    index = form.session_index
    action = form.action()
    if st.screen != ScreenName.QUESTION or form.section != Section.SESSION or index < 1:
        return  # not added (the general data to correct first, the sessions' limit)
    if index != len(action.sessions) - 1:
        return
    previous, new = action.sessions[index - 1], action.sessions[index]
    for spec in SESSION_FIELDS:
        if spec.key not in NOT_TAKEN_OVER:
            new.set(spec.key, previous.get(spec.key))
    form.draft = action.model_dump(mode="json")
    form.dirty = True
    enter(form, SESSION_FIELDS[0].key)
    form.return_to = ScreenName.SESSION_TAKEN_OVER
