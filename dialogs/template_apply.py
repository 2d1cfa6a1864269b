"""« Tout saisir en un message », what a read template does to the working copy.

The template's reading is the domain's (``domain.template_entry``: each line through its field's
parser). Here: the accepted values go into the working copy (like answers; an empty line gives the
field's default, as « Passer » does), the values of fields that do not apply are dropped, the
fields still to ask (refused, given twice, or required and empty) are queued with their error
(``FormState.queue``), and the report says it all. No screen here: the template screen and the
question screen (a template Telegram cut into several messages) both use it.
"""

from __future__ import annotations

from typing import Any

from dialogs.form import fields, optional, set_value
from dialogs.render import macro_html
from dialogs.state import DialogState, FormState
from domain.catalogue import ACTION_FIELDS, FieldSpec, Section
from domain.errors import FieldError
from domain.models import Session
from domain.rules import session_limit
from domain.template_entry import Reading, TemplateTooLong, read, read_blocks


def part_fields(form: FormState) -> tuple[FieldSpec, ...]:
    """The fields of the template: the part's, its conditional ones included (« Certification(s)
    visée(s) » is asked when « Formation certifiante ? » is oui: both may come in one message)."""
    if form.section != Section.GENERAL:
        return fields(form)
    funder = form.action_view().funder
    return tuple(
        f
        for f in ACTION_FIELDS
        if (f.funders is None or funder in f.funders) and form.template_group in (None, f.group)
    )


def say(name: str, /, **context: Any) -> str:
    return str(macro_html("template_texts.j2", name, **context))


def queue_for(
    form: FormState, reading: Reading, specs: tuple[FieldSpec, ...], suffix: str
) -> list[str]:
    """The fields of ``specs`` still to ask after ``reading``: refused, given twice, or required and
    still empty; each one's error kept for when it is asked."""
    queue = []
    for spec in specs:
        entry = spec.key + suffix
        if spec.key in reading.refused:
            form.queue_errors[entry] = reading.refused[spec.key]
        elif spec.key in reading.duplicates:
            form.queue_errors[entry] = say("duplicate_error", label=spec.label)
        elif optional(spec) or value_of(form, spec) is not None:
            continue
        queue.append(entry)
    return queue


def value_of(form: FormState, spec: FieldSpec) -> Any:
    view = form.action_view() if form.kind == "action" else form.organisation()
    if form.section == Section.SESSION:
        sessions = form.action_view().sessions
        return (
            sessions[form.session_index].get(spec.key)
            if form.session_index < len(sessions)
            else None
        )
    return view.get(spec.key)


def store(form: FormState, reading: Reading) -> list[str]:
    """Put the accepted values into the working copy (an empty line: the field's default, as
    « Passer » does); returns the labels of values dropped because their field does not apply."""
    specs = part_fields(form)
    for spec in specs:
        if spec.key in reading.values:
            try:
                set_value(form, spec, reading.values[spec.key])
            except FieldError as error:
                reading.refused[spec.key] = error.message
        elif (
            spec.key in reading.empty and spec.default is not None and value_of(form, spec) is None
        ):
            set_value(form, spec, spec.default)
    applying = {f.key for f in fields(form)}
    dropped = []
    for spec in specs:
        if spec.key in reading.values and spec.key not in applying:
            set_value(form, spec, None)
            dropped.append(spec.label)
    return dropped


def report(
    form: FormState, reading: Reading, dropped: list[str], asked: int, session: int | None = None
) -> str:
    labels = {f.key: f.label for f in part_fields(form)}
    return say(
        "report", reading=reading, labels=labels, dropped=dropped, asked=asked, session=session
    )


def apply_general(form: FormState, reading: Reading) -> str:
    dropped = store(form, reading)
    form.queue_errors = {}
    part = set(part_fields(form))
    form.queue = queue_for(form, reading, tuple(f for f in fields(form) if f in part), "")
    return report(form, reading, dropped, len(form.queue))


def apply_sessions(form: FormState, readings: list[Reading]) -> tuple[str, list[int]]:
    """Session blocks: « Session n° k » fills session k (the next one, or one that exists)."""
    form.queue_errors = {}
    queue: list[str] = []
    reports = []
    touched: list[int] = []
    index = form.session_index  # the session the template was asked for
    for reading in readings:
        sessions = len(form.action_view().sessions)
        wanted = (reading.number or 0) - 1
        index = wanted if 0 <= wanted <= sessions else min(index, sessions)
        if index == sessions and (too_many := session_limit(form.action_view())) is not None:
            reports.append(say("session_refused", message=too_many.message))
            break
        form.section, form.session_index = Section.SESSION, index
        if index == sessions:
            action = form.action()
            action.sessions.append(Session())
            form.draft = action.model_dump(mode="json")
        dropped = store(form, reading)
        block = queue_for(form, reading, fields(form), f"@{index}")
        queue += block
        touched.append(index)
        index += 1
        reports.append(report(form, reading, dropped, len(block), session=index + 1))
    form.queue = queue
    form.dirty = True
    return "\n\n".join(reports), touched


def continue_template(st: DialogState, form: FormState, text: str) -> bool:
    """The rest of a template Telegram cut into several messages (over 4 096 characters), sent
    while the fields still to ask are asked: read and stored as the template was, the fields still
    to ask worked out again, the report as the notice. False: not a template's lines, an answer."""
    if form.kind != "action" or form.queue is None or form.key is None:
        return False
    specs = part_fields(form)
    try:
        readings = (
            read_blocks(specs, text) if form.section == Section.SESSION else [read(specs, text)]
        )
    except TemplateTooLong:
        return False
    if not any(reading.given for reading in readings):
        return False
    earlier = dict(form.queue_errors)  # refused before, not given again: still asked, same error
    if form.section == Section.SESSION:
        st.notice = apply_sessions(form, readings)[0]
    else:
        st.notice = apply_general(form, readings[0])
    for entry, error in earlier.items():
        if entry not in form.queue and not any(
            entry.partition("@")[0] in r.given for r in readings
        ):
            form.queue.append(entry)
            form.queue_errors[entry] = error
    return True
