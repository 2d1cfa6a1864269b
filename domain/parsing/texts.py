"""Free text (``Kind.TEXT``): kept as typed, NFC, outer spaces removed, within the field's length."""

from __future__ import annotations

from typing import Any

from domain.errors import FieldError
from domain.parsing.common import REQUIRED, clean, is_required, length_message, unexpected
from domain.parsing.kinds import Spec
from domain.text import number, plural

TEXT_DEFAULT_MAX = 3000


def check_text(spec: Spec, value: Any) -> str | None:
    if not isinstance(value, str):
        raise unexpected(spec)
    maximum = spec.max_len if spec.max_len is not None else TEXT_DEFAULT_MAX
    # NFC can at most divide a length by 3 (Hangul jamo): beyond this, the answer is too long anyway.
    cap = 4 * maximum + 100
    if len(value) > cap:
        value = value.strip()
        if len(value) > cap:
            raise FieldError(
                f"{plural(len(value), 'caractère')} : {number(maximum)} au plus", key=spec.key
            )
    text = clean(value, spec.key, cap)
    if not text:
        if is_required(spec):
            raise FieldError(f"{REQUIRED} : écrivez au moins un caractère.", key=spec.key)
        return None
    message = length_message(len(text), spec.min_len, maximum)
    if message is not None:
        raise FieldError(message, key=spec.key)
    return text
