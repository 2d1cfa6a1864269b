"""The form: one question per field (from the catalogue), the session loop, « Quitter »."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

from dialogs.context import Context
from dialogs.form import apply_substep as _apply_substep
from dialogs.form import (
    checked_justification,
    current_value,
    enter,
    fields,
    next_key,
    open_template,
    optional,
    position,
    previous_key,
    session_period,
    set_value,
    spec_of,
    substeps,
    template_offered,
)
from dialogs.io import Reply
from dialogs.keyboards import Keyboard, page_slice, pages
from dialogs.period import default_month, end_comes_next, month_of, semesters, take_period
from dialogs.render import label, plain, render, text
from dialogs.router import Screen, button, screen
from dialogs.screens.common import form_of, save_and_stay
from dialogs.screens.fiche import leave_fiche_completion, save_fiche_answer, unpark
from dialogs.screens.taken_over import take_over_previous
from dialogs.shortcuts import known_answers, skip_optional_part
from dialogs.state import DialogState, FormState, ScreenName
from dialogs.template_apply import continue_template
from domain.catalogue import FieldSpec, Kind, Section
from domain.errors import FieldError, Problem
from domain.models import Action, Document, Session
from domain.rules import (
    general_blocks_sessions,
    session_addition_problems,
    validate_region_dates,
    validate_session,
)


def _problems_text(problems: list[Problem]) -> str:
    return text("problems", problems=[p.message for p in problems])


def _answers(verb: str, kind: Kind, answer: Callable[[FieldSpec, str], Any]) -> Callable[..., Awaitable[None]]:
    """The handler of a question's widget button ``verb``: on a question of ``kind``, the answer
    ``answer(spec, arg)`` (its ``FieldError`` said above the question by ``Question.on_button``)."""

    @button(verb)
    async def answered(self: Question, ctx: Context, st: DialogState, arg: str) -> None:
        if (spec := self._spec(ctx, st, kind)) is not None:
            await _accept(ctx, st, answer(spec, arg))

    return answered


class FormScreen(Screen):
    """A screen of a form in progress: its « Sauvegarder » and « Quitter » buttons."""

    @button("save")
    async def save(self, ctx: Context, st: DialogState, arg: str) -> None:
        await save_and_stay(ctx, st)

    @button("quit")
    async def quit(self, ctx: Context, st: DialogState, arg: str) -> None:
        ask_quit(st)


@screen(ScreenName.QUESTION, shows_error=True,
        targets=(ScreenName.QUESTION, ScreenName.SESSIONS, ScreenName.RECAP, ScreenName.MENU, ScreenName.QUIT_ASK,
                 ScreenName.FICHE, ScreenName.CONFIRM_ASK, ScreenName.MERGE, ScreenName.VIEW,
                 ScreenName.SESSION_TAKEN_OVER,
                 ScreenName.TEMPLATE))
class Question(FormScreen):
    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        form = form_of(st)
        spec = spec_of(form)
        value = current_value(form, spec)
        pos, total = position(form)
        action = form.action_view() if form.kind == "action" else None
        steps = substeps(spec)
        body = render(
            "question.j2",
            spec=spec,
            section=form.section,
            session_number=form.session_index + 1,
            position=pos,
            total=total,
            error=st.error,
            notice=st.notice,
            current=spec.format(value) if value is not None else None,
            length=len(value) if isinstance(value, str) else 0,
            substep=steps[form.substep] if steps else None,
            partial=form.partial,
            title=(action.intitule if action else None),
            support=ctx.support_contact,
        )
        self._widget(ctx, form, spec, value, kb)
        if value is not None and form.substep == 0:
            kb.add(label("keep", value=spec.format(value)), "keep")
        for i, (shortcut, _) in enumerate(await known_answers(ctx, form, spec) if form.substep == 0 else ()):
            kb.add(shortcut, "sc", i)
        nav = [kb.button(label("back"), "back")]
        optional_step = bool(steps) and steps[form.substep] in ("prenom", "telephone", "courriel")
        if not spec.required or optional_step:
            nav.append(kb.button(label("skip"), "skip"))
        kb.row(*nav)
        if optional(spec) and form.substep == 0 and not form.return_to and form.queue is None:
            kb.add(label("skip_optional"), "skipopt")
        if form.kind == "action":
            kb.row(kb.button(label("save"), "save"), kb.button(label("quit"), "quit"))
            if action is not None and action.sessions:
                kb.add(label("finish"), "done")
        if template_offered(form, pos):
            kb.add(label("template"), "tpl")
        return [Reply(body, kb.rows)]

    def _widget(self, ctx: Context, form: FormState, spec: FieldSpec, value: Any, kb: Keyboard) -> None:
        if spec.kind is Kind.YESNO:
            kb.row(kb.button(label("yes"), "y"), kb.button(label("no"), "n"))
        elif spec.kind is Kind.CHOICE:
            for i in spec.offered(_action_of(form)):
                kb.add(spec.choices[i].label, "c", i)
        elif spec.kind is Kind.MULTI_CHOICE:
            ticks = set(form.partial.get("ticks", []))
            offered = spec.offered(_action_of(form))
            for j in page_slice(offered, form.page):
                c = spec.choices[offered[j]]
                kb.add(label("ticked" if c.code in ticks else "unticked", label=c.label), "t", offered[j])
            kb.pager(form.page, pages(offered))
            kb.add(label("validate", count=len(ticks)), "ok")
        elif spec.kind is Kind.DATE:
            month = month_of(form.calendar) or (value if isinstance(value, date) else None)
            month = month or default_month(form, ctx.clock.today())
            kb.calendar(month.replace(day=1), picked=value if isinstance(value, date) else None)
        elif spec.kind is Kind.SEMESTER:
            kb.grid([kb.button(s, "sm", s) for s in semesters(ctx.clock.today())], 2)

    async def on_button(self, ctx: Context, st: DialogState, verb: str, arg: str) -> None:
        spec_of(form_of(st))  # the question asked (none: LookupError, the user goes home)
        try:
            await super().on_button(ctx, st, verb, arg)
        except FieldError as exc:
            st.error = plain(exc.message)
        except (ValueError, IndexError):
            ctx.say(text("unexpected_button"))

    @staticmethod
    def _spec(ctx: Context, st: DialogState, kind: Kind) -> FieldSpec | None:
        """The current question's field, if it is of ``kind`` (its widget's buttons)."""
        spec = spec_of(form_of(st))
        if spec.kind is not kind:
            ctx.say(text("unexpected_button"))
            return None
        return spec

    yes = _answers("y", Kind.YESNO, lambda spec, arg: spec.check(True))
    no = _answers("n", Kind.YESNO, lambda spec, arg: spec.check(False))
    choice = _answers("c", Kind.CHOICE, lambda spec, arg: spec.check(spec.choices[int(arg)].code))

    @button("t")
    async def tick(self, ctx: Context, st: DialogState, arg: str) -> None:
        if (spec := self._spec(ctx, st, Kind.MULTI_CHOICE)) is not None:
            code = spec.choices[int(arg)].code
            ticks: list[str] = form_of(st).partial.setdefault("ticks", [])
            if code in ticks:
                ticks.remove(code)
            else:
                ticks.append(code)

    @button("pg")
    async def turn_page(self, ctx: Context, st: DialogState, arg: str) -> None:
        form_of(st).page = max(0, int(arg))

    @button("ok")
    async def ticked(self, ctx: Context, st: DialogState, arg: str) -> None:
        if (spec := self._spec(ctx, st, Kind.MULTI_CHOICE)) is not None:
            ticks = form_of(st).partial.get("ticks", [])
            await _accept(ctx, st, spec.check(tuple(ticks)) if ticks or spec.required else None)

    @button("cal")
    async def month(self, ctx: Context, st: DialogState, arg: str) -> None:
        form_of(st).calendar = arg

    day = _answers("d", Kind.DATE, lambda spec, arg: spec.check(datetime.strptime(arg, "%Y%m%d").date()))
    semester = _answers("sm", Kind.SEMESTER, lambda spec, arg: spec.parse(arg))

    @button("sc")
    async def shortcut(self, ctx: Context, st: DialogState, arg: str) -> None:
        spec = spec_of(form_of(st))  # the known answer shown on that button (IndexError: none now)
        await _accept(ctx, st, spec.check((await known_answers(ctx, form_of(st), spec))[int(arg)][1]))

    @button("tpl")
    async def template(self, ctx: Context, st: DialogState, arg: str) -> None:
        open_template(st, form_of(st), ScreenName.QUESTION)  # shown on a part's first question only

    @button("keep")
    async def keep(self, ctx: Context, st: DialogState, arg: str) -> None:
        await _advance(ctx, st)

    @button("skip")
    async def skip(self, ctx: Context, st: DialogState, arg: str) -> None:
        await _skip(ctx, st, spec_of(form_of(st)))

    @button("skipopt")
    async def skip_optional(self, ctx: Context, st: DialogState, arg: str) -> None:
        if skip_optional_part(form_of(st), spec_of(form_of(st))):  # this question passed too
            await _advance(ctx, st)

    @button("back")
    async def back(self, ctx: Context, st: DialogState, arg: str) -> None:
        _back(st)

    @button("done")
    async def done(self, ctx: Context, st: DialogState, arg: str) -> None:
        if form_of(st).action().sessions:
            st.screen = ScreenName.RECAP

    async def on_text(self, ctx: Context, st: DialogState, value: str) -> None:
        form = form_of(st)
        spec = spec_of(form)
        try:
            if continue_template(st, form, value):  # the rest of a template cut by Telegram
                await _advance(ctx, st)
            elif substeps(spec):
                whole = _apply_substep(form, spec, value)
                if whole is not None:
                    await _accept(ctx, st, whole)
            elif (period := take_period(form, spec, value)) is None:
                await _accept(ctx, st, spec.parse(value))
            elif period.end_error is not None:  # the start kept, the end asked with its error
                st.error = plain(period.end_error)
            else:
                await _advance(ctx, st)
        except FieldError as exc:
            st.error = plain(exc.message)

    async def on_document(self, ctx: Context, st: DialogState, document: Document) -> None:
        form = form_of(st)
        spec = spec_of(form)
        if spec.kind is not Kind.DOCUMENT:
            st.error = text("document_not_expected")
            return
        try:
            if form.kind == "action" and form.action_view().id is not None:
                # Marked received since this edit began: refused too (``checked_justification``).
                checked_justification(await ctx.actions().get(form.action_view().id), document)
            await _accept(ctx, st, spec.check(document))
        except FieldError as exc:
            st.error = plain(exc.message)




async def _skip(ctx: Context, st: DialogState, spec: FieldSpec) -> None:
    form = form_of(st)
    steps = substeps(spec)
    if steps and steps[form.substep] in ("prenom", "telephone", "courriel"):
        whole = _apply_substep(form, spec, None)
        if whole is not None:
            await _accept(ctx, st, whole)
        return
    if spec.required:
        st.error = text("required", label=spec.label)
        return
    await _accept(ctx, st, spec.default)


def _returned(st: DialogState, form: FormState) -> bool:
    """A question opened from another screen (the récapitulatif…) goes back there: True if it did."""
    if not form.return_to:
        return False
    st.screen = form.return_to
    form.return_to = None
    return True


def _back(st: DialogState) -> None:
    form = form_of(st)
    if form.substep > 0:
        form.substep -= 1
        return
    if form.kind == "organisation" and leave_fiche_completion(st):
        return
    if _returned(st, form):
        return
    prev = previous_key(form)
    if prev is not None:
        enter(form, prev)
    elif form.section == Section.SESSION:
        st.screen = ScreenName.SESSIONS
    elif form.kind == "organisation":
        unpark(st)
        st.screen = ScreenName.FICHE
    else:
        st.notice = text("first_question")


def _action_of(form: FormState) -> Action | None:
    """The action a question is about (None on the fiche organisme)."""
    return form.action_view() if form.kind == "action" else None


async def _accept(ctx: Context, st: DialogState, value: Any) -> None:
    form = form_of(st)
    spec = spec_of(form)
    set_value(form, spec, spec.refuse_excluded(_action_of(form), value))
    await _advance(ctx, st)


async def _advance(ctx: Context, st: DialogState) -> None:
    """After an answer: the next question, or the end of the section and its checks."""
    form = form_of(st)
    if form.kind == "organisation":
        await save_fiche_answer(ctx, st)
        return
    if not end_comes_next(form) and _returned(st, form):
        return
    nxt = next_key(form)
    if nxt is not None:
        enter(form, nxt)
        st.error, form.queued_error = form.queued_error or st.error, None
        return
    if form.queue_then is not None:  # a template from the recap's part: back there
        st.screen, form.queue_then = form.queue_then, None
        return
    action = form.action()
    if form.section == Section.GENERAL:
        problems = general_blocks_sessions(action)
    else:
        problems = validate_session(action, form.session_index) + validate_region_dates(action)
    if problems:
        st.error = _problems_text(problems)
        goto_problem(form, problems[0])
        return
    st.screen = ScreenName.SESSIONS


def goto_problem(form: FormState, problem: Problem) -> None:
    """The cursor on ``problem``'s question (its section and session; the first one if none)."""
    if problem.session is not None:
        form.section = Section.SESSION
        form.session_index = problem.session - 1
    elif problem.key is not None and any(f.key == problem.key for f in _general_keys(form)):
        form.section = Section.GENERAL
    keys = [f.key for f in fields(form)]
    enter(form, problem.key if problem.key in keys else keys[0])


