"""Both dates of a period in one answer (``domain.parsing.dates.split_period``), issue 16."""

from __future__ import annotations

from datetime import date

import pytest
from babel.dates import format_date
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.catalogue import session_field
from domain.errors import FieldError
from domain.parsing.dates import split_period

DEBUT, FIN = session_field("debut"), session_field("fin")


# What is typed | the start | the end, as split off (each then read by its own field's parser).
PERIODS = """
du 15/03/2027 au 30/10/2027 | 15/03/2027 | 30/10/2027
15/03/2027 - 30/10/2027 | 15/03/2027 | 30/10/2027
15/03/2027 au 30/10/2027 | 15/03/2027 | 30/10/2027
Du 15 mars 2027 au 30 octobre 2027 | 15 mars 2027 | 30 octobre 2027
du lundi 15 mars 2027 au samedi 30 octobre 2027 | lundi 15 mars 2027 | samedi 30 octobre 2027
15-03-2027 - 30-10-2027 | 15-03-2027 | 30-10-2027
15-03-2027-30-10-2027 | 15-03-2027 | 30-10-2027
2027-03-15 - 2027-10-30 | 2027-03-15 | 2027-10-30
15.03.2027–30.10.2027 | 15.03.2027 | 30.10.2027
15/03/2027 → 30/10/2027 | 15/03/2027 | 30/10/2027
15/03/2027 -> 30/10/2027 | 15/03/2027 | 30/10/2027
du 15/03/2027 jusqu’au 30/10/2027 | 15/03/2027 | 30/10/2027
entre le 15/03/2027 et le 30/10/2027 | 15/03/2027 | le 30/10/2027
1er avril 2027 à 3 mai 2027 | 1er avril 2027 | 3 mai 2027
à partir du 15/03/27 au 30/10/27 | 15/03/27 | 30/10/27
du 31/02/2027 au 30/10/2027 | 31/02/2027 | 30/10/2027
du 15/03/2027 au 31/02/2027 | 15/03/2027 | 31/02/2027
15/03/2027 - bientôt | 15/03/2027 | bientôt
"""


@pytest.mark.parametrize("line", PERIODS.strip().splitlines())
def test_the_usual_ways_of_writing_a_period(line: str) -> None:
    typed, start, end = (part.strip() for part in line.split("|"))
    assert split_period(typed) == (start, end)


@pytest.mark.parametrize(
    "typed",
    [
        "15/03/2027",
        "15-03-2027",
        "2027-03-15",
        "15 mars 2027",
        "le lundi 15 mars 27",
        "15/03/2027-",
        "- 15/03/2027",
        "du 15/03/2027",
        "S1 2027",
        "",
        "au",
        "15 mars - 30 octobre",
        "x" * 3000,
    ],
)
def test_anything_else_is_not_a_period(typed: str) -> None:
    assert split_period(typed) is None


def test_each_part_goes_through_its_own_fields_parser() -> None:
    start, end = split_period("du 15/03/2027 au 31/02/2027") or ("", "")
    assert DEBUT.parse(start) == date(2027, 3, 15)
    with pytest.raises(FieldError, match="Date invalide"):
        FIN.parse(end)


DATES = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
WRITTEN = st.sampled_from(
    ["%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%d %m %Y", "babel"]
)
OPENINGS = st.sampled_from(["", "du ", "Du ", "de ", "entre le ", "à partir du ", "période du "])
SEPARATORS = st.sampled_from(
    [" au ", " à ", " a ", " - ", " – ", "—", " → ", "->", " jusqu'au ", " et le "]
)


def _written(day: date, pattern: str) -> str:
    if pattern == "babel":
        return format_date(day, "d MMMM y", locale="fr")
    if pattern == "%d/%m/%y" and not 2000 <= day.year <= 2099:
        pattern = "%d/%m/%Y"  # a two-digit year is read in 2000–2099
    return day.strftime(pattern)


@settings(max_examples=300, deadline=None)
@given(DATES, DATES, WRITTEN, WRITTEN, OPENINGS, SEPARATORS)
def test_any_two_dates_written_any_way_read_back(
    start: date, end: date, start_pattern: str, end_pattern: str, opening: str, separator: str
) -> None:
    typed = f"{opening}{_written(start, start_pattern)}{separator}{_written(end, end_pattern)}"
    parts = split_period(typed)
    assert parts is not None, typed
    assert (DEBUT.parse(parts[0]), FIN.parse(parts[1])) == (start, end), typed


@settings(max_examples=200, deadline=None)
@given(DATES, WRITTEN)
def test_a_single_date_is_never_a_period(day: date, pattern: str) -> None:
    assert split_period(_written(day, pattern)) is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_gives_none_or_two_parts(typed: str) -> None:
    parts = split_period(typed)
    assert parts is None or (len(parts) == 2 and all(p.strip() for p in parts))
