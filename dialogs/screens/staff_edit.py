"""The Carif-Oref's own changes in the chat (RULES.md « The Carif-Oref's own operations »):

- quality control and codification: « ✏ Corriger / coder » on a submitted or approved action opens
  a working copy; each field is asked with the intake's question (``StaffQuestion``: the form's
  ``Question``, its parsers, widgets and checks); the screen lists every change (before → after)
  and the problems a change would bring, then stores them (« 💾 Enregistrer »), or stores them and
  goes on to « 📢 Publier »; the organisation is told what changed;
- the next purchase order: « 📦 Bon de commande suivant » on a published Région action prepares its
  action (same data, next number); staff give its semester and its sessions (dates asked, the rest
  from the previous order's first session), then publish it.

The working copy is the state's ``form`` (kind ``correction`` or ``order``): nothing is stored
before « Enregistrer » or « Publier », and the use cases of ``domain/services/codification.py``
check everything again.
"""

from __future__ import annotations

import copy
from typing import Any

from dialogs import operations
from dialogs.context import Context
from dialogs.form import enter, open_field, session_period
from dialogs.io import Reply
from dialogs.keyboards import Keyboard
from dialogs.recap import general_groups, part_rows
from dialogs.render import macro_html, macro_text, plain, render
from dialogs.router import Redirect, button, goes_to, screen
from dialogs.screens.backoffice import BackofficeScreen, actor, attempt, btext
from dialogs.screens.common import form_of
from dialogs.screens.form import Question
from dialogs.state import DialogState, FormState, ScreenName
from domain import codification as rules
from domain.catalogue import Section
from domain.errors import DomainError, Problem, StaleVersion
from domain.lifecycle import Operation, refusal
from domain.models import Action, Document
from domain.rules import session_limit
from domain.services import codification
from domain.services.actors import find

CORRECTION = "correction"
ORDER = "order"
_HOME = {CORRECTION: ScreenName.STAFF_EDIT, ORDER: ScreenName.STAFF_ORDER}
# An order's session: its dates are asked one after the other, then back to the order.
ORDER_SESSION_WALK = ("debut", "fin")
WORDS = "codification.j2"


def clabel(name: str, /, **context: Any) -> str:
    return macro_text(WORDS, name, **context)


def ctext(name: str, /, **context: Any) -> str:
    return macro_html(WORDS, name, **context)


def staff_form(st: DialogState) -> FormState:
    """The staff's working copy in progress (a LookupError, which takes them home, if none)."""
    form = form_of(st)
    if form.kind not in _HOME:
        raise LookupError("no staff working copy in progress")
    return form


def _base(form: FormState) -> Action:
    return Action.model_validate(form.base)


async def start_correction(ctx: Context, st: DialogState, action_id: int) -> None:
    """« ✏ Corriger / coder »: the action's working copy, from its stored version."""
    action = await attempt(ctx, st, codification.open_correction(ctx.uow, actor(ctx, st), action_id))
    if action is None:
        return
    draft = action.model_dump(mode="json")
    st.form = FormState(kind=CORRECTION, draft=draft, base=copy.deepcopy(draft), section=Section.GENERAL)
    st.screen = ScreenName.STAFF_EDIT


async def start_order(ctx: Context, st: DialogState, action_id: int) -> None:
    """« 📦 Bon de commande suivant »: the next order's action, prepared (not stored)."""
    order = await attempt(ctx, st, codification.open_next_order(ctx.uow, actor(ctx, st), action_id))
    if order is None:
        return
    st.form = FormState(kind=ORDER, draft=order.model_dump(mode="json"), section=Section.GENERAL)
    st.screen = ScreenName.STAFF_ORDER


def add_buttons(action: Action, kb: Keyboard) -> None:
    """The buttons of the staff's view of ``action`` that lead here, when its status allows."""
    if rules.may_correct(action):
        kb.add(clabel("correct"), "correct")
    if action.funder.purchase_order and action.status in rules.ORDER_STATUSES:
        kb.add(clabel("next_order"), "order")


def _ask(st: DialogState, part: str, index: int, key: str, back: ScreenName) -> bool:
    if not open_field(staff_form(st), part, index, key, back):
        return False
    st.screen = ScreenName.STAFF_QUESTION
    return True


def _problems(problems: list[Problem]) -> list[str]:
    return [p.message for p in problems]


@screen(ScreenName.STAFF_EDIT, shows_error=True, needs_form=True,
        targets=(ScreenName.STAFF_PICK, ScreenName.STAFF_VIEW, ScreenName.STAFF_PUBLISH, ScreenName.STAFF_MENU))