def _general_keys(form: FormState) -> tuple[FieldSpec, ...]:
    probe = FormState(kind="action", draft=form.draft, section=Section.GENERAL)
    return fields(probe)


def add_session(st: DialogState) -> None:
    """« ➕ Ajouter la session n° k », from the sessions screen or the récapitulatif: the domain's
    rule (``session_addition_problems``) says whether one may be added. Errors in the general data
    take the user to the first of them (said above the question); beyond the cap, the user stays
    where they are, told why."""
    form = form_of(st)
    action = form.action_view()
    problems = session_addition_problems(action)
    if not problems:
        start_session(st, len(action.sessions))
        return
    st.error = _problems_text(problems)
    if problems[0].section == Section.GENERAL:
        form.section = Section.GENERAL
        goto_problem(form, problems[0])
        st.screen = ScreenName.QUESTION


def start_session(st: DialogState, index: int) -> None:
    """Open session ``index`` (0-based) at its first question; one past the last is a new session
    (``add_session`` checks first that one may be added)."""
    form = form_of(st)
    action = form.action()
    form.section = Section.SESSION
    form.session_index = index
    if index >= len(action.sessions):
        action.sessions.append(Session())
        form.draft = action.model_dump(mode="json")
        form.dirty = True
    enter(form, fields(form)[0].key)
    st.screen = ScreenName.QUESTION


