"""Properties of parsing over EVERY field of the catalogue (a field added later is covered too).

For any typed answer, ``spec.parse`` either returns a value that ``spec.check`` accepts unchanged,
or raises ``FieldError`` with a non-empty French message; nothing else escapes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from babel.dates import format_date
from babel.numbers import format_decimal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.provisional import domains
from stdnum import luhn

from domain.catalogue import ALL_FIELDS, FieldSpec, Kind
from domain.errors import FieldError
from tests.samples import INVALID_SAMPLES, VALID_DOCUMENTS, VALID_SAMPLES

SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FIELD_IDS = [f"{spec.section}.{spec.key}" for spec in ALL_FIELDS]
# Library messages are English: none may reach the user.
ENGLISH = re.compile(
    r"\b(the|is|are|must|should|invalid|not valid|characters|error|value|expected)\b", re.I
)
# Kinds whose recap form, typed back, gives the same value.
ROUND_TRIP = frozenset(Kind) - {Kind.ADDRESS, Kind.CONTACT, Kind.DOCUMENT}

# --------------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------------

ANY_CHAR = st.characters(exclude_categories=())  # control characters and surrogates included
ANY_TEXT = st.text(ANY_CHAR, max_size=60)
NASTY_ANSWERS = [
    "",
    ",",
    ";",
    "\n,\n",
    ".",
    "/",
    "-",
    "+",
    "é",
    " ",
    "\n\n",
    "\ufeff",
    "\u200b",
    "‮RTL",
    "<script>alert(1)</script>",
    "<b>gras</b> &amp; &lt;",
    "🎓📚👩‍🏫",
    "🇫🇷",
    "NaN",
    "-Infinity",
    "1e309",
    "-0",
    "0x1F",
    "١٢٣٤٥",
    "%s%n{0}",
    "Robert'); DROP TABLE actions;--",
    "\ud800",
    "a\x00b",
    "\x1b[31mrouge",
    "null",
    "None",
    "aucun",
    ", , ;",
    "@",
    "http://",
    "S1",
    "31000",
    "31000 ,",
    "12 rue X, 31000",
    "x@y, 0",
    "Martin, ,",
    "S1 2027 S2 2028",
    "15/03/2027 16/03/2027",
]
NASTY = st.sampled_from(NASTY_ANSWERS)
HUGE = st.builds(
    lambda char, size: char * size,
    st.sampled_from(["x", "9", " ", "é", "\u0301", "🎓", ",", "\n", "1,", "a@", "\ud800"]),
    st.sampled_from([2_001, 3_001, 12_101, 100_000]),
)


@st.composite
def mutated(draw: st.DrawFn, base: str) -> str:
    """A sample answer with a few random edits."""
    text = base
    for _ in range(draw(st.integers(0, 3))):
        operation = draw(st.sampled_from(["insert", "delete", "replace", "upper", "double"]))
        position = draw(st.integers(0, len(text)))
        char = draw(st.one_of(ANY_CHAR, st.sampled_from(list(" ,;/.-\n0123456789"))))
        if operation == "insert":
            text = text[:position] + char + text[position:]
        elif operation == "delete":
            text = text[:position] + text[position + 1 :]
        elif operation == "replace":
            text = text[:position] + char + text[position + 1 :]
        elif operation == "upper":
            text = text.upper()
        else:
            text = text + text
    return text


def _dates() -> st.SearchStrategy[str]:
    real = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
    formatted = st.builds(
        lambda d, pattern: d.strftime(pattern) if pattern != "babel" else format_date(
            d, "d MMMM y", locale="fr"
        ),
        real,
        st.sampled_from(["%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d", "%d.%m.%Y", "%d-%m-%Y", "babel"]),
    )
    triplets = st.builds(
        lambda d, m, y, sep: f"{d}{sep}{m}{sep}{y}",
        st.integers(0, 40),
        st.integers(0, 15),
        st.integers(0, 3000),
        st.sampled_from(["/", "-", ".", " "]),
    )
    return st.one_of(formatted, triplets)


def _integers() -> st.SearchStrategy[str]:
    numbers = st.integers(-(10**20), 10**20)
    return st.one_of(
        numbers.map(str),
        numbers.map(lambda n: format_decimal(n, locale="fr_FR")),
        numbers.map(lambda n: f"{n:,}".replace(",", " ")),
    )


def _decimals() -> st.SearchStrategy[str]:
    amounts = st.decimals(allow_nan=True, allow_infinity=True)
    return st.one_of(
        amounts.map(str),
        amounts.map(lambda d: str(d).replace(".", ",")),
        st.decimals(min_value=-(10**9), max_value=10**9, places=2).map(
            lambda d: format_decimal(d, locale="fr_FR") + " €"
        ),
    )


def _choices(spec: FieldSpec) -> st.SearchStrategy[str]:
    words = [c.code for c in spec.choices] + [c.label for c in spec.choices]
    words += [c.label[:4] for c in spec.choices] + [c.label.upper() for c in spec.choices]
    return st.builds(
        lambda items, sep: sep.join(items),
        st.lists(st.sampled_from(words), max_size=12),
        st.sampled_from([", ", ";", "\n", ","]),
    )


def _codes(spec: FieldSpec) -> st.SearchStrategy[str]:
    assert spec.pattern is not None
    code = st.one_of(st.from_regex(spec.pattern, fullmatch=True), st.text(max_size=7))
    return st.builds(
        lambda items, sep: sep.join(items),
        st.lists(code, max_size=7),
        st.sampled_from([", ", ";", " ", "\n"]),
    )


def _sirets() -> st.SearchStrategy[str]:
    valid = st.from_regex(r"[0-9]{13}", fullmatch=True).map(lambda s: s + luhn.calc_check_digit(s))
    return st.one_of(valid, st.from_regex(r"[0-9 .]{10,20}", fullmatch=True))


def _phones() -> st.SearchStrategy[str]:
    return st.one_of(
        st.from_regex(r"0[1-9]( ?[0-9]{2}){4}", fullmatch=True),
        st.from_regex(r"\+[1-9][0-9 .]{4,18}", fullmatch=True),
        st.from_regex(r"[0-9 +().-]{1,30}", fullmatch=True),
    )


def _emails() -> st.SearchStrategy[str]:
    return st.one_of(st.emails(), st.from_regex(r"[a-zA-Z.]{0,10}@[a-z.]{0,10}", fullmatch=True))


def _urls() -> st.SearchStrategy[str]:
    return st.builds(
        lambda scheme, host, path: f"{scheme}{host}{path}",
        st.sampled_from(["", "http://", "https://", "HTTPS://", "ftp://", "//"]),
        domains(),
        st.from_regex(r"(/[a-zA-Z0-9_.~%-]{0,12}){0,3}(\?[a-z=&]{0,10})?", fullmatch=True),
    )


def _semesters() -> st.SearchStrategy[str]:
    return st.from_regex(
        r"(s|S|semestre )?[0-3](er|e|ème)? ?(semestre)? ?[/ -]?[0-9]{4}", fullmatch=True
    )


def _addresses() -> st.SearchStrategy[str]:
    line = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=55)
    return st.builds(
        lambda lines, cp, ville, sep: sep.join([*lines, f"{cp} {ville}"]),
        st.lists(line, max_size=5),
        st.from_regex(r"[0-9 ]{4,6}", fullmatch=True),
        line,
        st.sampled_from(["\n", ", ", ","]),
    )


def _contacts() -> st.SearchStrategy[str]:
    name = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=20)
    return st.builds(
        lambda parts, sep: sep.join(parts),
        st.lists(st.one_of(name, _phones(), _emails()), min_size=1, max_size=4),
        st.sampled_from(["\n", ", ", " "]),
    )


# The answers typical of each kind of question (a kind not listed: any text).
_KIND_ANSWERS: dict[Kind, Callable[[FieldSpec], st.SearchStrategy[str]]] = {
    Kind.DATE: lambda _: _dates(),
    Kind.INTEGER: lambda _: _integers(),
    Kind.DECIMAL: lambda _: _decimals(),
    Kind.CHOICE: _choices,
    Kind.MULTI_CHOICE: _choices,
    Kind.CODES: _codes,
    Kind.SIRET: lambda _: _sirets(),
    Kind.DIGITS: lambda _: _sirets(),
    Kind.PHONE: lambda _: _phones(),
    Kind.EMAIL: lambda _: _emails(),
    Kind.URL: lambda _: _urls(),
    Kind.SEMESTER: lambda _: _semesters(),
    Kind.ADDRESS: lambda _: _addresses(),
    Kind.CONTACT: lambda _: _contacts(),
    Kind.YESNO: lambda _: st.sampled_from(["oui", "Non", "O", "n", "vrai", "FAUX", "yes", "1", "0", "peut-être"]),
}


def _by_kind(spec: FieldSpec) -> st.SearchStrategy[str]:
    strategy = _KIND_ANSWERS.get(spec.kind)
    return strategy(spec) if strategy is not None else ANY_TEXT


def answers(spec: FieldSpec) -> st.SearchStrategy[str]:
    base = VALID_SAMPLES.get(spec.key, "")
    return st.one_of(ANY_TEXT, NASTY, HUGE, mutated(base), _by_kind(spec))


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------


def _assert_french_refusal(spec: FieldSpec, error: FieldError, raw: str = "") -> None:
    assert error.key == spec.key
    assert error.message.strip(), "empty message"
    # Messages quote what the user typed (« vous avez écrit : THE »): only our own words count.
    english = [w for w in ENGLISH.findall(error.message) if w.casefold() not in raw.casefold()]
    assert not english, error.message


def _assert_stable(spec: FieldSpec, value: Any) -> None:
    """``check`` accepts a parsed value unchanged, and the recap can show it."""
    checked = spec.check(value)
    assert checked == value
    assert type(checked) is type(value)
    if isinstance(value, Decimal):
        assert str(checked) == str(value)
    shown = spec.format(value)
    assert isinstance(shown, str) and shown


@pytest.mark.parametrize("spec", ALL_FIELDS, ids=FIELD_IDS)
def test_parse_returns_a_checked_value_or_a_french_field_error(spec: FieldSpec) -> None:
    @SETTINGS
    @given(raw=answers(spec))
    def run(raw: str) -> None:
        try:
            value = spec.parse(raw)
        except FieldError as error:
            _assert_french_refusal(spec, error, raw)
            return
        _assert_stable(spec, value)

    run()


@pytest.mark.parametrize(
    "spec", [s for s in ALL_FIELDS if s.kind in ROUND_TRIP], ids=lambda s: f"{s.section}.{s.key}"
)
def test_the_recap_form_typed_back_gives_the_same_recap(spec: FieldSpec) -> None:
    @SETTINGS
    @given(raw=st.one_of(mutated(VALID_SAMPLES.get(spec.key, "")), _by_kind(spec)))
    def run(raw: str) -> None:
        try:
            value = spec.parse(raw)
        except FieldError:
            return
        if value is None:
            return
        shown = spec.format(value)
        assert spec.format(spec.parse(shown)) == shown

    run()


@pytest.mark.parametrize("spec", ALL_FIELDS, ids=FIELD_IDS)
def test_every_nasty_answer(spec: FieldSpec) -> None:
    for raw in NASTY_ANSWERS:
        try:
            value = spec.parse(raw)
        except FieldError as error:
            _assert_french_refusal(spec, error, raw)
        else:
            _assert_stable(spec, value)


@pytest.mark.parametrize("spec", ALL_FIELDS, ids=FIELD_IDS)
def test_huge_answers_are_refused(spec: FieldSpec) -> None:
    for raw in ("x" * 100_000, "1" * 100_000, "é\u0301" * 50_000, "\ud800" * 100_000):
        with pytest.raises(FieldError) as caught:
            spec.parse(raw)
        _assert_french_refusal(spec, caught.value, raw)


@pytest.mark.parametrize("spec", ALL_FIELDS, ids=FIELD_IDS)
def test_every_field_has_samples(spec: FieldSpec) -> None:
    if spec.kind is Kind.DOCUMENT:
        assert spec.key in VALID_DOCUMENTS, f"add a Document for {spec.key} to VALID_DOCUMENTS"
    else:
        assert spec.key in VALID_SAMPLES, f"add a valid answer for {spec.key} to tests/samples.py"
    assert spec.key in INVALID_SAMPLES, f"add an invalid answer for {spec.key} to tests/samples.py"


def test_samples_name_only_catalogue_keys() -> None:
    keys = {spec.key for spec in ALL_FIELDS}
    assert set(VALID_SAMPLES) <= keys
    assert set(INVALID_SAMPLES) <= keys
    assert set(VALID_DOCUMENTS) <= keys


@pytest.mark.parametrize("spec", ALL_FIELDS, ids=FIELD_IDS)
def test_valid_sample_parses(spec: FieldSpec) -> None:
    if spec.kind is Kind.DOCUMENT:
        document = VALID_DOCUMENTS[spec.key]
        assert spec.check(document) == document
        return
    value = spec.parse(VALID_SAMPLES[spec.key])
    assert value is not None
    _assert_stable(spec, value)


@pytest.mark.parametrize("spec", ALL_FIELDS, ids=FIELD_IDS)
def test_invalid_sample_is_refused(spec: FieldSpec) -> None:
    with pytest.raises(FieldError) as caught:
        spec.parse(INVALID_SAMPLES[spec.key])
    _assert_french_refusal(spec, caught.value, INVALID_SAMPLES[spec.key])


@pytest.mark.parametrize("spec", ALL_FIELDS, ids=FIELD_IDS)
def test_check_refuses_foreign_types_with_a_field_error(spec: FieldSpec) -> None:
    for value in (object(), 1.5, b"bytes", ["x"], {"x": 1}, 10**40, float("nan")):
        try:
            checked = spec.check(value)
        except FieldError as error:
            _assert_french_refusal(spec, error)
        else:  # a few kinds take some of these (a list of codes, an int amount…)
            assert spec.check(checked) == checked
