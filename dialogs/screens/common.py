"""Helpers several screens share: saving the working copy, loading an action of the user's scope."""

from __future__ import annotations

from dialogs.context import Context
from dialogs.form import enter, fields
from dialogs.render import text
from dialogs.state import DialogState, FormState
from domain.catalogue import Section
from domain.errors import StaleVersion
from domain.models import Action


def form_of(st: DialogState) -> FormState:
    """The form in progress; none (a state from an older version, a restore…) is a LookupError,
    which the engine answers by taking the user back to their home screen."""
    if st.form is None:
        raise LookupError("no form in progress")
    return st.form


async def save_working_copy(ctx: Context, st: DialogState) -> Action | None:
    """« Sauvegarder »: the working copy becomes the stored draft. None if someone saved first."""
    assert st.form is not None
    action = st.form.action()
    repo = ctx.actions()
    try:
        saved = await (repo.add(action) if action.id is None else repo.save(action))
    except StaleVersion:
        fresh = await repo.get(action.id) if action.id is not None else None
        ctx.say(text("stale_draft"))
        if fresh is not None:
            st.form.draft = fresh.model_dump(mode="json")
            st.form.dirty = False
        return None
    st.form.draft = saved.model_dump(mode="json")
    st.form.dirty = False
    return saved


async def save_and_leave(ctx: Context, st: DialogState) -> None:
    """« 💾 Sauvegarder »: the draft is stored and the user is back at the menu (unless someone
    saved the action in between: then they stay, with the reloaded version)."""
    if await save_working_copy(ctx, st) is not None:
        st.form = None
        st.screen = "menu"
        st.notice = text("saved")


async def load_action(ctx: Context, action_id: int | None) -> Action | None:
    """An action of the user's organisation, or None (another organisation's is simply not found)."""
    if action_id is None:
        return None
    action = await ctx.actions().get(action_id)
    if action is None:
        ctx.say(text("action_not_found"))
    return action


async def open_form(
    ctx: Context, st: DialogState, action: Action, *, screen: str = "question"
) -> FormState:
    """Start editing an action: its working copy goes into the state.

    Unsaved answers of another form in progress are never dropped silently: they are saved as a
    draft first (« Quitter » is the only way to drop answers).
    """
    dirty = st.form is not None and st.form.kind == "action" and st.form.dirty
    if dirty and await save_working_copy(ctx, st) is not None:
        ctx.say(text("previous_form_saved"))
    form = FormState(kind="action", draft=action.model_dump(mode="json"), section=Section.GENERAL)
    st.form = form
    enter(form, fields(form)[0].key)
    st.screen = screen
    return form
