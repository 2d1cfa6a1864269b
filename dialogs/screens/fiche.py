"""« Votre fiche organisme »: view it, complete or change one field at a time; and the fiche's
missing required fields, asked at « Confirmer » before an action can be confirmed.

A fiche answer is written onto the organisation as stored *now* (read again at the answer), one
field only, with a compare-and-swap on its version: a colleague's change to another field is kept.
When the colleague changed the very field answered, the answer is not written: the user is shown
the new value and answers again (the later answer wins only once its author saw the other one).
The user's links are checked at each answer: an answer never lands in an organisation the user no
longer belongs to.
"""

from __future__ import annotations

from typing import Any

from dialogs.context import Context
from dialogs.form import enter, next_key, open_template, spec_of
from dialogs.io import Reply
from dialogs.keyboards import Keyboard
from dialogs.render import label, render, text
from dialogs.router import Screen, button, goes_to, known_arg, screen
from dialogs.state import DialogState, FormState, ScreenName
from domain.catalogue import ORGANISATION_FIELDS, Section
from domain.models import Organisation
from domain.rules import fiche_problems


@screen(ScreenName.FICHE, targets=(ScreenName.QUESTION, ScreenName.MENU, ScreenName.TEMPLATE))
class Fiche(Screen):
    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        org = await ctx.organisation()
        rows = [(spec.display_label, spec.format(org.get(spec.key)), spec.key) for spec in ORGANISATION_FIELDS]
        for lab, value, key in rows:
            kb.add(label("field", label=lab, value=value if value != "—" else ""), "f", key)
        kb.add(label("template"), "tpl")
        kb.add(label("menu"), "menu")
        missing = [lab for lab, value, key in rows if value == "—" and lab.endswith("*")]
        body = render("fiche.j2", organisation=org, rows=rows, missing=missing, notice=st.notice)
        return [Reply(body, kb.rows)]

    @button("f")
    async def edit(self, ctx: Context, st: DialogState, arg: str) -> None:
        if not known_arg(ctx, arg, ORGANISATION_FIELDS_BY_KEY):
            return
        st.fiche_then = None  # a plain fiche edit, back to the fiche afterwards
        open_fiche_field(st, await ctx.organisation(), arg)

    @button("tpl")
    async def template(self, ctx: Context, st: DialogState, arg: str) -> None:
        st.fiche_then = None
        open_fiche_field(st, await ctx.organisation(), ORGANISATION_FIELDS[0].key)
        assert st.form is not None
        open_template(st, st.form, ScreenName.FICHE)

    menu = goes_to(ScreenName.MENU, "menu")


def _park(st: DialogState) -> None:
    """Keep an action form in progress: the fiche edit is a detour (its own small form)."""
    if st.form is not None and st.form.kind == "action":
        st.parked_form = st.form


def unpark(st: DialogState) -> None:
    """Back from a fiche edit: the action form that was in progress comes back untouched."""
    st.form, st.parked_form = st.parked_form, None
    st.fiche_base = None


def open_fiche_field(st: DialogState, org: Organisation, key: str) -> None:
    """Ask one field of the fiche, remembering the fiche as the user sees it now."""
    _park(st)
    draft = org.model_dump(mode="json")
    st.form = FormState(kind="organisation", draft=draft, section=Section.ORGANISME)
    st.fiche_base = draft
    enter(st.form, key)
    st.screen = ScreenName.QUESTION


async def complete_fiche_first(ctx: Context, st: DialogState, then: ScreenName) -> bool:
    """Before a confirmation: if the fiche lacks required fields, explain and ask the first one.

    Returns True when the fiche is complete (the confirmation may go on), False when the user is
    now asked the missing fields (they come back to ``then`` once the fiche is complete).
    """
    org = await ctx.organisation()
    problems = fiche_problems(org)
    if not problems:
        return True
    labels = [ORGANISATION_FIELDS_BY_KEY[p.key].label for p in problems if p.key in ORGANISATION_FIELDS_BY_KEY]
    open_fiche_field(st, org, problems[0].key or ORGANISATION_FIELDS[0].key)
    st.fiche_then = then
    st.notice = text("fiche_incomplete", labels=labels)
    return False


ORGANISATION_FIELDS_BY_KEY = {f.key: f for f in ORGANISATION_FIELDS}


def leave_fiche_completion(st: DialogState) -> bool:
    """« Retour » during the completion before a confirmation: back to the recap, nothing confirmed."""
    if st.fiche_then is None:
        return False
    st.fiche_then = None
    unpark(st)
    st.screen = ScreenName.RECAP if st.form is not None else ScreenName.FICHE
    return True


