"""The field catalogue: every field the bot asks for, declared once (``FIELDS.md``), as data.

The dialogs ask from it (label, help, kind of input, shortcuts), ``domain.parsing`` checks each
answer against it (the parser of the field's kind, with the field's limits and words),
``domain.rules`` checks a whole action with the same specs, and the LHEO export writes each value at
its ``lheo`` path. The parsers never import this module: ``Kind`` is theirs, re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from domain.codes import Code, lheo_table, publics_vises
from domain.errors import FieldError
from domain.funders import Circuit, Funder
from domain.models import Action
from domain.parsing import check_value, format_value, parse_answer
from domain.parsing.kinds import Kind as Kind


class Section(StrEnum):
    ORGANISME = "organisme"
    GENERAL = "general"
    SESSION = "session"

    @property
    def label(self) -> str:
        return {
            Section.ORGANISME: "Fiche organisme",
            Section.GENERAL: "Données générales",
            Section.SESSION: "Données de session",
        }[self]


@dataclass(frozen=True, slots=True)
class Shortcut:
    """A button that answers for the user: a fixed ``value`` or a copy of known data (``source``).

    ``source`` is one of ``organisation.adresse``, ``organisation.contact``,
    ``action.lieu_formation``: the dialog resolves it from what it knows.
    """

    label: str
    value: Any = None
    source: str | None = None


Condition = Callable[[Action], bool]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    key: str
    label: str
    section: Section
    kind: Kind
    help: str
    lheo: str
    group: str = ""
    required: bool = False
    min_len: int | None = None
    max_len: int | None = None
    min_value: int | Decimal | None = None
    max_value: int | Decimal | None = None
    choices: tuple[Code, ...] = ()
    min_items: int = 0
    max_items: int | None = None
    pattern: str | None = None  # regular expression for each item of CODES, or for DIGITS
    pattern_example: str = ""
    funders: frozenset[Funder] | None = None  # asked only for these funders
    condition: Condition | None = None  # asked only when this holds for the action
    shortcuts: tuple[Shortcut, ...] = ()
    default: Any = None
    sub_keys: tuple[str, ...] = field(default=())
    # The field's own words in messages. « 11 publics choisis : 10 au plus »: how a count of its
    # items is said (singular, plural; by default « code(s) » for CODES, « choix » for choices).
    item_nouns: tuple[str, str] | None = None
    # For CODES: how one item is called and what it looks like (« Code ROME inconnu ou mal écrit :
    # … Attendu : une lettre de A à N puis 4 chiffres, par exemple M1607 »).
    code_name: str = "Code"
    code_shape: str = ""
    # Changes with each purchase order (« bon de commande »): a copy of the action leaves it empty,
    # to be asked again for the new order (the guide's « données recopiées » are the rest).
    per_order: bool = False
    # For CHOICE / MULTI_CHOICE: the codes not offered for this action (« Autres financeurs »
    # never offers the principal funder again), with the message of an answer naming one.
    excluded: Callable[[Action], frozenset[str]] | None = None
    excluded_message: str = ""

    @property
    def display_label(self) -> str:
        """The label as the form shows it: required fields carry a star."""
        return f"{self.label} *" if self.required else self.label

    def applies_to(self, action: Action | None) -> bool:
        """Whether the field is asked for this action (funder and conditions)."""
        if action is None:
            return self.funders is None and self.condition is None
        if self.funders is not None and action.funder not in self.funders:
            return False
        return self.condition is None or self.condition(action)

    def parse(self, raw: str) -> Any:
        """Turn a typed answer into the normalised value, or raise ``FieldError`` (French)."""
        return parse_answer(self, raw)

    def check(self, value: Any) -> Any:
        """Check an already-typed value (a button's, a stored one) with the same rules as ``parse``."""
        return check_value(self, value)

    def format(self, value: Any) -> str:
        """The value as the recap shows it (French)."""
        return format_value(self, value)

    def offered(self, action: Action | None) -> list[int]:
        """The indexes in ``choices`` of the choices offered for ``action`` (its buttons)."""
        gone = self.excluded(action) if self.excluded is not None and action is not None else frozenset()
        return [i for i, c in enumerate(self.choices) if not any(c.has(code) for code in gone)]

    def check_for(self, action: Action | None, value: Any) -> Any:
        """``check``, then refuse a choice this action does not offer (``FieldError``)."""
        return self.refuse_excluded(action, self.check(value))

    def refuse_excluded(self, action: Action | None, value: Any) -> Any:
        """``value`` (already checked), or ``FieldError`` if it names a choice that ``action``
        does not offer."""
        if self.excluded is None or action is None or value is None:
            return value
        gone = self.excluded(action)
        items = value if isinstance(value, tuple) else (value,)
        named = [c.label for c in self.choices if c.code in items and any(c.has(g) for g in gone)]
        if named:
            raise FieldError(self.excluded_message.format(label=named[0]), key=self.key)
        return value


# The purchase-order fields, and the financing document the justification circuit waits for.
_REGION = frozenset(f for f in Funder if f.purchase_order)
_ETAT = frozenset(f for f in Funder if f.circuit is Circuit.JUSTIFICATION)

NIVEAUX_ENTREE = tuple(c for c in lheo_table("dict-niveaux") if c.code in {"0", "1"} or int(c.code) >= 11)
NIVEAUX_SORTIE = tuple(c for c in lheo_table("dict-niveaux") if int(c.code) >= 11)
_ORG_ADDRESS = Shortcut("Adresse de l'organisme", source="organisation.adresse")
_ORG_CONTACT = Shortcut("Contact de l'organisme", source="organisation.contact")
_LIEU = Shortcut("Lieu de formation", source="action.lieu_formation")

_ADDRESS_HELP = (
    "Une à quatre lignes de 50 caractères au plus, puis le code postal (5 chiffres) et la ville."
)
_CONTACT_HELP = "Nom (et prénom), puis un téléphone et/ou un courriel."

ORGANISATION_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("raison_sociale", "Raison sociale", Section.ORGANISME, Kind.TEXT,
              "La raison sociale telle qu'elle figure au registre.",
              "organisme-formation-responsable/raison-sociale", required=True, min_len=1, max_len=250),
    FieldSpec("nom_organisme", "Nom de l'organisme", Section.ORGANISME, Kind.TEXT,
              "Le nom sous lequel l'organisme est connu ; par défaut la raison sociale.",
              "organisme-formation-responsable/nom-organisme", required=True, min_len=1, max_len=250),
    FieldSpec("siret", "SIRET", Section.ORGANISME, Kind.SIRET,
              "14 chiffres, par exemple 732 829 320 00074.",
              "organisme-formation-responsable/SIRET-organisme-formation/SIRET", required=True),
    FieldSpec("numero_activite", "Numéro de déclaration d'activité", Section.ORGANISME, Kind.DIGITS,
              "Les 11 chiffres attribués par la préfecture de région.",
              "organisme-formation-responsable/numero-activite", required=True,
              min_len=11, max_len=11, pattern=r"\d{11}", pattern_example="76310123456"),
    FieldSpec("adresse", "Adresse du siège", Section.ORGANISME, Kind.ADDRESS, _ADDRESS_HELP,
              "organisme-formation-responsable/coordonnees-organisme/coordonnees/adresse",
              required=True),
    FieldSpec("telephone", "Téléphone", Section.ORGANISME, Kind.PHONE,
              "Un numéro français (05 61 00 00 00) ou international (+32 2 555 12 12).",
              "organisme-formation-responsable/coordonnees-organisme/coordonnees/telfixe/numtel",
              max_len=25),
    FieldSpec("courriel", "Courriel", Section.ORGANISME, Kind.EMAIL,
              "L'adresse électronique de l'organisme, par exemple contact@organisme.fr.",
              "organisme-formation-responsable/coordonnees-organisme/coordonnees/courriel",
              required=True, min_len=3, max_len=160),
    FieldSpec("site_web", "Site internet", Section.ORGANISME, Kind.URL,
              "Une adresse commençant par http:// ou https://.",
              "organisme-formation-responsable/coordonnees-organisme/coordonnees/web/urlweb",
              min_len=3, max_len=400),
    FieldSpec("contact", "Contact de l'organisme", Section.ORGANISME, Kind.CONTACT, _CONTACT_HELP,
              "organisme-formation-responsable/contact-organisme", required=True),
)

