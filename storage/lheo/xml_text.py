"""The text building blocks of an LHEO element written as text: escaping (a character XML forbids
raises ``BadValue``, naming the element) and the leaf, opening and closing tags."""

from __future__ import annotations

import re
from decimal import Decimal


class BadValue(Exception):
    """A value XML cannot carry (a control character)."""

    def __init__(self, element: str, error: str) -> None:
        super().__init__(f"{element}: {error}")
        self.element = element
        self.error = error


_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_TEXT_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;"))
_ATTR_ESCAPES = (*_TEXT_ESCAPES, ('"', "&quot;"), ("\n", "&#10;"), ("\t", "&#9;"))

Out = list[str]


def _replace(text: str, escapes: tuple[tuple[str, str], ...]) -> str:
    for char, entity in escapes:  # str.replace and ``in`` run in C: cheaper than translate
        if char in text:
            text = text.replace(char, entity)
    return text


_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _escape(name: str, text: str) -> str:
    if _SPECIAL.search(text) is None:  # the usual case, one C call
        return text
    if _ILLEGAL.search(text):
        raise BadValue(name, "caractère interdit en XML (caractère de contrôle)")
    return _replace(text, _TEXT_ESCAPES)


_ATTR_SPECIAL = re.compile('[&<>"\r\n\t\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')


def _attrs(name: str, attributes: dict[str, str | None]) -> str:
    parts = []
    for key, value in attributes.items():
        if value is None:
            continue
        if _ATTR_SPECIAL.search(value) is not None:
            if _ILLEGAL.search(value):
                raise BadValue(f"{name}/@{key}", "caractère interdit en XML")
            value = _replace(value, _ATTR_ESCAPES)
        parts.append(f' {key}="{value}"')
    return "".join(parts)


def text_of(value: object) -> str:
    if type(value) is str:
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return format(value, "f")
    return value if isinstance(value, str) else str(value)


def leaf(out: Out, name: str, value: object, **attributes: str | None) -> None:
    """``<name>value</name>`` when there is a value (booleans as 0/1, decimals with a point)."""
    if value is None or value == "":
        return
    text = _escape(name, text_of(value))
    if attributes:
        out.append(f"<{name}{_attrs(name, attributes)}>{text}</{name}>")
    else:
        out.append(f"<{name}>{text}</{name}>")


def open_tag(out: Out, name: str, **attributes: str | None) -> None:
    out.append(f"<{name}{_attrs(name, attributes)}>" if attributes else f"<{name}>")


def close_tag(out: Out, name: str) -> None:
    out.append(f"</{name}>")