class StaffEdit(BackofficeScreen):
    """The corrections so far (before → after), the parts to correct, then store or publish."""

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        actor(ctx, st)
        form = staff_form(st)
        base, action = _base(form), form.action_view()
        changes = rules.field_changes(base, action)
        problems = rules.new_problems(base, action, ctx.clock.today())
        for i, group in enumerate(general_groups(action)):
            if any(row.key in rules.CORRECTABLE_KEYS for row in group.rows):
                kb.add(clabel("edit_group", group=group.title), "p", f"g{i}")
        for i, session in enumerate(action.sessions):
            kb.add(clabel("edit_session", number=i + 1, period=session_period(session)), "p", f"s{i}")
        if changes:
            kb.add(clabel("save", count=len(changes)), "save")
            if refusal(base, Operation.PUBLISH) is None:
                kb.add(clabel("save_publish"), "publish")
        kb.add(clabel("drop"), "drop")
        body = render("staff_edit.j2", action=action, changes=changes, problems=_problems(problems),
                      notice=st.notice, error=st.error)
        return [Reply(body, kb.rows)]

    @button("p")
    async def part(self, ctx: Context, st: DialogState, arg: str) -> None:
        """A part of the action: « g2 », the general data's third group; « s0 », session n° 1."""
        index = int(arg[1:])
        sessions = len(staff_form(st).action_view().sessions)
        st.pick_kind = "session" if arg[:1] == "s" and index < sessions else "group"
        st.pick_index = index
        st.screen = ScreenName.STAFF_PICK

    async def _store(self, ctx: Context, st: DialogState) -> Action | None:
        proposed = staff_form(st).action()
        assert proposed.id is not None
        try:
            done = await codification.correct(ctx.uow, actor(ctx, st), proposed.id, proposed,
                                              today=ctx.clock.today())
        except StaleVersion:  # corrected (or published…) meanwhile: its view, as stored now
            ctx.say(btext("stale"))
            st.form = None
            st.screen = ScreenName.STAFF_VIEW
            return None
        except DomainError as exc:
            st.error = plain(operations.describe(exc))
            return None
        st.form = None
        st.action_id = done.action.id
        st.notice = ctext("corrected", reference=done.action.reference, count=len(done.changes))
        return done.action

    @button("save")
    async def save(self, ctx: Context, st: DialogState, arg: str) -> None:
        if await self._store(ctx, st) is not None:
            st.screen = ScreenName.STAFF_VIEW

    @button("publish")
    async def save_and_publish(self, ctx: Context, st: DialogState, arg: str) -> None:
        if await self._store(ctx, st) is not None:
            st.reference_carif = None
            st.screen = ScreenName.STAFF_PUBLISH

    @button("drop")
    async def drop(self, ctx: Context, st: DialogState, arg: str) -> None:
        st.form = None
        st.screen = ScreenName.STAFF_VIEW


@screen(ScreenName.STAFF_PICK, needs_form=True,
        targets=(ScreenName.STAFF_QUESTION, ScreenName.STAFF_EDIT))
class StaffPick(BackofficeScreen):
    """The fields of one part (its current values): tap one to correct it."""

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        actor(ctx, st)
        title, rows = part_rows(staff_form(st).action_view(), st.pick_kind, st.pick_index)
        for row in rows:
            if st.pick_kind == "session" or row.key in rules.CORRECTABLE_KEYS:
                kb.add(clabel("field", label=row.label, value=row.value), "f", row.key)
        kb.add(clabel("back"), "back")
        return [Reply(render("staff_pick.j2", title=title), kb.rows)]

    @button("f")
    async def field(self, ctx: Context, st: DialogState, arg: str) -> None:
        if arg in rules.NOT_CORRECTED or not _ask(st, st.pick_kind, st.pick_index, arg, ScreenName.STAFF_EDIT):
            raise ValueError(arg)

    back = goes_to(ScreenName.STAFF_EDIT, "back")


@screen(ScreenName.STAFF_QUESTION,
        targets=(ScreenName.STAFF_QUESTION, ScreenName.STAFF_EDIT, ScreenName.STAFF_ORDER, ScreenName.STAFF_MENU))