ACTION_FIELDS: tuple[FieldSpec, ...] = (
    # Présentation générale
    FieldSpec("intitule", "Intitulé de la formation", Section.GENERAL, Kind.TEXT,
              "Le nom de la formation tel que le public le lira.",
              "formation/intitule-formation", group="Présentation générale",
              required=True, min_len=1, max_len=255),
    FieldSpec("objectif", "Objectif de la formation", Section.GENERAL, Kind.TEXT,
              "Ce que la formation permet d'acquérir ou de faire.",
              "formation/objectif-formation", group="Présentation générale",
              required=True, min_len=1, max_len=3000),
    FieldSpec("resultats_attendus", "Résultats attendus", Section.GENERAL, Kind.TEXT,
              "Diplôme, titre, attestation… obtenu à l'issue de la formation.",
              "formation/resultats-attendus", group="Présentation générale",
              required=True, min_len=1, max_len=3000),
    FieldSpec("contenu", "Contenu de la formation", Section.GENERAL, Kind.TEXT,
              "Le programme : modules, thèmes abordés.",
              "formation/contenu-formation", group="Présentation générale",
              required=True, min_len=1, max_len=3000),
    FieldSpec("certifiante", "Formation certifiante ?", Section.GENERAL, Kind.YESNO,
              "Oui si la formation prépare à une certification enregistrée au RNCP ou au RS.",
              "formation/certifiante", group="Présentation générale", required=True),
    FieldSpec("certifications", "Certification(s) visée(s) (code RNCP ou RS)", Section.GENERAL,
              Kind.CODES,
              "De 1 à 5 codes séparés par des virgules, par exemple RNCP34567 ou RS5678.",
              "formation/certification/code-RNCP", group="Présentation générale", required=True,
              min_items=1, max_items=5, pattern=r"(RNCP\d{1,6}|RS\d{1,6})",
              pattern_example="RNCP34567", condition=lambda a: a.certifiante is True,
              item_nouns=("certification", "certifications"),
              code_name="Code de certification", code_shape="RNCP ou RS suivi du numéro"),
    FieldSpec("formacodes", "Code(s) Formacode", Section.GENERAL, Kind.CODES,
              "De 1 à 5 codes de 5 chiffres séparés par des virgules ; le premier est le principal.",
              "formation/domaine-formation/code-FORMACODE", group="Présentation générale",
              required=True, min_items=1, max_items=5, pattern=r"\d{5}", pattern_example="22435",
              item_nouns=("code Formacode", "codes Formacode"),
              code_name="Code Formacode", code_shape="5 chiffres"),
    FieldSpec("codes_rome", "Code(s) ROME", Section.GENERAL, Kind.CODES,
              "Jusqu'à 5 codes : une lettre de A à N puis 4 chiffres, par exemple M1607.",
              "formation/domaine-formation/code-ROME", group="Présentation générale",
              min_items=0, max_items=5, pattern=r"[A-N]\d{4}", pattern_example="M1607",
              item_nouns=("code ROME", "codes ROME"),
              code_name="Code ROME", code_shape="une lettre de A à N puis 4 chiffres"),
    FieldSpec("objectif_general", "Objectif général", Section.GENERAL, Kind.CHOICE,
              "Le but principal de la formation.",
              "formation/objectif-general-formation", group="Présentation générale",
              choices=lheo_table("dict-AIS", exclude=frozenset({"1"}))),
    FieldSpec("parcours", "Parcours de formation", Section.GENERAL, Kind.CHOICE,
              "Comment le parcours est organisé pour les stagiaires.",
              "formation/parcours-de-formation", group="Présentation générale", required=True,
              choices=lheo_table("dict-type-parcours")),
    FieldSpec("niveau_entree", "Niveau d'entrée", Section.GENERAL, Kind.CHOICE,
              "Le niveau demandé pour entrer en formation.",
              "formation/code-niveau-entree", group="Présentation générale", required=True,
              choices=NIVEAUX_ENTREE),
    FieldSpec("niveau_sortie", "Niveau de sortie", Section.GENERAL, Kind.CHOICE,
              "Le niveau atteint à l'issue de la formation.",
              "formation/code-niveau-sortie", group="Présentation générale",
              choices=NIVEAUX_SORTIE),
    FieldSpec("contact_formation", "Contact pour la formation", Section.GENERAL, Kind.CONTACT,
              _CONTACT_HELP, "formation/contact-formation", group="Présentation générale",
              required=True, shortcuts=(_ORG_CONTACT,)),
    FieldSpec("url_formation", "Page internet de la formation", Section.GENERAL, Kind.URL,
              "Une adresse commençant par http:// ou https://.",
              "formation/url-formation/urlweb", group="Présentation générale",
              min_len=3, max_len=400),
    # Public et accès
    FieldSpec("publics", "Public(s) visé(s)", Section.GENERAL, Kind.MULTI_CHOICE,
              "De 1 à 10 publics : touchez pour cocher, puis « Valider ».",
              "action/code-public-vise", group="Public et conditions d'accès", required=True,
              choices=publics_vises(), min_items=1, max_items=10,
              item_nouns=("public choisi", "publics choisis")),
    FieldSpec("info_public", "Précisions sur le public", Section.GENERAL, Kind.TEXT,
              "Toute précision utile sur le public accueilli.",
              "action/info-public-vise", group="Public et conditions d'accès", max_len=250),
    FieldSpec("niveau_entree_obligatoire", "Le niveau d'entrée est-il obligatoire ?",
              Section.GENERAL, Kind.YESNO, "Oui si le niveau d'entrée est exigé.",
              "action/niveau-entree-obligatoire", group="Public et conditions d'accès",
              required=True),
    FieldSpec("conditions_specifiques", "Conditions d'accès et prérequis", Section.GENERAL, Kind.TEXT,
              "Prérequis, tests, entretien… ou « Aucune ».",
              "action/conditions-specifiques", group="Public et conditions d'accès",
              required=True, min_len=1, max_len=3000, shortcuts=(Shortcut("Aucune", value="Aucune"),)),
    # Organisation pédagogique
    FieldSpec("modalites_enseignement", "Modalités d'enseignement", Section.GENERAL, Kind.CHOICE,
              "En présentiel, mixte ou entièrement à distance.",
              "action/modalites-enseignement", group="Organisation de la formation", required=True,
              choices=lheo_table("dict-modalites-enseignement")),
    FieldSpec("rythme", "Rythme de la formation", Section.GENERAL, Kind.TEXT,
              "Par exemple : 35 heures par semaine, du lundi au vendredi.",
              "action/rythme-formation", group="Organisation de la formation",
              required=True, min_len=1, max_len=3000),
    FieldSpec("modalites_alternance", "Modalités d'alternance", Section.GENERAL, Kind.TEXT,
              "Le rythme centre / entreprise, ou « Sans alternance ».",
              "action/modalites-alternance", group="Organisation de la formation",
              required=True, min_len=1, max_len=3000,
              shortcuts=(Shortcut("Sans alternance", value="Sans alternance"),)),
    FieldSpec("entrees_sorties", "Entrées / sorties", Section.GENERAL, Kind.CHOICE,
              "À dates fixes, ou permanentes (les stagiaires entrent à tout moment).",
              "action/modalites-entrees-sorties", group="Organisation de la formation",
              required=True, choices=lheo_table("dict-modalites-es")),
    FieldSpec("lieu_formation", "Lieu de formation", Section.GENERAL, Kind.ADDRESS, _ADDRESS_HELP,
              "action/lieu-de-formation/coordonnees/adresse", group="Organisation de la formation",
              required=True, shortcuts=(_ORG_ADDRESS,),
              condition=lambda a: a.modalites_enseignement != "2"),
    FieldSpec("heures_centre", "Nombre d'heures en centre", Section.GENERAL, Kind.INTEGER,
              "Un nombre entier d'heures, de 0 à 99999.",
              "action/nombre-heures-centre", group="Organisation de la formation",
              required=True, min_value=0, max_value=99999),
    FieldSpec("heures_entreprise", "Nombre d'heures en entreprise", Section.GENERAL, Kind.INTEGER,
              "Un nombre entier d'heures, de 0 à 99999 ; 0 s'il n'y a pas de stage.",
              "action/nombre-heures-entreprise", group="Organisation de la formation",
              min_value=0, max_value=99999, default=0),
    FieldSpec("duree_indicative", "Durée indicative", Section.GENERAL, Kind.TEXT,
              "Par exemple « 6 mois ».",
              "action/duree-indicative", group="Organisation de la formation", max_len=150),
    FieldSpec("acces_handicapes", "Accessibilité aux personnes en situation de handicap",
              Section.GENERAL, Kind.TEXT, "Aménagements possibles, référent handicap…",
              "action/acces-handicapes", group="Organisation de la formation", max_len=250),
    # Financement
    FieldSpec("prix_total", "Prix total TTC (€)", Section.GENERAL, Kind.DECIMAL,
              "Un montant en euros, par exemple 4 500 ou 4500,50.",
              "action/prix-total-TTC", group="Financement", min_value=Decimal(0), max_len=10),
    FieldSpec("prise_en_charge", "Prise en charge des frais possible ?", Section.GENERAL, Kind.YESNO,
              "Oui si les frais des stagiaires peuvent être pris en charge.",
              "action/prise-en-charge-frais-possible", group="Financement", required=True),
    FieldSpec("places_financees", "Nombre de places financées", Section.GENERAL, Kind.INTEGER,
              "Un nombre entier, de 1 à 99999.",
              "action/organisme-financeur/nb-places-financees", group="Financement",
              required=True, min_value=1, max_value=99999),
    FieldSpec("cofinanceurs", "Autres financeurs", Section.GENERAL, Kind.MULTI_CHOICE,
              "Jusqu'à 7 autres financeurs : touchez pour cocher, puis « Valider ».",
              "action/organisme-financeur/code-financeur", group="Financement",
              choices=lheo_table("dict-financeurs", exclude=frozenset({"1"})),
              min_items=0, max_items=7, item_nouns=("financeur choisi", "financeurs choisis"),
              excluded=lambda action: frozenset({action.funder.lheo_code}),
              excluded_message=(
                  "« {label} » est le financeur principal de l'action : il ne compte pas parmi "
                  "les autres financeurs."
              )),
    FieldSpec("numero_marche", "Numéro du marché / lot", Section.GENERAL, Kind.TEXT,
              "Le numéro du marché de la Région et du lot, par exemple 2027-014 lot 3.",
              "extras/numero-marche", group="Financement", required=True,
              min_len=1, max_len=50, funders=_REGION),
    FieldSpec("numero_bon_commande", "Numéro du bon de commande", Section.GENERAL, Kind.INTEGER,
              "Créez l'action pour le bon de commande n° 1 uniquement : le Carif-Oref publie les suivants.",
              "extras/numero-bon-commande", group="Financement", required=True,
              min_value=1, max_value=99, funders=_REGION, per_order=True),
    FieldSpec("semestre_debut", "Semestre de début prévu au bon de commande", Section.GENERAL,
              Kind.SEMESTER, "S1 (janvier à juin) ou S2 (juillet à décembre) et l'année, par exemple S1 2027.",
              "extras/semestre-debut", group="Financement", required=True, funders=_REGION,
              per_order=True),
    FieldSpec("reference_convention", "Référence de la convention ou de l'accord de subvention",
              Section.GENERAL, Kind.TEXT, "La référence portée sur la convention.",
              "extras/reference-convention", group="Financement", required=True,
              min_len=1, max_len=100, funders=_ETAT),
    FieldSpec("justificatif", "Justificatif de financement", Section.GENERAL, Kind.DOCUMENT,
              "Envoyez la convention ou l'accord de subvention (PDF ou photo) ; vous pourrez aussi l'envoyer plus tard.",
              "extras/justificatif", group="Financement", funders=_ETAT),
)

