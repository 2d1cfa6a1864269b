"""The message splitter: every part fits Telegram's limit and is HTML that Telegram accepts, read
with the fake Bot API's parser (a port of Telegram's own), and together the parts say exactly what
the whole message says."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from dialogs.render import TELEGRAM_LIMIT, split_message
from tests.fakebotapi.formatting import parse_html

# What users type (escaped as the templates do): letters, accents, emoji, line breaks, and the
# characters that become entities.
_TEXT = st.text(alphabet=st.sampled_from(list("ab é  \n\n<>&\"'😀ß;#x1")), max_size=400).map(
    lambda s: str(escape(s))
)
_OPEN = ("<b>", "<i>", "<u>", "<s>", "<code>", "<pre>", "<blockquote>", '<a href="https://ex.fr/a?b=1&amp;c=2">',
         '<span class="tg-spoiler">', "<tg-spoiler>")  # fmt: skip


def _close(tag: str) -> str:
    return "</" + tag[1:].split(">")[0].split(" ")[0] + ">"


@st.composite
def _html(draw: st.DrawFn, depth: int = 0) -> str:
    pieces = []
    for _ in range(draw(st.integers(1, 6 if depth else 12))):
        if depth < 2 and draw(st.booleans()):
            tag = draw(st.sampled_from(_OPEN))
            pieces.append(tag + draw(_html(depth + 1)) + _close(tag))
        else:
            pieces.append(draw(_TEXT))
    return "".join(pieces)


def _check(message: str, limit: int) -> list[str]:
    parts = split_message(message, limit)
    for part in parts:
        assert len(part) <= limit, (len(part), part)
        assert parse_html(part).text.strip(), part  # raises on malformed HTML, as Telegram refuses it
    # Read one after the other, the parts say what the message says; only white space between two
    # parts may be left out (a part of white space alone: Telegram trims a message's ends anyway).
    texts = [parse_html(p).text for p in parts]
    pattern = r"\s*" + r"\s*".join(re.escape(t) for t in texts) + r"\s*"
    assert re.fullmatch(pattern, parse_html(message).text), texts
    assert sum(map(len, texts)) >= len(parse_html(message).text.strip()) - len(parts)
    return parts


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(message=_html(), limit=st.integers(120, 600))
def test_every_part_fits_is_well_formed_and_the_parts_make_the_message(message: str, limit: int) -> None:
    if parse_html(message).text.strip():
        _check(message, limit)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answer=st.text(alphabet=st.sampled_from(list("ab <&>\n")), min_size=2000, max_size=3000))
def test_a_long_answer_inside_an_element_splits_at_telegrams_limit(answer: str) -> None:
    message = f"<b>Contenu</b>\nRéponse actuelle : <i>{escape(answer)}</i>\n<i>fin</i>"
    if len(message) <= TELEGRAM_LIMIT:
        return
    parts = _check(message, TELEGRAM_LIMIT)
    assert len(parts) >= 2


def test_the_question_of_a_long_multiline_answer_is_cut_between_lines_and_tags_reopened() -> None:
    answer = ("Module <1> & module <2> : soudure TIG\n" * 300).strip()
    message = f"<b>Contenu</b>\n<i>{escape(answer)}</i>"
    parts = _check(message, TELEGRAM_LIMIT)
    assert len(parts) > 1
    assert all(p.startswith("<i>") for p in parts[1:]) and all(p.endswith("</i>") for p in parts)
    assert all(p.removesuffix("</i>").endswith("\n") for p in parts[:-1])  # cut after a line break


def test_a_cut_never_falls_inside_an_entity_even_without_its_semicolon() -> None:
    # « &lt » is « < » for Telegram, « &lte » is not: cutting after « &l » or « &lt » would change
    # the text.
    for entity in ("&lt;", "&lt ", "&lte", "&#60;", "&#60 ", "&#x3c;", "&#123456789", "&amp;"):
        for offset in range(90, 100):
            message = "x" * offset + entity + "y" * 200
            _check(message, 100)
    assert split_message("x" * 97 + "&lt;" + "y" * 200, 100)[0] == "x" * 97
