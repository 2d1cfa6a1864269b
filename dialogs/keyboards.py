"""Keyboards built from data: choices, paged multi-select with ticks, the calendar, navigation.

A button's payload is ``<seq>:<verb>[:<arg>]``: ``seq`` is the number of the screen that showed it,
so a button of an older screen is recognised (``dialogs.router``). Payloads stay within Telegram's
64 bytes (``tests`` check every button the dialogs can produce).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Container, Iterable, Sequence
from datetime import date, timedelta

from babel.dates import format_date

from dialogs.io import Button
from dialogs.render import label
from domain.text import FRENCH

MAX_PAYLOAD = 64
CHOICE_PAGE = 8  # the choices of a multiple-choice question shown at once
LIST_PAGE = 5  # the actions of a list shown at once (every list: ``dialogs.screens.paged``)
LABEL_MAX = 60


def payload(seq: int, verb: str, arg: str | int | None = None) -> str:
    data = f"{seq}:{verb}" if arg is None else f"{seq}:{verb}:{arg}"
    if len(data.encode()) > MAX_PAYLOAD:
        raise ValueError(f"payload over {MAX_PAYLOAD} bytes: {data!r}")
    return data


# What a payload may hold, checked before anything reads it: ASCII only (« ² ».isdigit() is True
# in Python, and int() reads « ١٢ » as 12), and short.
_VERB = re.compile(r"[a-z_]{1,16}")
_ARG = re.compile(r"[\x20-\x7e]{0,60}")
MAX_ID = 2**31 - 1  # an id or an index: within a database integer


def is_number(value: str) -> bool:
    """Whether ``value`` is a number a button may carry: ASCII digits only, at most ``MAX_ID``."""
    return 0 < len(value) <= 10 and value.isascii() and value.isdigit() and int(value) <= MAX_ID


def parse_payload(data: str) -> tuple[int | None, str, str]:
    """``(seq, verb, arg)``; seq is None for a global button (``g:``), -1 for a malformed one."""
    head, _, rest = data.partition(":")
    verb, _, arg = rest.partition(":")
    if _VERB.fullmatch(verb) is None or _ARG.fullmatch(arg) is None:
        return -1, "", ""
    if head == "g":
        return None, verb, arg
    if not is_number(head):
        return -1, "", ""
    return int(head), verb, arg


def short(text: str, limit: int = LABEL_MAX) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Keyboard:
    """Rows of buttons for one screen number."""

    def __init__(self, seq: int) -> None:
        self.seq = seq
        self.rows: list[list[Button]] = []
        self.issued: list[str] = []  # "verb" or "verb:arg" of every button made for this screen

    def button(self, text: str, verb: str, arg: str | int | None = None) -> Button:
        data = payload(self.seq, verb, arg)
        self.issued.append(data.partition(":")[2])
        return Button(short(text), data)

    def row(self, *buttons: Button) -> Keyboard:
        if buttons:
            self.rows.append(list(buttons))
        return self

    def add(self, text: str, verb: str, arg: str | int | None = None) -> Keyboard:
        return self.row(self.button(text, verb, arg))

    def offer(
        self, allowed: Container[object], buttons: Iterable[tuple[object, str, str]]
    ) -> Keyboard:
        """A row for each ``(operation, label, verb)`` of ``buttons`` whose operation is in
        ``allowed`` (what an action's status allows now), in their order."""
        for operation, text, verb in buttons:
            if operation in allowed:
                self.add(text, verb)
        return self

    def grid(self, buttons: Sequence[Button], width: int) -> Keyboard:
        for i in range(0, len(buttons), width):
            self.row(*buttons[i : i + width])
        return self

    def pager(self, page: int, total_pages: int, verb: str = "pg") -> Keyboard:
        if total_pages <= 1:
            return self
        nav: list[Button] = []
        if page > 0:
            nav.append(self.button(label("prev_page"), verb, page - 1))
        nav.append(self.button(label("page", number=page + 1, total=total_pages), "noop"))
        if page + 1 < total_pages:
            nav.append(self.button(label("next_page"), verb, page + 1))
        return self.row(*nav)

    def calendar(self, month: date, *, picked: date | None = None) -> Keyboard:
        """A month grid: title with ‹ › to move, then the days, Monday first."""
        prev_month = (month.replace(day=1) - timedelta(days=1)).replace(day=1)
        next_month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        self.row(
            self.button(label("calendar_prev"), "cal", prev_month.strftime("%Y-%m")),
            self.button(label("calendar_title", month=_month_title(month)), "noop"),
            self.button(label("calendar_next"), "cal", next_month.strftime("%Y-%m")),
        )
        for week in calendar.Calendar(firstweekday=0).monthdayscalendar(month.year, month.month):
            row: list[Button] = []
            for day in week:
                if day == 0:
                    row.append(self.button("·", "noop"))
                else:
                    d = month.replace(day=day)
                    text = f"[{day}]" if picked == d else str(day)
                    row.append(self.button(text, "d", d.strftime("%Y%m%d")))
            self.row(*row)
        return self


def pages(items: Sequence[object], page_size: int = CHOICE_PAGE) -> int:
    return max(1, -(-len(items) // page_size))


def page_slice(items: Sequence[object], page: int, page_size: int = CHOICE_PAGE) -> range:
    start = max(0, min(page, pages(items, page_size) - 1)) * page_size
    return range(start, min(len(items), start + page_size))


def _month_title(month: date) -> str:
    return format_date(month, "LLLL yyyy", locale=FRENCH).capitalize()


def flatten(rows: Iterable[Iterable[Button]]) -> list[Button]:
    return [b for row in rows for b in row]