SESSION_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("debut", "Date de début", Section.SESSION, Kind.DATE,
              "Par exemple 15/03/2027, 15/03/27 ou 15 mars 2027.",
              "session/periode/debut", required=True),
    FieldSpec("fin", "Date de fin", Section.SESSION, Kind.DATE,
              "Pas avant la date de début.", "session/periode/fin", required=True),
    FieldSpec("adresse_inscription", "Adresse d'inscription", Section.SESSION, Kind.ADDRESS,
              _ADDRESS_HELP, "session/adresse-inscription/adresse", required=True,
              shortcuts=(_ORG_ADDRESS, _LIEU)),
    FieldSpec("inscription_debut", "Période d'inscription : début", Section.SESSION, Kind.DATE,
              "Facultatif : le premier jour où l'on peut s'inscrire.",
              "session/periode-inscription/periode/debut"),
    FieldSpec("inscription_fin", "Période d'inscription : fin", Section.SESSION, Kind.DATE,
              "Facultatif : le dernier jour pour s'inscrire, pas avant le début des inscriptions.",
              "session/periode-inscription/periode/fin"),
    FieldSpec("etat_recrutement", "État du recrutement", Section.SESSION, Kind.CHOICE,
              "Ouvert par défaut.", "session/etat-recrutement",
              choices=lheo_table("dict-etat-recrutement"), default="1"),
    FieldSpec("places", "Nombre de places", Section.SESSION, Kind.INTEGER,
              "Un nombre entier, de 1 à 99999.", "extras/places", min_value=1, max_value=99999),
    FieldSpec("modalites_inscription", "Modalités d'inscription", Section.SESSION, Kind.TEXT,
              "Comment s'inscrire : dossier, information collective…",
              "session/modalites-inscription", max_len=255),
)

ALL_FIELDS: tuple[FieldSpec, ...] = ORGANISATION_FIELDS + ACTION_FIELDS + SESSION_FIELDS
_BY_SECTION_KEY = {(f.section, f.key): f for f in ALL_FIELDS}


def field_spec(section: Section, key: str) -> FieldSpec:
    return _BY_SECTION_KEY[(section, key)]


def action_field(key: str) -> FieldSpec:
    return _BY_SECTION_KEY[(Section.GENERAL, key)]


def session_field(key: str) -> FieldSpec:
    return _BY_SECTION_KEY[(Section.SESSION, key)]


def organisation_field(key: str) -> FieldSpec:
    return _BY_SECTION_KEY[(Section.ORGANISME, key)]


def action_fields_for(action: Action) -> tuple[FieldSpec, ...]:
    """The general-data fields asked for this action, in order."""
    return tuple(f for f in ACTION_FIELDS if f.applies_to(action))
