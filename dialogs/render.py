"""Rendering with jinja2: every word the user reads comes from ``dialogs/templates``.

Messages are HTML (Telegram's subset) with autoescape on, so a value a user typed can never inject
markup. Button labels are plain text (Telegram shows them as is): they come from the ``label``
macros of ``buttons.j2`` rendered without escaping.
"""

from __future__ import annotations

import html
import re
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from domain.text import FRENCH

TELEGRAM_LIMIT = 4096


def _fr_date(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "—"


def _fr_number(value: int | Decimal | None) -> str:
    return format_decimal(value, locale=FRENCH) if value is not None else "—"


def _month(value: date) -> str:
    return format_date(value, "LLLL yyyy", locale=FRENCH)


def _make_env(autoescape: bool) -> Environment:
    env = Environment(
        loader=PackageLoader("dialogs", "templates"),
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,  # package data: no file check at every render
    )
    env.filters["frdate"] = _fr_date
    env.filters["frnum"] = _fr_number
    env.filters["month"] = _month
    return env


@cache
def html_env() -> Environment:
    return _make_env(True)


@cache
def text_env() -> Environment:
    return _make_env(False)


def render(template: str, **context: Any) -> str:
    """Render a message template (HTML, escaped) and tidy blank lines."""
    out = html_env().get_template(template).render(**context)
    return re.sub(r"\n{3,}", "\n\n", out).strip()


@cache
def macros(template: str, *, html: bool) -> Any:
    """The macros of a template, built once (making a module renders the whole template)."""
    env = html_env() if html else text_env()
    return env.get_template(template).make_module()


def macro_text(template: str, name: str, /, **context: Any) -> str:
    """The macro ``name`` of ``template`` as plain text (nothing escaped), trimmed."""
    return str(getattr(macros(template, html=False), name)(**context)).strip()


def macro_html(template: str, name: str, /, **context: Any) -> Markup:
    """The macro ``name`` of ``template`` as HTML (what it inserts escaped), trimmed."""
    return Markup(str(getattr(macros(template, html=True), name)(**context)).strip())


def label(name: str, **context: Any) -> str:
    """A button label: the macro ``name`` of ``buttons.j2``, plain text."""
    return macro_text("buttons.j2", name, **context)


def text(name: str, **context: Any) -> str:
    """A short message: the macro ``name`` of ``texts.j2``, HTML."""
    return macro_html("texts.j2", name, **context)


def plain(message: str) -> str:
    """A plain-text message (a domain error, which may quote what the user typed) made safe HTML."""
    return str(escape(message))


def split_message(text_: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split a long message on line boundaries so each part fits Telegram's limit."""
    if len(text_) <= limit:
        return [text_]
    parts: list[str] = []
    current = ""
    for line in text_.split("\n"):
        while len(line) > limit:  # a single huge line: cut outside tags and entities
            cut = _safe_cut(line, limit)
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:cut])
            line = line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return [p for p in parts if p.strip()]


def _safe_cut(line: str, limit: int) -> int:
    cut = limit
    lt, gt = line.rfind("<", 0, cut), line.rfind(">", 0, cut)
    if lt > gt:
        cut = lt
    amp = line.rfind("&", 0, cut)
    if amp != -1 and ";" not in line[amp:cut]:
        cut = amp
    return max(cut, 1)


def html_to_text(value: str) -> str:
    """The plain text of a message, for the console."""
    return html.unescape(re.sub(r"<[^>]+>", "", value))
