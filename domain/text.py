"""Small text helpers shared by the parsers: folding for matching, French numbers, quoting.

Pure functions, no I/O. ``fold`` is what two French words are compared with (case, accents,
apostrophes and dashes ignored); ``number`` writes an integer the French way (« 3 120 »).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from decimal import Decimal

from babel import Locale
from babel.numbers import format_currency, format_decimal

# Parsed once: naming the locale by its string makes babel look for its data file at every call.
FRENCH = Locale.parse("fr_FR")

_FOLD_TABLE = str.maketrans(
    {
        "’": "'",
        "‘": "'",
        "ʼ": "'",
        "`": "'",
        "´": "'",
        "–": "-",
        "—": "-",
        "‑": "-",
        "‐": "-",
        "œ": "oe",
        "æ": "ae",
    }
)
_SPACES = re.compile(r"\s+")


def strip_accents(text: str) -> str:
    """« Février » → « Fevrier »: canonical decomposition minus the combining marks."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@functools.lru_cache(maxsize=16_384)
def fold(text: str) -> str:
    """The form two answers are compared in: no case, no accents, one space, plain quotes.
    Cached: a choice's code and labels are folded again at every answer compared with them."""
    return _SPACES.sub(" ", strip_accents(text.casefold()).translate(_FOLD_TABLE)).strip()


def number(value: int | Decimal) -> str:
    """An integer the French way: « 3 120 » (narrow no-break space)."""
    return format_decimal(value, locale=FRENCH)


def euros(value: Decimal) -> str:
    """An amount the French way: « 4 500,50 € »."""
    return format_currency(value, "EUR", locale=FRENCH)


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """« 1 caractère », « 3 120 caractères » (French: 0 and 1 take the singular)."""
    word = singular if abs(count) < 2 else (plural_form or singular + "s")
    return f"{number(count)} {word}"


def quote(text: str, limit: int = 40) -> str:
    """The user's answer, shortened to echo it in a message."""
    text = _SPACES.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def bad_character(text: str) -> str | None:
    """The first character that may not be stored (control, surrogate, non-character), if any.

    Newline and tab are allowed; every other character must be one XML 1.0 accepts, since the
    value ends up in the LHEO export.
    """
    for char in text:
        code = ord(char)
        if char in "\n\t":
            continue
        if (
            code < 0x20
            or 0x7F <= code <= 0x9F
            or 0xD800 <= code <= 0xDFFF
            or code in (0xFFFE, 0xFFFF)
        ):
            return char
    return None


# Unicode's Stream-Safe Text Format (UAX #15) allows at most 30 non-starters in a row; longer runs
# ("zalgo" text) are never real writing and make NFC slow.
MAX_COMBINING_RUN = 30


def has_long_combining_run(text: str, limit: int = MAX_COMBINING_RUN) -> bool:
    """Whether ``text`` has more than ``limit`` combining marks in a row."""
    run = 0
    for char in text:
        if unicodedata.combining(char):
            run += 1
            if run > limit:
                return True
        else:
            run = 0
    return False