@screen(ScreenName.SESSIONS, shows_error=True, needs_form=True,
        targets=(ScreenName.QUESTION, ScreenName.RECAP, ScreenName.MENU, ScreenName.QUIT_ASK, ScreenName.MERGE,
                 ScreenName.VIEW, ScreenName.SESSION_TAKEN_OVER,
                 ScreenName.TEMPLATE))
class Sessions(FormScreen):
    """The session loop: « Ajouter la session n° k », the sessions so far, « Terminer votre saisie »."""

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        form = form_of(st)
        action = form.action()
        body = render(
            "sessions.j2",
            action=action,
            periods=[session_period(s) for s in action.sessions],
            error=st.error,
            notice=st.notice,
        )
        kb.add(label("add_session", number=len(action.sessions) + 1), "add")
        if action.sessions:
            kb.add(label("like_session", number=len(action.sessions)), "like")
        kb.add(label("template_sessions"), "add", "tpl")
        for i, s in enumerate(action.sessions):
            kb.add(label("edit_session", number=i + 1, period=session_period(s)), "edit", i)
        kb.add(label("general_data"), "general")
        if action.sessions:
            kb.add(label("finish"), "done")
        kb.row(kb.button(label("save"), "save"), kb.button(label("quit"), "quit"))
        return [Reply(body, kb.rows)]

    @button("add")
    async def add(self, ctx: Context, st: DialogState, arg: str) -> None:
        add_session(st)
        if arg == "tpl" and st.screen == ScreenName.QUESTION:  # « Saisir les sessions en un message »
            open_template(st, form_of(st), ScreenName.SESSIONS)

    @button("like")
    async def like(self, ctx: Context, st: DialogState, arg: str) -> None:
        await self.add(ctx, st, arg)  # the same checks; then only the dates are asked
        take_over_previous(st)

    @button("edit")
    async def edit(self, ctx: Context, st: DialogState, arg: str) -> None:
        if arg.isdigit() and int(arg) < len(form_of(st).action().sessions):
            start_session(st, int(arg))
        else:
            ctx.say(text("unexpected_button"))

    @button("general")
    async def general(self, ctx: Context, st: DialogState, arg: str) -> None:
        form = form_of(st)
        form.section = Section.GENERAL
        enter(form, fields(form)[0].key)
        st.screen = ScreenName.QUESTION

    @button("done")
    async def done(self, ctx: Context, st: DialogState, arg: str) -> None:
        if form_of(st).action().sessions:
            st.screen = ScreenName.RECAP
        else:
            ctx.say(text("unexpected_button"))


def ask_quit(st: DialogState) -> None:
    st.quit_from = st.screen
    st.screen = ScreenName.QUIT_ASK


@screen(ScreenName.QUIT_ASK,
        targets=(ScreenName.MENU, ScreenName.QUESTION, ScreenName.SESSIONS, ScreenName.RECAP, ScreenName.MERGE))
class QuitAsk(Screen):
    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        form = form_of(st)
        action = form.action()
        kb.add(label("quit_yes"), "yes").add(label("quit_no"), "no")
        return [Reply(render("quit_ask.j2", new=action.id is None, dirty=form.dirty), kb.rows)]

    @button("yes")
    async def quit(self, ctx: Context, st: DialogState, arg: str) -> None:
        st.form = None
        st.screen = ScreenName.MENU
        st.notice = text("quit_done")

    @button("no")
    async def stay(self, ctx: Context, st: DialogState, arg: str) -> None:
        st.screen = st.quit_from or ScreenName.QUESTION
        st.quit_from = None
