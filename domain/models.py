"""The aggregates: an organisation, a training action with its sessions.

Every catalogue field is an optional attribute, so that a draft can hold a partial answer set; the
catalogue (``domain.catalogue``) says which are required and checks each value, and
``domain.rules.validate_action`` checks a whole action before it is confirmed.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from domain.funders import Funder
from domain.values import Address, Contact


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REFUSED = "refused"
    RETURNED = "returned"
    PUBLISHED = "published"
    ARCHIVED = "archived"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    Status.DRAFT: "En cours de création",
    Status.SUBMITTED: "En cours d'instruction",
    Status.APPROVED: "Validée, en attente de publication",
    Status.REFUSED: "Refusée par le financeur",
    Status.RETURNED: "À corriger",
    Status.PUBLISHED: "Publiée",
    Status.ARCHIVED: "Archivée",
}


class Document(BaseModel):
    """A file sent in the chat (the État justification): the channel's id, name and type."""

    model_config = ConfigDict(frozen=True)

    file_id: str
    file_name: str | None = None
    mime_type: str | None = None
    size: int | None = None


class _Record(BaseModel):
    model_config = ConfigDict(validate_assignment=False, extra="forbid")

    def get(self, key: str) -> Any:
        return getattr(self, key)

    def set(self, key: str, value: Any) -> None:
        if key not in type(self).model_fields:
            raise KeyError(key)
        setattr(self, key, value)


class Organisation(_Record):
    """A training organisation and its « fiche organisme ».

    ``version`` guards writes like an action's: a save based on an older version is refused.
    """

    id: int | None = None
    version: int = 0
    reference_carif: str | None = None
    raison_sociale: str | None = None
    nom_organisme: str | None = None
    siret: str | None = None
    numero_activite: str | None = None
    adresse: Address | None = None
    telephone: str | None = None
    courriel: str | None = None
    site_web: str | None = None
    contact: Contact | None = None


class Session(_Record):
    """One run of an action, with its dates and registration address."""

    id: int | None = None
    debut: date | None = None
    fin: date | None = None
    adresse_inscription: Address | None = None
    inscription_debut: date | None = None
    inscription_fin: date | None = None
    etat_recrutement: str | None = None
    places: int | None = None
    modalites_inscription: str | None = None


class Action(_Record):
    """A funded training action (LHEO formation + action) and its sessions."""

    # Identity, lifecycle and references.
    id: int | None = None
    organisation_id: int
    funder: Funder
    status: Status = Status.DRAFT
    version: int = 0
    reference: str | None = None  # formabot's own, given at creation (« FB-000042 »)
    reference_carif: str | None = None  # given at publication
    reference_ofaa: str | None = None  # France Travail's, from the daily return file
    created_at: datetime | None = None
    updated_at: datetime | None = None
    confirmed_at: datetime | None = None
    published_at: datetime | None = None
    archived_on: date | None = None
    copied_from: int | None = None
    staff_comment: str | None = None  # why it was returned for correction
    refusal_reason: str | None = None
    justificatif_recu: bool = False
    # Where the organisation stopped in the form when it last saved it: « recap », « sessions »,
    # a general field's key or « sessions[i].key » (0-based i). « Modifier » reopens it there.
    resume_at: str | None = None

    # Données générales.
    intitule: str | None = None
    objectif: str | None = None
    resultats_attendus: str | None = None
    contenu: str | None = None
    certifiante: bool | None = None
    certifications: tuple[str, ...] | None = None
    formacodes: tuple[str, ...] | None = None
    codes_rome: tuple[str, ...] | None = None
    objectif_general: str | None = None
    parcours: str | None = None
    niveau_entree: str | None = None
    niveau_sortie: str | None = None
    contact_formation: Contact | None = None
    url_formation: str | None = None
    publics: tuple[str, ...] | None = None
    info_public: str | None = None
    niveau_entree_obligatoire: bool | None = None
    conditions_specifiques: str | None = None
    modalites_enseignement: str | None = None
    rythme: str | None = None
    modalites_alternance: str | None = None
    entrees_sorties: str | None = None
    lieu_formation: Address | None = None
    heures_centre: int | None = None
    heures_entreprise: int | None = None
    duree_indicative: str | None = None
    prix_total: Decimal | None = None
    prise_en_charge: bool | None = None
    acces_handicapes: str | None = None
    places_financees: int | None = None
    cofinanceurs: tuple[str, ...] | None = None
    # Région only.
    numero_marche: str | None = None
    numero_bon_commande: int | None = None
    semestre_debut: str | None = None  # « S1 2027 »
    # État only.
    reference_convention: str | None = None
    justificatif: Document | None = None

    sessions: list[Session] = Field(default_factory=list)

    @property
    def is_distance_only(self) -> bool:
        return self.modalites_enseignement == "2"

    @property
    def is_permanent_or_modular(self) -> bool:
        """Permanent entries/exits or a « modularisé » parcours: public until the last session ends."""
        return self.entrees_sorties == "1" or self.parcours == "3"

    @property
    def heures_total(self) -> int | None:
        if self.heures_centre is None:
            return None
        return self.heures_centre + (self.heures_entreprise or 0)
