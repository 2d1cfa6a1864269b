"""The form: one question per field (from the catalogue), the session loop, « Quitter »."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from dialogs.context import Context
from dialogs.form import apply_substep as _apply_substep
from dialogs.form import (
    checked_justification,
    copies_from_organisation,
    current_value,
    enter,
    fields,
    next_key,
    position,
    previous_key,
    resolve_shortcut,
    session_period,
    set_value,
    spec_of,
    substeps,
)
from dialogs.io import Reply
from dialogs.keyboards import Keyboard, page_slice, pages
from dialogs.render import label, plain, render, text
from dialogs.router import Screen, screen
from dialogs.screens.common import form_of, save_and_leave
from dialogs.screens.fiche import leave_fiche_completion, save_fiche_answer, unpark
from dialogs.state import DialogState, FormState
from domain.catalogue import FieldSpec, Kind, Section
from domain.errors import FieldError, Problem
from domain.models import Document, Session
from domain.rules import (
    general_blocks_sessions,
    session_limit,
    validate_region_dates,
    validate_session,
)


def _semesters(today: date) -> list[str]:
    first = 1 if today.month <= 6 else 2
    out, year, half = [], today.year, first
    for _ in range(4):
        out.append(f"S{half} {year}")
        half, year = (2, year) if half == 1 else (1, year + 1)
    return out


def _problems_text(problems: list[Problem]) -> str:
    return text("problems", problems=[p.message for p in problems])


@screen
class Question(Screen):
    name = "question"
    targets = ("question", "sessions", "recap", "menu", "quit_ask", "fiche", "confirm_ask", "merge", "view")
    help_topic = "question"

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
        )
        st.error = None
        self._widget(ctx, form, spec, value, kb)
        if value is not None and form.substep == 0:
            kb.add(label("keep", value=spec.format(value)), "keep")
        # The organisation is read only for a question offering to copy from it.
        wants_org = any(copies_from_organisation(sc.source) for sc in spec.shortcuts)
        org = await ctx.organisation() if wants_org and ctx.organisation_id is not None else None
        for i, sc in enumerate(spec.shortcuts):
            if form.substep == 0 and (sc.value is not None or resolve_shortcut(sc.source or "", action, org)):
                kb.add(sc.label, "sc", i)
        nav = [kb.button(label("back"), "back")]
        optional_step = bool(steps) and steps[form.substep] in ("prenom", "telephone", "courriel")
        if not spec.required or optional_step:
            nav.append(kb.button(label("skip"), "skip"))
        kb.row(*nav)
        if form.kind == "action":
            kb.row(kb.button(label("save"), "save"), kb.button(label("quit"), "quit"))
            if action is not None and action.sessions:
                kb.add(label("finish"), "done")
        return [Reply(body, kb.rows)]

    def _widget(self, ctx: Context, form: FormState, spec: FieldSpec, value: Any, kb: Keyboard) -> None:
        if spec.kind is Kind.YESNO:
            kb.row(kb.button(label("yes"), "y"), kb.button(label("no"), "n"))
        elif spec.kind is Kind.CHOICE:
            for i, c in enumerate(spec.choices):
                kb.add(c.label, "c", i)
        elif spec.kind is Kind.MULTI_CHOICE:
            ticks = set(form.partial.get("ticks", []))
            for i in page_slice(spec.choices, form.page):
                c = spec.choices[i]
                kb.add(label("ticked" if c.code in ticks else "unticked", label=c.label), "t", i)
            kb.pager(form.page, pages(spec.choices))
            kb.add(label("validate", count=len(ticks)), "ok")
        elif spec.kind is Kind.DATE:
            month = _month_of(form.calendar) or (value if isinstance(value, date) else None)
            month = month or _default_month(form, ctx.clock.today())
            kb.calendar(month.replace(day=1), picked=value if isinstance(value, date) else None)
        elif spec.kind is Kind.SEMESTER:
            kb.grid([kb.button(s, "sm", s) for s in _semesters(ctx.clock.today())], 2)

    async def on_button(self, ctx: Context, st: DialogState, verb: str, arg: str) -> None:
        form = form_of(st)
        spec = spec_of(form)
        try:
            if verb in ("y", "n") and spec.kind is Kind.YESNO:
                await _accept(ctx, st, spec.check(verb == "y"))
            elif verb == "c" and spec.kind is Kind.CHOICE:
                await _accept(ctx, st, spec.check(spec.choices[int(arg)].code))
            elif verb == "t" and spec.kind is Kind.MULTI_CHOICE:
                code = spec.choices[int(arg)].code
                ticks: list[str] = form.partial.setdefault("ticks", [])
                if code in ticks:
                    ticks.remove(code)
                else:
                    ticks.append(code)
            elif verb == "pg":
                form.page = max(0, int(arg))
            elif verb == "ok" and spec.kind is Kind.MULTI_CHOICE:
                ticks = form.partial.get("ticks", [])
                await _accept(ctx, st, spec.check(tuple(ticks)) if ticks or spec.required else None)
            elif verb == "cal":
                form.calendar = arg
            elif verb == "d" and spec.kind is Kind.DATE:
                await _accept(ctx, st, spec.check(datetime.strptime(arg, "%Y%m%d").date()))
            elif verb == "sm" and spec.kind is Kind.SEMESTER:
                await _accept(ctx, st, spec.parse(arg))
            elif verb == "sc":
                await _shortcut(ctx, st, spec, int(arg))
            elif verb == "keep":
                await _advance(ctx, st)
            elif verb == "skip":
                await _skip(ctx, st, spec)
            elif verb == "back":
                _back(st)
            elif verb == "save":
                await save_and_leave(ctx, st)
            elif verb == "quit":
                ask_quit(st)
            elif verb == "done":
                st.screen = "recap" if form.action().sessions else st.screen
            else:
                ctx.say(text("unexpected_button"))
        except FieldError as exc:
            st.error = plain(exc.message)
        except (ValueError, IndexError):
            ctx.say(text("unexpected_button"))

    async def on_text(self, ctx: Context, st: DialogState, value: str) -> None:
        form = form_of(st)
        spec = spec_of(form)
        try:
            if substeps(spec):
                whole = _apply_substep(form, spec, value)
                if whole is not None:
                    await _accept(ctx, st, whole)
            else:
                await _accept(ctx, st, spec.parse(value))
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



def _month_of(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        return None


def _default_month(form: FormState, today: date) -> date:
    """The calendar opens on a useful month: the session's start for its end, else today."""
    if form.section == Section.SESSION and form.key != "debut":
        action = form.action_view()
        if form.session_index < len(action.sessions):
            start = action.sessions[form.session_index].debut
            if start is not None:
                return start
    return today


