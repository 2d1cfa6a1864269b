"""« 📋 Tout saisir en un message »: the part's template sent, the filled one read back.

The template and its reading are the domain's (``domain.template_entry``): each line goes through
its field's parser. Here: what was accepted is stored in the working copy at once (like answers),
the fiche's onto the stored fiche; the user is told what was taken and what was not (refused,
empty, unknown lines, another part's labels, labels given twice); then every field missing or
refused is asked in turn, with its error (``FormState.queue``), and the part ends with its usual
checks.
"""

from __future__ import annotations

from dialogs.context import Context
from dialogs.form import fields, open_template
from dialogs.io import Reply
from dialogs.keyboards import Keyboard
from dialogs.recap import general_groups
from dialogs.render import label, render
from dialogs.router import Screen, button, screen
from dialogs.screens.common import form_of
from dialogs.screens.fiche import unpark, write_fiche_values
from dialogs.screens.form import _advance, _problems_text, goto_problem
from dialogs.state import DialogState, ScreenName
from dialogs.template_apply import (
    apply_general,
    apply_sessions,
    part_fields,
    queue_for,
    report,
    say,
)
from domain.catalogue import Section
from domain.rules import validate_region_dates, validate_session
from domain.template_entry import Reading, TemplateTooLong, build, build_blocks, read, read_blocks


def open_part_template(st: DialogState) -> None:
    """The template of the recap's part being corrected (a group of the general data, or a
    session); once read and its missing fields asked, back to the recap."""
    form = form_of(st)
    template_group = None
    if st.pick_kind == "session":
        form.section, form.session_index = Section.SESSION, st.pick_index
    else:
        groups = general_groups(form.action_view())
        form.section, template_group = (
            Section.GENERAL,
            groups[min(st.pick_index, len(groups) - 1)].title,
        )
    open_template(st, form, ScreenName.PICK_FIELD)
    form.template_group = template_group
    form.queue_then = ScreenName.RECAP


@screen(
    ScreenName.TEMPLATE,
    targets=(
        ScreenName.QUESTION,
        ScreenName.SESSIONS,
        ScreenName.FICHE,
        ScreenName.MENU,
        ScreenName.RECAP,
        ScreenName.PICK_FIELD,
    ),
    shows_error=True,
    needs_form=True,
)
class Template(Screen):
    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        form = form_of(st)
        if form.section == Section.SESSION:
            template = build_blocks(part_fields(form), first=form.session_index + 1)
        else:
            template = build(part_fields(form))
        kb.add(label("back"), "back")
        body = render(
            "template.j2",
            section=form.section,
            number=form.session_index + 1,
            error=st.error,
            lines=template,
        )
        return [Reply(body, kb.rows)]

    @button("back")
    async def back(self, ctx: Context, st: DialogState, arg: str) -> None:
        form = form_of(st)
        st.screen = form.template_from or ScreenName.QUESTION
        form.template_from = form.template_group = form.queue_then = None
        if form.kind == "organisation":
            unpark(st)
            st.screen = ScreenName.FICHE

    async def on_text(self, ctx: Context, st: DialogState, value: str) -> None:
        form = form_of(st)
        try:
            if form.section == Section.SESSION:
                readings = read_blocks(part_fields(form), value)
            else:
                readings = [read(part_fields(form), value)]
        except TemplateTooLong:
            st.error = say("too_long")
            return
        if not any(r.given for r in readings):  # nothing of this part: the template stays
            elsewhere = [spec for r in readings for spec in r.elsewhere]
            st.error = say("only_elsewhere", specs=elsewhere) if elsewhere else say("nothing_read")
            return
        if form.kind == "organisation":
            await _fiche(ctx, st, readings[0])
            return
        form.template_from = None
        st.screen = ScreenName.QUESTION  # the questions still to ask, or the part's end
        if form.section != Section.SESSION:
            st.notice = apply_general(form, readings[0])
            form.template_group = None
            await _advance(ctx, st)
            return
        st.notice, touched = apply_sessions(form, readings)
        if form.queue:
            await _advance(ctx, st)
            return
        form.queue = None
        problems = [p for i in touched for p in validate_session(form.action_view(), i)]
        problems += validate_region_dates(form.action_view())
        if problems:
            st.error = _problems_text(problems)
            goto_problem(form, problems[0])
            st.screen = ScreenName.QUESTION
        else:
            st.screen, form.queue_then = form.queue_then or ScreenName.SESSIONS, None


async def _fiche(ctx: Context, st: DialogState, reading: Reading) -> None:
    """The fiche's template: the accepted values written onto the fiche as stored now (the same
    checks of membership as one answer), then the missing or refused ones asked in turn."""
    form = form_of(st)
    organisation = form.organisation()
    for spec in fields(form):
        if spec.key in reading.values:
            organisation.set(spec.key, reading.values[spec.key])
    form.draft = organisation.model_dump(mode="json")
    form.queue_errors = {}
    queue = queue_for(form, reading, fields(form), "")
    st.notice = report(form, reading, [], len(queue))
    form.template_from = None
    await write_fiche_values(ctx, st, list(reading.values), queue)