class StaffQuestion(Question):
    """One question of the intake, asked to staff: the same parsers, widgets and checks; no
    « Sauvegarder » or « Quitter » (nothing is stored before the staff's screen says so)."""

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        actor(ctx, st)
        if st.form is None or st.form.kind not in _HOME:
            raise Redirect(ScreenName.STAFF_MENU)
        return await super().render(ctx, st, kb)

    async def on_button(self, ctx: Context, st: DialogState, verb: str, arg: str) -> None:
        actor(ctx, st)
        key = staff_form(st).key
        await super().on_button(ctx, st, verb, arg)
        self._then(st, key, answered=verb != "back")

    async def on_text(self, ctx: Context, st: DialogState, value: str) -> None:
        actor(ctx, st)
        key = staff_form(st).key
        await super().on_text(ctx, st, value)
        self._then(st, key, answered=True)

    async def on_document(self, ctx: Context, st: DialogState, document: Document) -> None:
        st.error = ctext("no_document")

    @staticmethod
    def _then(st: DialogState, key: str | None, *, answered: bool) -> None:
        """Where an answer leads: an order's session dates one after the other, then the staff's
        screen (never the organisation's sessions screen or menu)."""
        form = staff_form(st)
        home = _HOME[form.kind]
        walk = ORDER_SESSION_WALK
        if (answered and st.screen == home and form.kind == ORDER and form.section == Section.SESSION
                and key in walk and walk.index(key) + 1 < len(walk)):
            enter(form, walk[walk.index(key) + 1])
            form.return_to = home
            st.screen = ScreenName.STAFF_QUESTION
        elif st.screen not in (ScreenName.STAFF_QUESTION, home):
            st.screen = home


@screen(ScreenName.STAFF_ORDER, shows_error=True, needs_form=True,
        targets=(ScreenName.STAFF_QUESTION, ScreenName.STAFF_VIEW, ScreenName.STAFF_MENU))
class StaffOrder(BackofficeScreen):
    """The next purchase order's action: its number, semester and sessions, then « Publier »."""

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        staff = actor(ctx, st)
        order = staff_form(st).action_view()
        source = await find(ctx.uow, staff, order.copied_from or 0)
        for key in ("numero_bon_commande", "semestre_debut"):
            spec = rules.field_to_correct(order, key)
            kb.add(clabel("order_field", label=spec.label, value=spec.format(order.get(key))), "f", key)
        for i, session in enumerate(order.sessions):
            kb.add(clabel("edit_session", number=i + 1, period=session_period(session)), "s", i)
        kb.add(clabel("add_session", number=len(order.sessions) + 1), "add")
        if order.sessions:
            kb.add(clabel("remove_session", number=len(order.sessions)), "rm")
        ready = bool(order.sessions) and order.semestre_debut is not None
        if ready:
            kb.add(clabel("publish_order", number=order.numero_bon_commande), "publish")
        kb.add(clabel("cancel"), "no")
        problems = rules.order_problems(order, ctx.clock.today()) if ready else []
        body = render("staff_order.j2", order=order, source=source, problems=_problems(problems),
                      periods=[session_period(s) for s in order.sessions], notice=st.notice, error=st.error)
        return [Reply(body, kb.rows)]

    @button("f")
    async def field(self, ctx: Context, st: DialogState, arg: str) -> None:
        if arg not in ("numero_bon_commande", "semestre_debut"):
            raise ValueError(arg)
        _ask(st, "group", 0, arg, ScreenName.STAFF_ORDER)

    @button("s")
    async def session(self, ctx: Context, st: DialogState, arg: str) -> None:
        if int(arg) >= len(staff_form(st).action_view().sessions):
            raise IndexError(arg)
        _ask(st, "session", int(arg), ORDER_SESSION_WALK[0], ScreenName.STAFF_ORDER)

    @button("add")
    async def add(self, ctx: Context, st: DialogState, arg: str) -> None:
        form = staff_form(st)
        order = form.action()
        if (too_many := session_limit(order)) is not None:
            st.error = ctext("problem", message=too_many.message)
            return
        source = await find(ctx.uow, actor(ctx, st), order.copied_from or 0)
        order.sessions.append(rules.order_session(source))
        form.draft = order.model_dump(mode="json")
        _ask(st, "session", len(order.sessions) - 1, ORDER_SESSION_WALK[0], ScreenName.STAFF_ORDER)

    @button("rm")
    async def remove(self, ctx: Context, st: DialogState, arg: str) -> None:
        form = staff_form(st)
        order = form.action()
        if order.sessions:
            order.sessions.pop()
            form.draft = order.model_dump(mode="json")

    @button("publish")
    async def publish(self, ctx: Context, st: DialogState, arg: str) -> None:
        order = staff_form(st).action()
        published = await attempt(ctx, st, codification.publish_next_order(
            ctx.uow, actor(ctx, st), order, today=ctx.clock.today(), now=ctx.clock.now(),
        ))
        if published is None:
            return
        st.form = None
        st.action_id = published.id
        st.notice = ctext("order_published", reference=published.reference,
                          number=published.numero_bon_commande, reference_carif=published.reference_carif)
        st.screen = ScreenName.STAFF_VIEW

    @button("no")
    async def cancel(self, ctx: Context, st: DialogState, arg: str) -> None:
        st.form = None
        st.screen = ScreenName.STAFF_VIEW