async def _shortcut(ctx: Context, st: DialogState, spec: FieldSpec, index: int) -> None:
    form = form_of(st)
    sc = spec.shortcuts[index]
    value = sc.value
    if sc.source:
        org = await ctx.organisation() if ctx.organisation_id is not None else None
        value = resolve_shortcut(sc.source, form.action() if form.kind == "action" else None, org)
    if value is None:
        st.error = text("shortcut_empty", label=sc.label)
        return
    await _accept(ctx, st, spec.check(value))


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


def _back(st: DialogState) -> None:
    form = form_of(st)
    if form.substep > 0:
        form.substep -= 1
        return
    if form.kind == "organisation" and leave_fiche_completion(st):
        return
    if form.return_to:
        st.screen = form.return_to
        form.return_to = None
        return
    prev = previous_key(form)
    if prev is not None:
        enter(form, prev)
    elif form.section == Section.SESSION:
        st.screen = "sessions"
    elif form.kind == "organisation":
        unpark(st)
        st.screen = "fiche"
    else:
        st.notice = text("first_question")


async def _accept(ctx: Context, st: DialogState, value: Any) -> None:
    form = form_of(st)
    set_value(form, spec_of(form), value)
    await _advance(ctx, st)


async def _advance(ctx: Context, st: DialogState) -> None:
    """After an answer: the next question, or the end of the section and its checks."""
    form = form_of(st)
    if form.kind == "organisation":
        await save_fiche_answer(ctx, st)
        return
    if form.return_to:
        st.screen = form.return_to
        form.return_to = None
        return
    nxt = next_key(form)
    if nxt is not None:
        enter(form, nxt)
        return
    action = form.action()
    if form.section == Section.GENERAL:
        problems = general_blocks_sessions(action)
    else:
        problems = validate_session(action, form.session_index) + validate_region_dates(action)
    if problems:
        st.error = _problems_text(problems)
        _goto_problem(form, problems[0])
        return
    st.screen = "sessions"


