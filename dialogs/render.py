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

from domain.archiving import last_public_day
from domain.text import FRENCH

TELEGRAM_LIMIT = 4096


def _fr_date(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "—"


def _fr_number(value: int | Decimal | None) -> str:
    return format_decimal(value, locale=FRENCH) if value is not None else "—"


def _capitalize_first(value: str) -> str:
    """The first letter capitalised, the rest as it is (jinja's ``capitalize`` lowers it)."""
    return value[:1].upper() + value[1:]


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
    env.filters["last_public_day"] = last_public_day
    env.filters["capitalize_first"] = _capitalize_first
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


# The atoms a message is never cut inside: a tag; an HTML entity as Telegram reads it (``;`` is
# optional: ``&lt`` is « < » too, so a cut after ``&lt`` of ``&lte`` would change the text; a name
# of five letters or a number of eight digits is never an entity, so a cut after them is safe); a
# character.
_ATOM = re.compile(r"<[^>]*>?|&(?:#[xX][0-9A-Fa-f]{0,8}|#[0-9]{0,8}|[A-Za-z]{0,5});?|[^<&]", re.DOTALL)
_TAG_NAME = re.compile(r"</?\s*([^\s>/]*)")


def split_message(text_: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split a long HTML message into parts of at most ``limit`` characters, each well formed.

    A part ends after a line break when it can (else after a space, else anywhere between two
    characters), never inside a tag or an entity. An element open at a cut is closed at the end of
    the part and opened again, with the same tag, at the start of the next one: Telegram accepts
    each part, and the text read across the parts is the text of the whole message. A part made
    of white space only (Telegram refuses an empty message) is left out.
    """
    if len(text_) <= limit:
        return [text_]
    # Each boundary between atoms: its offset in the text, the elements open there (the opening tag
    # as written, the name) and the length of their opening and closing tags, and what the atom
    # before it is ("\n", " " or "").
    offsets: list[int] = [0]
    stacks: list[tuple[tuple[str, str], ...]] = [()]
    open_len: list[int] = [0]
    close_len: list[int] = [0]
    kinds: list[str] = [""]
    stack: tuple[tuple[str, str], ...] = ()
    opened = closed = 0
    for match in _ATOM.finditer(text_):
        atom = match.group()
        if atom.startswith("<") and len(atom) > 1:
            if atom.startswith("</"):
                if stack:
                    stack = stack[:-1]
            elif atom.endswith(">"):
                name = _TAG_NAME.match(atom)
                stack = (*stack, (atom, name.group(1).lower() if name else ""))
            opened = sum(len(tag) for tag, _ in stack)
            closed = sum(len(name) + 3 for _, name in stack)
        offsets.append(match.end())
        stacks.append(stack)
        open_len.append(opened)
        close_len.append(closed)
        kinds.append(atom if atom in ("\n", " ") else "")

    def fits(start: int, boundary: int) -> bool:  # reopened tags, text, closed tags
        return open_len[start] + offsets[boundary] - offsets[start] + close_len[boundary] <= limit

    parts: list[str] = []
    start, last = 0, len(offsets) - 1
    while start < last:
        # The furthest boundary whose part fits the limit (one atom at least).
        end = start + 1
        while end < last and fits(start, end + 1):
            end += 1
        if end < last:
            for wanted in ("\n", " "):
                cut = next((b for b in range(end, start, -1) if kinds[b] == wanted and fits(start, b)), None)
                if cut is not None:
                    end = cut
                    break
        head = "".join(tag for tag, _ in stacks[start])
        tail = "".join(f"</{name}>" for _, name in reversed(stacks[end]))
        part = head + text_[offsets[start] : offsets[end]] + tail
        if html_to_text(part).strip():
            parts.append(part)
        start = end
    return parts


def html_to_text(value: str) -> str:
    """The plain text of a message, for the console."""
    return html.unescape(re.sub(r"<[^>]+>", "", value))
