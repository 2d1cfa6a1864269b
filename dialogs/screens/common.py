"""Helpers several screens share: saving the working copy, loading an action of the user's scope.

« Sauvegarder » never drops an answer. When the stored action changed since the form was opened
(``StaleVersion``), the working copy is merged with it (``domain.merge``, from the base version the
form keeps): fields changed on one side only are taken from that side; fields both sides changed to
different values go to the conflict screen (``merge``), where the user chooses. When the action may
no longer be modified (confirmed, published… meanwhile), the form is closed, the user is told
plainly what happened and sees the action's view.
"""

from __future__ import annotations

import copy

from markupsafe import Markup

from dialogs.context import Context
from dialogs.form import enter, fields, form_position
from dialogs.render import macro_html, plain, text
from dialogs.state import DialogState, FormState, ScreenName
from domain.catalogue import Section
from domain.errors import ChangeNotAllowed, StaleVersion
from domain.lifecycle import LIFECYCLE_KEYS, changes, organisation_may_modify
from domain.merge import merge
from domain.models import Action, Status


def form_of(st: DialogState) -> FormState:
    """The form in progress; none (a state from an older version, a restore…) is a LookupError,
    which the engine answers by taking the user back to their home screen."""
    if st.form is None:
        raise LookupError("no form in progress")
    return st.form


def reload_text(name: str, /, **context: object) -> Markup:
    """A message of ``reload.j2`` (HTML)."""
    return macro_html("reload.j2", name, **context)


def _stored(form: FormState, saved: Action) -> None:
    form.draft = saved.model_dump(mode="json")
    form.base = copy.deepcopy(form.draft)
    form.dirty = False
    form.conflicts = []
    form.save_from = None


def leave_for_view(ctx: Context, st: DialogState, stored: Action | None) -> None:
    """The form's action may no longer be modified (or is gone): close the form, say so, and show
    the action as stored (or the menu)."""
    lost = st.form is not None and st.form.dirty
    st.form = None
    st.quit_from = None
    if stored is None:
        ctx.say(reload_text("action_gone", lost=lost))
        st.screen = ScreenName.MENU
        return
    ctx.say(reload_text("moved_on", status=stored.status.value, reference=stored.reference or "",
                        lost=lost))
    st.action_id = stored.id
    st.screen = ScreenName.VIEW


async def _who_changed(ctx: Context, base: Action | None, theirs_changed: tuple[str, ...]) -> str:
    """« document » (only the justification the user sent), « self » or « colleague »."""
    if theirs_changed and set(theirs_changed) <= {"justificatif"}:
        return "document"
    if base is None or base.id is None:
        return "colleague"
    audit = getattr(ctx.uow, "audit", None)  # an in-memory unit of work (tests) keeps none
    if audit is None:
        return "colleague"
    entries = [e for e in await audit.history(base.id)
               if e.version is None or e.version > base.version]
    actors = {e.actor_user_id for e in entries}
    return "self" if actors and actors <= {ctx.principal.user_id} else "colleague"


def _clamp(form: FormState) -> None:
    sessions = len(form.action_view().sessions)
    if form.section == Section.SESSION and form.session_index > sessions:
        form.session_index = sessions


async def _reconcile(ctx: Context, st: DialogState, mine: Action, after: ScreenName) -> Action | None:
    """``mine`` could not be saved: the stored action changed since the form's base."""
    form = form_of(st)
    repo = ctx.actions()
    assert mine.id is not None
    fresh = await repo.get(mine.id)
    if fresh is None or not organisation_may_modify(fresh):
        leave_for_view(ctx, st, fresh)
        return None
    base = Action.model_validate(form.base) if form.base else None
    result = merge(base, mine, fresh)
    result.action.resume_at = mine.resume_at  # where this user stopped: not a field to merge
    who = await _who_changed(ctx, base, result.theirs_changed)
    form.draft = result.action.model_dump(mode="json")
    form.base = fresh.model_dump(mode="json")
    _clamp(form)
    if result.conflicts:
        form.conflicts = [{"key": c.key, "session_id": c.session_id} for c in result.conflicts]
        form.after_merge = after
        form.dirty = True
        ctx.say(reload_text("conflicts", who=who, count=len(result.conflicts)))
        st.screen = ScreenName.MERGE
        return None
    form.conflicts = []
    if after == ScreenName.RECAP:
        form.dirty = True
        ctx.say(reload_text("merged_check", who=who))
        st.screen = ScreenName.RECAP
        return None
    ctx.say(reload_text("merged", who=who))
    if not changes(fresh, result.action):
        _stored(form, fresh)
        return fresh
    try:
        saved = await repo.save(result.action)
    except StaleVersion:
        ctx.say(reload_text("stale_again"))
        return None
    _stored(form, saved)
    return saved


