"""The funders an action can be declared for, and their validation circuits."""

from __future__ import annotations

from enum import StrEnum


class Funder(StrEnum):
    REGION = "region"
    POLE_EMPLOI = "pole-emploi"
    AGEFIPH = "agefiph"
    ETAT_EMPLOI = "etat-emploi"
    ETAT_AUTRES = "etat-autres"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def lheo_code(self) -> str:
        """Code of ``dict-financeurs`` written in ``code-financeur``."""
        return _LHEO[self]

    @property
    def is_etat(self) -> bool:
        return self in (Funder.ETAT_EMPLOI, Funder.ETAT_AUTRES)

    @property
    def has_validators(self) -> bool:
        """Pôle emploi and Agefiph hold a confidential code to approve or refuse in the chat."""
        return self in (Funder.POLE_EMPLOI, Funder.AGEFIPH)

    @classmethod
    def from_lheo_code(cls, code: str) -> Funder | None:
        for funder, value in _LHEO.items():
            if value == code:
                return funder
        return None


_LABELS = {
    Funder.REGION: "Région",
    Funder.POLE_EMPLOI: "Pôle emploi",
    Funder.AGEFIPH: "Agefiph",
    Funder.ETAT_EMPLOI: "État – ministère chargé de l'emploi",
    Funder.ETAT_AUTRES: "État – autres ministères",
}
_LHEO = {
    Funder.REGION: "2",
    Funder.POLE_EMPLOI: "4",
    Funder.AGEFIPH: "7",
    Funder.ETAT_EMPLOI: "11",
    Funder.ETAT_AUTRES: "13",
}
