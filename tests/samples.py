"""One valid and one invalid typed answer per catalogue field key, for the parsing and dialog tests.

``tests/unit/test_parsing_properties.py`` fails when a key of ``domain.catalogue.ALL_FIELDS`` has
no entry here: add one for every new field. A DOCUMENT field cannot be typed: its valid sample is a
``Document`` in ``VALID_DOCUMENTS``, and its invalid sample is any typed text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from domain.catalogue import ALL_FIELDS, FieldSpec, Kind
from domain.models import Document
from domain.template_entry import line_of, writable

VALID_SAMPLES: dict[str, str] = {
    # Fiche organisme
    "raison_sociale": "Formations du Sud-Ouest SARL",
    "nom_organisme": "Formasud",
    "siret": "732 829 320 00074",
    "numero_activite": "76310123456",
    "adresse": "12 rue des Lilas\n31000 Toulouse",
    "telephone": "05 61 00 00 00",
    "courriel": "contact@formasud.fr",
    "site_web": "www.formasud.fr",
    "contact": "Martin Claire, 05 61 00 00 00, claire.martin@formasud.fr",
    # Données générales
    "intitule": "Titre professionnel Secrétaire assistant",
    "objectif": "Acquérir les compétences du métier de secrétaire assistant.",
    "resultats_attendus": "Titre professionnel de niveau 4.",
    "contenu": "Module 1 : accueil.\nModule 2 : gestion administrative.",
    "certifiante": "oui",
    "certifications": "RNCP34567, RS5678",
    "formacodes": "35054, 22435",
    "codes_rome": "M1607",
    "objectif_general": "Certification",
    "parcours": "individualisé",
    "niveau_entree": "sans niveau spécifique",
    "niveau_sortie": "Niveau 4",
    "contact_formation": "Durand Paul\n06 12 34 56 78",
    "url_formation": "https://www.formasud.fr/formations/secretaire",
    "publics": "Demandeur d'emploi, Salarié",
    "info_public": "Accessible aux personnes en reconversion.",
    "niveau_entree_obligatoire": "non",
    "conditions_specifiques": "Aucune",
    "modalites_enseignement": "présentiel",
    "rythme": "35 heures par semaine, du lundi au vendredi",
    "modalites_alternance": "Sans alternance",
    "entrees_sorties": "dates fixes",
    "lieu_formation": "Centre Formasud, 5 avenue de l'Europe, 31400 Toulouse",
    "heures_centre": "1 200",
    "heures_entreprise": "280",
    "duree_indicative": "8 mois",
    "acces_handicapes": "Locaux accessibles ; référent handicap : Mme Durand.",
    "prix_total": "4 500,50 €",
    "prise_en_charge": "oui",
    "places_financees": "12",
    "cofinanceurs": "OPCO",
    "numero_marche": "2027-014 lot 3",
    "numero_bon_commande": "1",
    "semestre_debut": "S1 2027",
    "reference_convention": "CONV-2027-0042",
    "debut": "15/03/2027",
    "fin": "15 octobre 2027",
    "adresse_inscription": "12 rue des Lilas, 31000 Toulouse",
    "inscription_debut": "01/01/27",
    "inscription_fin": "1er mars 2027",
    "etat_recrutement": "ouvert",
    "places": "15",
    "modalites_inscription": "Dossier puis entretien individuel.",
}

VALID_DOCUMENTS: dict[str, Document] = {
    "justificatif": Document(
        file_id="BQACAgQAAxkBAAIB", file_name="convention.pdf", mime_type="application/pdf",
        size=240_000,
    ),
}

INVALID_SAMPLES: dict[str, str] = {
    "raison_sociale": "x" * 251,
    "nom_organisme": "",
    "siret": "732 829 320 00075",
    "numero_activite": "7631012345",
    "adresse": "12 rue des Lilas",
    "telephone": "12",
    "courriel": "contact.formasud.fr",
    "site_web": "ftp://formasud.fr",
    "contact": "Martin Claire",
    "intitule": "x" * 256,
    "objectif": "x" * 3120,
    "resultats_attendus": "",
    "contenu": "Module\x00 1",
    "certifiante": "peut-être",
    "certifications": "RNCP",
    "formacodes": "2243",
    "codes_rome": "Z1234",
    "objectif_general": "objectif inconnu",
    "parcours": "à la carte",
    "niveau_entree": "Niveau 9",
    "niveau_sortie": "sans niveau spécifique",
    "contact_formation": "05 61 00 00 00",
    "url_formation": "http://formasud",
    "publics": "Public inconnu",
    "info_public": "x" * 251,
    "niveau_entree_obligatoire": "bof",
    "conditions_specifiques": " ",
    "modalites_enseignement": "formation",
    "rythme": "x" * 3001,
    "modalites_alternance": "",
    "entrees_sorties": "quand on veut",
    "lieu_formation": "Toulouse 31000",
    "heures_centre": "120 000",
    "heures_entreprise": "-5",
    "duree_indicative": "x" * 151,
    "acces_handicapes": "x" * 251,
    "prix_total": "1e309",
    "prise_en_charge": "2",
    "places_financees": "0",
    "cofinanceurs": "Mécène inconnu",
    "numero_marche": "x" * 51,
    "numero_bon_commande": "1,5",
    "semestre_debut": "S3 2027",
    "reference_convention": "x" * 101,
    "justificatif": "convention.pdf",
    "debut": "31/02/2027",
    "fin": "00/00/0000",
    "adresse_inscription": "12 rue des Lilas\n3100 Toulouse",
    "inscription_debut": "15/03/1850",
    "inscription_fin": "demain",
    "etat_recrutement": "complet",
    "places": "100000",
    "modalites_inscription": "x" * 256,
}


# Every field answered by buttons (one or several choices of a table), for the checks of item 9.
CHOICE_FIELDS = tuple(s for s in ALL_FIELDS if s.kind in (Kind.CHOICE, Kind.MULTI_CHOICE))


def filled_template(specs: Iterable[FieldSpec], answers: Mapping[str, str]) -> str:
    """A part's template (« Tout saisir en un message ») with ``answers[key]`` written after each
    field's line, its further lines below it, as a user fills it in; other lines left empty."""
    lines = []
    for spec in writable(specs):
        first, _, rest = answers.get(spec.key, "").partition("\n")
        lines.append(f"{line_of(spec)} {first}".rstrip())
        if rest:
            lines.append(rest)
    return "\n".join(lines)
