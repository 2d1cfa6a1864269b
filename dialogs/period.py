"""A session's dates in the form: both in one answer at « Date de début » (« du 15/03/2027 au
30/10/2027 »), the end asked after the start, the calendar's month and the semesters offered.

The answer is split by ``domain.parsing.dates.split_period``; each date then goes through its own
field's parser, and the rules on the session's dates (the end not before the start, the Région's
semester and 18 months) are checked for each at once: a refused start stores nothing and is asked
again; a refused end keeps the start, and the end is asked with its error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from dialogs.form import enter, set_value
from dialogs.state import FormState
from domain.catalogue import FieldSpec, Section, session_field
from domain.errors import FieldError
from domain.parsing.dates import split_period
from domain.rules import validate_region_dates, validate_session


@dataclass(frozen=True, slots=True)
class PeriodTaken:
    """Both dates were read; ``end_error``: the end was refused (the form now asks it)."""

    end_error: str | None = None


def take_period(form: FormState, spec: FieldSpec, raw: str) -> PeriodTaken | None:
    """Take « du … au … » typed at a session's start; None when ``raw`` is not a period (or the
    question is another one): the answer is then read as usual. Raises FieldError when the start
    is refused (nothing is stored)."""
    if form.kind != "action" or form.section != Section.SESSION or spec.key != "debut":
        return None
    parts = split_period(raw)
    if parts is None:
        return None
    before, dirty = form.draft, form.dirty
    set_value(form, spec, spec.parse(parts[0]))
    refused = _rule_broken(form, "debut")
    if refused is not None:
        form.draft, form.dirty = before, dirty
        raise FieldError(refused, key="debut")
    fin = session_field("fin")
    enter(form, fin.key)
    try:
        end = fin.parse(parts[1])
    except FieldError as exc:
        return PeriodTaken(exc.message)
    with_start = form.draft
    set_value(form, fin, end)
    refused = _rule_broken(form, fin.key)
    if refused is not None:
        form.draft = with_start
        return PeriodTaken(refused)
    return PeriodTaken()


def end_comes_next(form: FormState) -> bool:
    """A session's start answered while its end is still empty: the end is asked next, even on
    a walk that goes back somewhere after one answer (a session taken over from the previous one
    asks only its dates)."""
    if form.kind != "action" or form.section != Section.SESSION or form.key != "debut":
        return False
    sessions = form.action_view().sessions
    return form.session_index < len(sessions) and sessions[form.session_index].fin is None


def _rule_broken(form: FormState, key: str) -> str | None:
    """The first rule the session's date ``key`` breaks, now that it is in the working copy."""
    action = form.action_view()
    index = form.session_index
    problems = validate_session(action, index) + validate_region_dates(action)
    return next((p.message for p in problems if p.session == index + 1 and p.key == key), None)


def semesters(today: date) -> list[str]:
    """The four semesters offered as buttons, from today's."""
    first = 1 if today.month <= 6 else 2
    out, year, half = [], today.year, first
    for _ in range(4):
        out.append(f"S{half} {year}")
        half, year = (2, year) if half == 1 else (1, year + 1)
    return out


def month_of(value: str | None) -> date | None:
    """The month a calendar shows (« 2027-03 »), None when unreadable."""
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        return None


def default_month(form: FormState, today: date) -> date:
    """The calendar opens on a useful month: the session's start for its end, else today."""
    if form.section == Section.SESSION and form.key != "debut":
        action = form.action_view()
        if form.session_index < len(action.sessions):
            start = action.sessions[form.session_index].debut
            if start is not None:
                return start
    return today