async def save_working_copy(ctx: Context, st: DialogState, *, after: ScreenName = ScreenName.MENU) -> Action | None:
    """The working copy becomes the stored draft. None when it could not be stored as it is: the
    stored action changed meanwhile (merged, possibly with choices to make on the ``merge``
    screen) or may no longer be modified (the user is then on its view)."""
    form = form_of(st)
    action = form.action()
    action.resume_at = form_position(st)  # « Modifier » reopens the draft there
    repo = ctx.actions()
    try:
        saved = await (repo.add(action) if action.id is None else repo.save(action))
    except StaleVersion:
        return await _reconcile(ctx, st, action, after)
    except ChangeNotAllowed as exc:
        stored = await repo.get(action.id) if action.id is not None else None
        if stored is None or not organisation_may_modify(stored):
            leave_for_view(ctx, st, stored)
            return None
        # Still modifiable, but not this way (e.g. a confirmation the storage finds incomplete):
        # the answers stay, the lifecycle data are the stored ones again.
        for key in LIFECYCLE_KEYS:
            action.set(key, stored.get(key))
        form.draft = action.model_dump(mode="json")
        ctx.say(plain(exc.message))
        return None
    _stored(form, saved)
    return saved


def saved_notice(action: Action) -> Markup:
    place = text("list_returned") if action.status is Status.RETURNED else text("list_draft")
    return text("saved", place=place)


async def save_and_stay(ctx: Context, st: DialogState) -> None:
    """« 💾 Sauvegarder »: the draft is stored with where the user is, and the user stays there,
    told it is saved (the guide: « enregistrer en cours de saisie autant de fois que vous le
    souhaitez »). If it changed meanwhile: merged, with the user's choices asked first when both
    sides changed a field (then back here, ``Merge``); if it may no longer be modified, its view."""
    form_of(st).save_from = st.screen
    saved = await save_working_copy(ctx, st)
    if saved is not None:
        st.notice = saved_notice(saved)


async def still_modifiable(ctx: Context, st: DialogState) -> bool:
    """Re-opening a form in progress: it is kept only if its action may still be modified;
    otherwise the user is told and sees the action (``leave_for_view``)."""
    form = st.form
    if form is None or form.kind != "action" or form.draft.get("id") is None:
        return True
    stored = await ctx.actions().get(int(form.draft["id"]))
    if stored is not None and organisation_may_modify(stored):
        return True
    leave_for_view(ctx, st, stored)
    return False


async def load_action(ctx: Context, action_id: int | None) -> Action | None:
    """An action of the user's organisation, or None (another organisation's is simply not found)."""
    if action_id is None:
        return None
    action = await ctx.actions().get(action_id)
    if action is None:
        ctx.say(text("action_not_found"))
    return action


async def open_form(
    ctx: Context, st: DialogState, action: Action, *, screen: ScreenName = ScreenName.QUESTION
) -> FormState | None:
    """Start editing an action: its working copy goes into the state.

    Unsaved answers of another form in progress are never dropped silently: they are saved as a
    draft first (« Quitter » is the only way to drop answers). If that needs the user's choices
    (both sides changed a field), the user stays on those choices and None is returned.
    """
    previous = st.form
    if previous is not None and previous.kind == "action" and previous.conflicts:
        # Saving it now would store the user's values over the others without their choice.
        ctx.say(reload_text("choose_first"))
        st.screen = ScreenName.MERGE
        return None
    if previous is not None and previous.kind == "action" and previous.dirty:
        if await save_working_copy(ctx, st) is not None:
            ctx.say(text("previous_form_saved"))
        elif st.form is not None and st.form.conflicts:
            return None
    draft = action.model_dump(mode="json")
    form = FormState(kind="action", draft=draft, section=Section.GENERAL,
                     base=copy.deepcopy(draft) if action.id is not None else None)
    st.form = form
    enter(form, fields(form)[0].key)
    st.screen = screen
    return form