async def save_fiche_answer(ctx: Context, st: DialogState) -> None:
    """After an answer to a fiche question: write that one field onto the stored fiche, then go on."""
    form = st.form
    assert form is not None and form.kind == "organisation"
    spec = spec_of(form)
    key = spec.key
    fresh = await _fresh_fiche(ctx, st, form)
    if fresh is None:
        return
    fresh_json = fresh.model_dump(mode="json")
    base: dict[str, Any] = st.fiche_base or fresh_json
    answer = form.draft.get(key)
    # « Garder » (nothing answered) and an answer equal to the stored value write nothing.
    if form.dirty and answer != fresh_json.get(key):
        if fresh_json.get(key) != base.get(key):
            # A colleague changed this very field since the question was asked: show it, keep
            # nothing, and let the user answer again knowing it.
            st.error = text(
                "fiche_conflict", label=spec.label, theirs=spec.format(fresh.get(key)),
                yours=spec.format(Organisation.model_validate(form.draft).get(key)),
            )
            _reask(st, form, fresh, key)
            return
        fresh.set(key, Organisation.model_validate(form.draft).get(key))
        await ctx.uow.organisations.save(fresh)  # StaleVersion: the engine replays on fresh data
        ctx.forget_organisation()
    if st.fiche_then is not None:
        problems = fiche_problems(fresh)
        if problems and problems[0].key is not None:
            _reask(st, form, fresh, problems[0].key)
            return
        then, st.fiche_then = st.fiche_then, None
        form.queue = None
        unpark(st)
        if st.form is None or st.form.kind != "action":
            st.screen = ScreenName.FICHE
            st.notice = text("fiche_saved")
            return
        st.screen = then
        st.notice = text("fiche_complete")
        return
    if _ask_queued(st, form, fresh):
        return
    unpark(st)
    st.screen = ScreenName.FICHE
    st.notice = text("fiche_saved")


async def _fresh_fiche(ctx: Context, st: DialogState, form: FormState) -> Organisation | None:
    """The fiche as stored now, if the user may still write onto it (else the edit is dropped)."""
    organisation_id = form.draft.get("id")
    if organisation_id not in ctx.principal.organisation_ids:
        _drop(ctx, st, text("fiche_not_member"))
        return None
    if organisation_id != ctx.organisation_id:
        _drop(ctx, st, text("fiche_not_current"))
        return None
    fresh = await ctx.uow.organisations.get(organisation_id)
    if fresh is None:
        _drop(ctx, st, text("fiche_not_member"))
    return fresh


async def write_fiche_values(ctx: Context, st: DialogState, keys: list[str], queue: list[str]) -> None:
    """The fiche's template read: its accepted values (``keys`` of the form's draft) written onto
    the fiche as stored now, then the fields of ``queue`` asked in turn (none: back to the fiche)."""
    form = st.form
    assert form is not None and form.kind == "organisation"
    fresh = await _fresh_fiche(ctx, st, form)
    if fresh is None:
        return
    typed = Organisation.model_validate(form.draft)
    if keys:
        for key in keys:
            fresh.set(key, typed.get(key))
        await ctx.uow.organisations.save(fresh)  # StaleVersion: the engine replays on fresh data
        ctx.forget_organisation()
    form.queue = queue
    if _ask_queued(st, form, fresh):
        return
    unpark(st)
    st.screen = ScreenName.FICHE


def _ask_queued(st: DialogState, form: FormState, fresh: Organisation) -> bool:
    """After the fiche's template: the next field still to ask, with its error (False: none)."""
    if form.queue is None:
        return False
    form.draft = fresh.model_dump(mode="json")
    key = next_key(form)
    if key is None:
        return False
    _reask(st, form, fresh, key)
    st.error = form.queued_error
    form.queued_error = None
    return True


def _reask(st: DialogState, form: FormState, org: Organisation, key: str) -> None:
    """Ask ``key`` on the fiche as stored now (what the user sees becomes the new base)."""
    form.draft = org.model_dump(mode="json")
    form.dirty = False
    st.fiche_base = form.draft
    enter(form, key)
    st.screen = ScreenName.QUESTION


def _drop(ctx: Context, st: DialogState, notice: str) -> None:
    """The answer cannot be written (not a member any more, or another organisation chosen since):
    nothing is kept of this fiche edit. The parked action form comes back only if it belongs to an
    organisation the user is still a member of."""
    st.fiche_base = None
    st.fiche_then = None
    parked = st.parked_form
    if parked is None or parked.draft.get("organisation_id") not in ctx.principal.organisation_ids:
        st.parked_form = None
    unpark(st)
    st.screen = st.home
    st.notice = notice
