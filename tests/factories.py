"""Test data: complete, valid actions for every funder, and their pieces.

``make_valid_action(funder)`` returns an action that ``domain.rules.validate_action(action,
FACTORY_TODAY)`` accepts: every general-data field filled (the funder's own fields too), two
sessions to come. Any attribute can be overridden (``None`` removes a value):

    make_valid_action(Funder.REGION, semestre_debut="S2 2027", sessions=[make_session(...)])
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from domain.funders import Circuit, Funder
from domain.models import Action, Document, Organisation, Session, Status
from domain.values import Address, Contact

# The day the factory's actions are valid on: both sessions are still to come.
FACTORY_TODAY = date(2027, 1, 4)
FIRST_SESSION = (date(2027, 3, 15), date(2027, 6, 30))
SECOND_SESSION = (date(2027, 9, 13), date(2027, 12, 17))

ADDRESS = Address(lignes=("12 rue des Lilas", "Bâtiment B"), code_postal="31000", ville="Toulouse")
CONTACT = Contact(
    nom="Martin", prenom="Claire", telephone="05 61 00 00 00", courriel="claire.martin@organisme.fr"
)


def make_address(**overrides: Any) -> Address:
    return ADDRESS.model_copy(update=overrides)


def make_contact(**overrides: Any) -> Contact:
    return CONTACT.model_copy(update=overrides)


def make_organisation(**overrides: Any) -> Organisation:
    data: dict[str, Any] = {
        "id": 7,
        "raison_sociale": "Organisme de démonstration",
        "nom_organisme": "Organisme de démonstration",
        "siret": "73282932000074",
        "numero_activite": "76310123456",
        "adresse": ADDRESS,
        "telephone": "05 61 00 00 00",
        "courriel": "contact@organisme.fr",
        "site_web": "https://www.organisme.fr",
        "contact": CONTACT,
    }
    data.update(overrides)
    return Organisation(**data)


def make_session(
    debut: date | None = FIRST_SESSION[0], fin: date | None = FIRST_SESSION[1], **overrides: Any
) -> Session:
    data: dict[str, Any] = {
        "debut": debut,
        "fin": fin,
        "adresse_inscription": ADDRESS,
        "inscription_debut": date(2027, 1, 4),
        "inscription_fin": debut if debut is not None else None,
        "etat_recrutement": "1",
        "places": 12,
        "modalites_inscription": "Dossier de candidature puis entretien individuel.",
    }
    data.update(overrides)
    return Session(**data)


def _general_data() -> dict[str, Any]:
    return {
        "intitule": "Cuisinier en restauration collective",
        "objectif": "Préparer et servir des repas en restauration collective.",
        "resultats_attendus": "Titre professionnel de cuisinier.",
        "contenu": "Hygiène, techniques culinaires, production en série, stage en cuisine centrale.",
        "certifiante": True,
        "certifications": ("RNCP34567",),
        "formacodes": ("42752", "42745"),
        "codes_rome": ("G1602",),
        "objectif_general": "6",
        "parcours": "1",
        "niveau_entree": "1",
        "niveau_sortie": "13",
        "contact_formation": CONTACT,
        "url_formation": "https://www.organisme.fr/formations/cuisinier",
        "publics": ("80001", "80003"),
        "info_public": "Demandeurs d'emploi inscrits à France Travail.",
        "niveau_entree_obligatoire": False,
        "conditions_specifiques": "Aucune",
        "modalites_enseignement": "0",
        "rythme": "35 heures par semaine, du lundi au vendredi.",
        "modalites_alternance": "Sans alternance",
        "entrees_sorties": "0",
        "lieu_formation": ADDRESS,
        "heures_centre": 420,
        "heures_entreprise": 140,
        "duree_indicative": "4 mois",
        "prix_total": Decimal("4500.00"),
        "prise_en_charge": True,
        "acces_handicapes": "Locaux accessibles ; référente handicap : Claire Martin.",
        "places_financees": 12,
        "cofinanceurs": ("3",),
    }


def _funder_data(funder: Funder) -> dict[str, Any]:
    if funder is Funder.REGION:
        return {
            "numero_marche": "2027-014 lot 3",
            "numero_bon_commande": 1,
            "semestre_debut": "S1 2027",
        }
    if funder.circuit is Circuit.JUSTIFICATION:
        return {
            "reference_convention": "CONV-2027-0042",
            "justificatif": Document(
                file_id="document-1", file_name="convention.pdf", mime_type="application/pdf",
                size=48_213,
            ),
        }
    return {}


def make_valid_action(funder: Funder = Funder.REGION, **overrides: Any) -> Action:
    """A complete action of ``funder``, valid on ``FACTORY_TODAY``, with two sessions to come."""
    data: dict[str, Any] = {
        "organisation_id": 7,
        "funder": funder,
        "status": Status.DRAFT,
        **_general_data(),
        **_funder_data(funder),
        "sessions": [make_session(*FIRST_SESSION), make_session(*SECOND_SESSION)],
    }
    data.update(overrides)
    return Action(**data)


def with_session_ids(action: Action, first_id: int) -> Action:
    """The action, its sessions numbered from ``first_id`` as stored ones are."""
    for i, session in enumerate(action.sessions):
        session.id = first_id + i
    return action


def edited(action: Action, **changes: Any) -> Action:
    """A copy of the action (deep) with these fields set, as a form would leave it."""
    copy = action.model_copy(deep=True)
    for key, value in changes.items():
        copy.set(key, value)
    return copy
