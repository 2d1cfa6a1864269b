"""The kinds of input a field takes, and what the parsers read of a field.

The catalogue (``domain.catalogue.FieldSpec``) is data; its entries satisfy ``Spec``. The parsers
read a field through this protocol, so they do not import the catalogue, which calls them.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from domain.codes import Code


class Kind(StrEnum):
    """The kind of input a field takes; the dialog picks its widget from it."""

    TEXT = "text"  # free text with a character counter
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    YESNO = "yesno"
    CHOICE = "choice"  # one code of ``choices``
    MULTI_CHOICE = "multi_choice"  # several codes of ``choices`` (paged, with ticks)
    CODES = "codes"  # several typed codes matching ``pattern`` (Formacode, ROME, RNCP/RS)
    ADDRESS = "address"
    CONTACT = "contact"
    URL = "url"
    EMAIL = "email"
    PHONE = "phone"
    SIRET = "siret"
    DIGITS = "digits"  # a fixed number of digits (numéro de déclaration d'activité)
    SEMESTER = "semester"  # « S1 2027 »
    DOCUMENT = "document"  # a file sent in the chat


class Spec(Protocol):
    """What a parser reads of a field (read-only): ``domain.catalogue.FieldSpec`` has it all."""

    @property
    def key(self) -> str: ...
    @property
    def kind(self) -> Kind: ...
    @property
    def help(self) -> str: ...
    @property
    def required(self) -> bool: ...
    @property
    def min_len(self) -> int | None: ...
    @property
    def max_len(self) -> int | None: ...
    @property
    def min_value(self) -> int | Decimal | None: ...
    @property
    def max_value(self) -> int | Decimal | None: ...
    @property
    def choices(self) -> tuple[Code, ...]: ...
    @property
    def min_items(self) -> int: ...
    @property
    def max_items(self) -> int | None: ...
    @property
    def pattern(self) -> str | None: ...
    @property
    def pattern_example(self) -> str: ...
    @property
    def item_nouns(self) -> tuple[str, str] | None: ...
    @property
    def code_name(self) -> str: ...
    @property
    def code_shape(self) -> str: ...
