"""The funders an action can be declared for, as data: one row of ``FUNDERS`` per funder.

The lifecycle, the catalogue, the command line, the LHEO export/import and the templates read a
funder's row (its approval circuit, whether it has a validator code, whether its actions can be
copied…) and never compare funder values: adding a funder is a member of ``Funder``, its row, and
(if no existing one fits) a template of next steps. ``tests/unit/test_funders.py`` checks every
row is complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Funder(StrEnum):
    REGION = "region"
    POLE_EMPLOI = "pole-emploi"
    AGEFIPH = "agefiph"
    ETAT_EMPLOI = "etat-emploi"
    ETAT_AUTRES = "etat-autres"

    @property
    def row(self) -> FunderRow:
        return FUNDERS[self]

    @property
    def label(self) -> str:
        return self.row.label

    @property
    def lheo_code(self) -> str:
        """Code of ``dict-financeurs`` written in ``code-financeur``."""
        return self.row.lheo_code

    @property
    def circuit(self) -> Circuit:
        return self.row.circuit

    @property
    def validator_code(self) -> bool:
        return self.row.validator_code

    @property
    def copyable(self) -> bool:
        return self.row.copyable

    @property
    def purchase_order(self) -> bool:
        return self.row.purchase_order

    @property
    def next_steps(self) -> str:
        return self.row.next_steps

    @classmethod
    def from_lheo_code(cls, code: str) -> Funder | None:
        return next((funder for funder, row in FUNDERS.items() if row.lheo_code == code), None)

    @classmethod
    def with_validator_code(cls) -> dict[str, Funder]:
        """The funders whose validators link with a confidential code, by value (command line)."""
        return {funder.value: funder for funder, row in FUNDERS.items() if row.validator_code}


class Circuit(StrEnum):
    """How a confirmed (submitted) action is approved before the Carif-Oref publishes it."""

    # The funder's validators approve or refuse it in the chat; the Carif-Oref may publish it
    # straight from « submitted » (it checks it for the funder).
    VALIDATORS = "validators"
    # The Carif-Oref approves it once it has marked the financing document (convention,
    # accord de subvention…) received; the organisation sends that document in the chat.
    JUSTIFICATION = "justification"
    # The funder votes (Région: the commission permanente); the Carif-Oref records the vote.
    VOTE = "vote"


@dataclass(frozen=True)
class FunderRow:
    label: str  # as the user reads it (buttons, recap, notifications)
    lheo_code: str  # code of ``dict-financeurs`` (LHEO export and import)
    circuit: Circuit
    # A validator of this funder links with a one-time confidential code
    # (``formabot admin funder-code``, ``formabot member unlink --funder``).
    validator_code: bool
    # A published or archived action can be copied into a new draft.
    copyable: bool
    # The action answers a purchase order (bon de commande): its number, its start semester and
    # the Région's date rules (``domain/rules.py``) and the catalogue's purchase-order fields.
    purchase_order: bool
    # The template of next steps shown after confirmation: ``dialogs/templates/next_steps/<name>.j2``.
    next_steps: str


FUNDERS: dict[Funder, FunderRow] = {
    Funder.REGION: FunderRow(
        label="Région", lheo_code="2", circuit=Circuit.VOTE, validator_code=False,
        copyable=True, purchase_order=True, next_steps="vote",
    ),
    Funder.POLE_EMPLOI: FunderRow(
        label="Pôle emploi", lheo_code="4", circuit=Circuit.VALIDATORS, validator_code=True,
        copyable=False, purchase_order=False, next_steps="validators",
    ),
    Funder.AGEFIPH: FunderRow(
        label="Agefiph", lheo_code="7", circuit=Circuit.VALIDATORS, validator_code=True,
        copyable=False, purchase_order=False, next_steps="validators",
    ),
    Funder.ETAT_EMPLOI: FunderRow(
        label="État – ministère chargé de l'emploi", lheo_code="11", circuit=Circuit.JUSTIFICATION,
        validator_code=False, copyable=False, purchase_order=False, next_steps="justification",
    ),
    Funder.ETAT_AUTRES: FunderRow(
        label="État – autres ministères", lheo_code="13", circuit=Circuit.JUSTIFICATION,
        validator_code=False, copyable=False, purchase_order=False, next_steps="justification",
    ),
}