def _goto_problem(form: FormState, problem: Problem) -> None:
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


def start_session(st: DialogState, index: int) -> None:
    form = form_of(st)
    action = form.action()
    if index >= len(action.sessions) and (too_many := session_limit(action)) is not None:
        st.error = plain(too_many.message)  # every path adding a session comes here
        return
    form.section = Section.SESSION
    form.session_index = index
    if index >= len(action.sessions):
        action.sessions.append(Session())
        form.draft = action.model_dump(mode="json")
        form.dirty = True
    enter(form, fields(form)[0].key)
    st.screen = "question"


@screen
class Sessions(Screen):
    """The session loop: « Ajouter la session n° k », the sessions so far, « Terminer votre saisie »."""

    name = "sessions"
    targets = ("question", "recap", "menu", "quit_ask", "merge", "view")
    help_topic = "sessions"

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
        st.error = None
        kb.add(label("add_session", number=len(action.sessions) + 1), "add")
        for i, s in enumerate(action.sessions):
            kb.add(label("edit_session", number=i + 1, period=session_period(s)), "edit", i)
        kb.add(label("general_data"), "general")
        if action.sessions:
            kb.add(label("finish"), "done")
        kb.row(kb.button(label("save"), "save"), kb.button(label("quit"), "quit"))
        return [Reply(body, kb.rows)]

    async def on_button(self, ctx: Context, st: DialogState, verb: str, arg: str) -> None:
        form = form_of(st)
        action = form.action()
        if verb == "add":
            problems = general_blocks_sessions(action)
            if problems:
                st.error = _problems_text(problems)
                form.section = Section.GENERAL
                _goto_problem(form, problems[0])
                st.screen = "question"
                return
            start_session(st, len(action.sessions))
        elif verb == "edit" and arg.isdigit() and int(arg) < len(action.sessions):
            start_session(st, int(arg))
        elif verb == "general":
            form.section = Section.GENERAL
            enter(form, fields(form)[0].key)
            st.screen = "question"
        elif verb == "done" and action.sessions:
            st.screen = "recap"
        elif verb == "save":
            await save_and_leave(ctx, st)
        elif verb == "quit":
            ask_quit(st)
        else:
            ctx.say(text("unexpected_button"))


def ask_quit(st: DialogState) -> None:
    st.extra["quit_from"] = st.screen
    st.screen = "quit_ask"


@screen
class QuitAsk(Screen):
    name = "quit_ask"
    targets = ("menu", "question", "sessions", "recap")
    help_topic = "quit"

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        form = form_of(st)
        action = form.action()
        kb.add(label("quit_yes"), "yes").add(label("quit_no"), "no")
        return [Reply(render("quit_ask.j2", new=action.id is None, dirty=form.dirty), kb.rows)]

    async def on_button(self, ctx: Context, st: DialogState, verb: str, arg: str) -> None:
        if verb == "yes":
            st.form = None
            st.screen = "menu"
            st.notice = text("quit_done")
        else:
            st.screen = st.extra.pop("quit_from", "question")
