"""The log formatter tells an exception by its type and where it happened, never by its message."""

from __future__ import annotations

import json

from pydantic import BaseModel, ValidationError

from bot.logs import describe_exception
from tests.unit.support import json_logger

EMAIL = "zephirine.secrete@forma-sud.fr"


class _Strict(BaseModel):
    n: int


def _raise_with_personal_data() -> None:
    try:
        _Strict.model_validate({"n": EMAIL})  # pydantic quotes the input in its message
    except ValidationError as exc:
        raise KeyError(f"contact {EMAIL}") from exc


def _formatted() -> str:
    with json_logger("tests.unit.logs") as (log, stream):
        try:
            _raise_with_personal_data()
        except KeyError:
            log.exception("error while handling an update")
    return stream.getvalue()


def test_an_exception_is_logged_by_type_and_place_never_by_message() -> None:
    line = _formatted()
    assert EMAIL not in line and "contact" not in line
    record = json.loads(line)
    exc = record["exc"]
    assert exc["type"] == "builtins.KeyError"
    assert exc["where"].startswith("tests.unit.test_logs:_raise_with_personal_data:")
    assert exc["trace"][0].startswith("tests.unit.test_logs:_formatted:")
    (cause,) = exc["causes"]
    assert cause["type"] == "pydantic_core._pydantic_core.ValidationError"
    assert any(frame.startswith("tests.unit.test_logs:_raise_with_personal_data:") for frame in cause["trace"])


def test_no_exception_no_description() -> None:
    assert describe_exception(None) is None
