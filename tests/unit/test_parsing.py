"""Per kind: the accepted forms of an answer, the refused ones and the exact French messages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from domain.catalogue import FieldSpec, action_field, organisation_field, session_field
from domain.errors import FieldError
from domain.models import Document
from domain.parsing import (
    check_value,
    format_value,
    parse_address_lines,
    parse_answer,
    parse_code_postal,
    parse_email,
    parse_person_name,
    parse_phone,
    parse_ville,
)
from domain.values import Address, Contact

NNBSP = "\u202f"  # babel's French thousands separator
NBSP = "\xa0"


def field(key: str) -> FieldSpec:
    for finder in (action_field, session_field, organisation_field):
        try:
            return finder(key)
        except KeyError:
            continue
    raise KeyError(key)


def refused(key: str, raw: str) -> str:
    with pytest.raises(FieldError) as caught:
        parse_answer(field(key), raw)
    assert caught.value.key == key
    assert caught.value.message
    return caught.value.message


ACCEPTED: list[tuple[str, str, Any]] = [
    # TEXT
    ("intitule", "  Secrétaire assistant  ", "Secrétaire assistant"),
    ("contenu", "Module 1\nModule 2\tsuite", "Module 1\nModule 2\tsuite"),
    ("contenu", "ligne 1\r\nligne 2", "ligne 1\nligne 2"),
    ("intitule", "Cafe\u0301", "Café"),  # NFC
    ("intitule", "a  b", "a  b"),  # nothing collapsed inside
    ("intitule", "<b>Formation</b> 🎓", "<b>Formation</b> 🎓"),
    ("info_public", "", None),
    ("info_public", "   ", None),
    ("objectif", "x" * 3000, "x" * 3000),
    ("info_public", " " * 2000 + "abc" + "\n" * 2000, "abc"),
    ("info_public", " " * 5000, None),
    ("intitule", "Cafe\u0301\u0316 crème", "Café\u0316 crème"),
    # INTEGER
    ("heures_centre", "1200", 1200),
    ("heures_centre", "1 200", 1200),
    ("heures_centre", f"1{NBSP}200", 1200),
    ("heures_centre", f"1{NNBSP}200", 1200),
    ("heures_centre", "-0", 0),
    ("heures_centre", "+35", 35),
    ("heures_centre", "0", 0),
    ("heures_centre", "99999", 99999),
    ("places_financees", "1", 1),
    # DECIMAL
    ("prix_total", "4500", Decimal("4500.00")),
    ("prix_total", "4 500,50 €", Decimal("4500.50")),
    ("prix_total", "4500.5", Decimal("4500.50")),
    ("prix_total", "€ 12", Decimal("12.00")),
    ("prix_total", "12 euros", Decimal("12.00")),
    ("prix_total", "0,500", Decimal("0.50")),
    ("prix_total", "-0", Decimal("0.00")),
    ("prix_total", "9 999 999,99", Decimal("9999999.99")),
    # DATE
    ("debut", "15/03/2027", date(2027, 3, 15)),
    ("debut", "15/03/27", date(2027, 3, 15)),
    ("debut", "15-03-2027", date(2027, 3, 15)),
    ("debut", "15.03.2027", date(2027, 3, 15)),
    ("debut", "2027-03-15", date(2027, 3, 15)),
    ("debut", "5/3/2027", date(2027, 3, 5)),
    ("debut", "15 mars 2027", date(2027, 3, 15)),
    ("debut", "1er mars 2027", date(2027, 3, 1)),
    ("debut", "3 février 2027", date(2027, 2, 3)),
    ("debut", "3 fevrier 2027", date(2027, 2, 3)),
    ("debut", "15 Août 2027", date(2027, 8, 15)),
    ("debut", "15 aout 2027", date(2027, 8, 15)),
    ("debut", "5 decembre 2027", date(2027, 12, 5)),
    ("debut", "5 déc. 2027", date(2027, 12, 5)),
    ("debut", "lundi 15 mars 2027", date(2027, 3, 15)),
    ("debut", "29/02/2028", date(2028, 2, 29)),
    ("debut", "01/01/1900", date(1900, 1, 1)),
    ("debut", "31/12/2100", date(2100, 12, 31)),
    ("inscription_debut", "", None),
    # YESNO
    ("certifiante", "oui", True),
    ("certifiante", "OUI", True),
    ("certifiante", "o", True),
    ("certifiante", "yes", True),
    ("certifiante", "1", True),
    ("certifiante", "Vrai", True),
    ("certifiante", "non", False),
    ("certifiante", "N", False),
    ("certifiante", "no", False),
    ("certifiante", "0", False),
    ("certifiante", "faux", False),
    # CHOICE: code or label (case, accents, unique beginning of a word)
    ("modalites_enseignement", "0", "0"),
    ("modalites_enseignement", "formation mixte", "1"),
    ("modalites_enseignement", "FORMATION ENTIÈREMENT À DISTANCE", "2"),
    ("modalites_enseignement", "presentiel", "0"),
    ("modalites_enseignement", "mixte", "1"),
    ("parcours", "individualise", "2"),
    ("niveau_entree", "sans niveau spécifique", "1"),
    ("niveau_entree", "Niveau 4", "14"),
    ("etat_recrutement", "Fermé", "2"),
    ("entrees_sorties", "entrées/sorties permanentes", "1"),
    ("objectif_general", "perfectionnement", "2"),  # codes 2 and 3 share the label
    # MULTI_CHOICE
    ("publics", "Demandeur d'emploi, Salarié", ("80006", "82044")),
    ("publics", "80006; 82044\n83056", ("80006", "82044", "83056")),
    ("publics", "Salarié, salarie, 82044", ("82044",)),
    ("publics", "Particulier, individuel, Femme", ("81050", "81018")),
    ("publics", "Exploitant agricole, salarié agricole", ("82017",)),
    ("cofinanceurs", "OPCO, Entreprise", ("16", "5")),
    ("cofinanceurs", "aucun", ()),
    ("cofinanceurs", "", None),
    # CODES
    ("formacodes", "22435", ("22435",)),
    ("formacodes", "22435, 31054;35054\n22435", ("22435", "31054", "35054")),
    ("formacodes", "22435 31054", ("22435", "31054")),
    ("codes_rome", "m1607, k 2111", ("M1607", "K2111")),
    ("codes_rome", "aucun", ()),
    ("certifications", "rncp 34567, RS5678", ("RNCP34567", "RS5678")),
    # SIRET
    ("siret", "73282932000074", "73282932000074"),
    ("siret", "732 829 320 00074", "73282932000074"),
    ("siret", "732.829.320.00074", "73282932000074"),
    # DIGITS
    ("numero_activite", "76310123456", "76310123456"),
    ("numero_activite", "76 31 01 23 456", "76310123456"),
    # PHONE
    ("telephone", "05 61 00 00 00", "05 61 00 00 00"),
    ("telephone", "0561000000", "05 61 00 00 00"),
    ("telephone", "05.61.00.00.00", "05 61 00 00 00"),
    ("telephone", "+33 5 61 00 00 00", "05 61 00 00 00"),
    ("telephone", "tél : 06 12 34 56 78", "06 12 34 56 78"),
    ("telephone", "0262 21 34 56", "0262 21 34 56"),
    ("telephone", "+32 2 555 12 12", "+32 2 555 12 12"),
    ("telephone", "+41 22 123 45 67", "+41 22 123 45 67"),
    # EMAIL
    ("courriel", "contact@formasud.fr", "contact@formasud.fr"),
    ("courriel", " Contact@FormaSud.FR ", "Contact@formasud.fr"),
    ("courriel", "mailto:contact@formasud.fr", "contact@formasud.fr"),
    ("courriel", "mail@formasud.fr", "mail@formasud.fr"),
    # URL
    ("site_web", "https://www.formasud.fr", "https://www.formasud.fr"),
    ("site_web", "www.formasud.fr", "https://www.formasud.fr"),
    ("site_web", "formasud.fr/formations", "https://formasud.fr/formations"),
    ("site_web", "HTTP://Formasud.FR/Page?a=1#x", "http://formasud.fr/Page?a=1#x"),
    ("site_web", "https://formasud.fr:8443/", "https://formasud.fr:8443/"),
    ("site_web", "https://école-été.fr", "https://école-été.fr"),
    ("site_web", "", None),
    # SEMESTER
    ("semestre_debut", "S1 2027", "S1 2027"),
    ("semestre_debut", "s2 2027", "S2 2027"),
    ("semestre_debut", "S1/2027", "S1 2027"),
    ("semestre_debut", "S2-2027", "S2 2027"),
    ("semestre_debut", "1er semestre 2027", "S1 2027"),
    ("semestre_debut", "2e semestre 2027", "S2 2027"),
    ("semestre_debut", "2ème semestre 2027", "S2 2027"),
    ("semestre_debut", "premier semestre 2027", "S1 2027"),
    ("semestre_debut", "second semestre 2027", "S2 2027"),
    # ADDRESS
    (
        "adresse",
        "12 rue des Lilas\n31000 Toulouse",
        Address(lignes=("12 rue des Lilas",), code_postal="31000", ville="Toulouse"),
    ),
    (
        "adresse",
        "12 rue des Lilas, Bâtiment B, 31000 Toulouse",
        Address(lignes=("12 rue des Lilas", "Bâtiment B"), code_postal="31000", ville="Toulouse"),
    ),
    (
        "adresse",
        "12 rue des Lilas 31000 Toulouse",
        Address(lignes=("12 rue des Lilas",), code_postal="31000", ville="Toulouse"),
    ),
    (
        "adresse",
        "12 rue des Lilas, 31000, Toulouse",
        Address(lignes=("12 rue des Lilas",), code_postal="31000", ville="Toulouse"),
    ),
    (
        "lieu_formation",
        "Centre A\nBât. B\n\n5 avenue de l'Europe\nZA Sud\n31 400  Toulouse Cedex 4",
        Address(
            lignes=("Centre A", "Bât. B", "5 avenue de l'Europe", "ZA Sud"),
            code_postal="31400",
            ville="Toulouse Cedex 4",
        ),
    ),
    # CONTACT
    (
        "contact",
        "Martin Claire, 05 61 00 00 00, claire.martin@exemple.fr",
        Contact(nom="Martin", prenom="Claire", telephone="05 61 00 00 00",
                courriel="claire.martin@exemple.fr"),
    ),
    (
        "contact",
        "Martin Claire\n05 61 00 00 00\nclaire.martin@exemple.fr",
        Contact(nom="Martin", prenom="Claire", telephone="05 61 00 00 00",
                courriel="claire.martin@exemple.fr"),
    ),
    (
        "contact_formation",
        "Martin Claire Anne 0561000000 claire@exemple.fr",
        Contact(nom="Martin", prenom="Claire Anne", telephone="05 61 00 00 00",
                courriel="claire@exemple.fr"),
    ),
    (
        "contact",
        "Durand, Paul, tél : 06 12 34 56 78",
        Contact(nom="Durand", prenom="Paul", telephone="06 12 34 56 78"),
    ),
    (
        "contact",
        "Martel, courriel : martel@exemple.fr",
        Contact(nom="Martel", courriel="martel@exemple.fr"),
    ),
]


@pytest.mark.parametrize(("key", "raw", "expected"), ACCEPTED)
def test_accepted(key: str, raw: str, expected: Any) -> None:
    spec = field(key)
    value = parse_answer(spec, raw)
    assert value == expected
    assert type(value) is type(expected)
    assert check_value(spec, value) == value


REFUSED: list[tuple[str, str, str]] = [
    # TEXT
    ("objectif", "x" * 3120, f"3{NNBSP}120 caractères : 3{NNBSP}000 au plus"),
    ("intitule", "x" * 256, "256 caractères : 255 au plus"),
    ("intitule", "", "Ce champ est obligatoire"),
    ("intitule", " \n\t ", "Ce champ est obligatoire"),
    ("intitule", "a\x07b", "Caractère non accepté (U+0007)"),
    ("intitule", "a\x00b", "Caractère non accepté (U+0000)"),
    ("intitule", "a\ud800b", "Caractère non accepté (U+D800)"),
    ("intitule", "a\x85b", "Caractère non accepté (U+0085)"),
    ("objectif", "x" * 100_000, f"100{NNBSP}000 caractères : 3{NNBSP}000 au plus"),
    ("info_public", "x" * 1200, f"1{NNBSP}200 caractères : 250 au plus"),
    ("objectif", "Z" + "\u0301\u0316" * 20, "Texte illisible : trop d'accents"),
    # INTEGER
    ("heures_centre", "120 000", f"120{NNBSP}000 : 99{NNBSP}999 au plus"),
    ("heures_centre", "1,5", "Nombre entier attendu, sans virgule ni point : 1,5"),
    ("heures_centre", "1.5", "Nombre entier attendu"),
    ("heures_centre", "1e309", "Nombre non reconnu : 1e309. Écrivez un nombre entier"),
    ("heures_centre", "-5", "-5 : 0 au moins"),
    ("heures_centre", "douze", "Nombre non reconnu : douze"),
    ("heures_centre", "١٢", "Nombre non reconnu"),
    ("heures_centre", "9" * 1000, "Nombre trop grand : 99"),
    ("heures_centre", "", "Ce champ est obligatoire"),
    ("places_financees", "0", "0 : 1 au moins"),
    ("numero_bon_commande", "100", "100 : 99 au plus"),
    # DECIMAL
    ("prix_total", "1e309", "Montant non reconnu : 1e309"),
    ("prix_total", "NaN", "Montant non reconnu : NaN"),
    ("prix_total", "Infinity", "Montant non reconnu : Infinity"),
    ("prix_total", "-inf", "Montant non reconnu"),
    ("prix_total", "-5", f"-5,00{NBSP}€ : 0,00{NBSP}€ au moins"),
    ("prix_total", "12,345", "3 décimales : 2 au plus"),
    ("prix_total", "1.234,50", "sans point des milliers"),
    ("prix_total", "12345678", f"Montant trop grand : 12{NNBSP}345{NNBSP}678,00{NBSP}€, 9{NNBSP}999{NNBSP}999,99{NBSP}€ au plus"),
    ("prix_total", "9" * 400, "Montant trop grand"),
    # DATE
    ("debut", "31/02/2027", "Date invalide : 31/02/2027. Écrivez-la comme 15/03/2027"),
    ("debut", "00/00/0000", "Date invalide : 00/00/0000. Écrivez-la comme 15/03/2027"),
    ("debut", "29/02/2027", "Date invalide : 29/02/2027"),
    ("debut", "15/13/2027", "Date invalide : 15/13/2027"),
    ("debut", "15/03/1850", "Année hors limites : 1850. Écrivez une date entre 1900 et 2100"),
    ("debut", "01/01/2101", "Année hors limites : 2101"),
    ("debut", "15 brumaire 2027", "Mois non reconnu : brumaire"),
    ("debut", "demain", "Date non reconnue : demain. Écrivez-la comme 15/03/2027"),
    ("debut", "15 mars", "Date non reconnue"),
    ("debut", "15/03-2027", "Date non reconnue"),
    ("debut", "", "Ce champ est obligatoire"),
    # YESNO
    ("certifiante", "peut-être", "Répondez par oui ou par non (vous avez écrit : peut-être)"),
    ("certifiante", "2", "Répondez par oui ou par non"),
    # CHOICE
    ("modalites_enseignement", "à la maison", "Choix non reconnu : à la maison. Choix possibles : formation entièrement présentielle, formation mixte, formation entièrement à distance"),
    ("modalites_enseignement", "formation", "Plusieurs choix possibles pour « formation »"),
    ("modalites_enseignement", "3", "Choix non reconnu : 3"),
    ("niveau_entree", "Niveau 9", "Choix possibles : information non communiquée, sans niveau spécifique, Niveau 1, Niveau 2"),
    # MULTI_CHOICE
    ("publics", "xyz, Salarié, abc", "Choix non reconnus : xyz, abc"),
    ("publics", "demandeur", "Plusieurs choix possibles pour « demandeur » : Demandeur d’emploi plus de 26 ans"),
    (
        "publics",
        "80001,80003,80004,80006,80007,80008,80009,80010,81013,81014,81018",
        "11 publics choisis : 10 au plus",
    ),
    ("publics", ",,,", "0 public choisi : 1 au moins"),
    ("publics", "aucun", "0 public choisi : 1 au moins"),
    ("cofinanceurs", "0, 2, 3, 4, 5, 6, 7, 8", "8 financeurs choisis : 7 au plus"),
    # CODES
    ("formacodes", "2243", "Code Formacode inconnu ou mal écrit : 2243. Attendu : 5 chiffres, par exemple 22435"),
    ("formacodes", "22435, 1234, ABCDE", "Codes Formacode inconnus ou mal écrits : 1234, ABCDE"),
    ("formacodes", "11111 22222 33333 44444 55555 66666", "6 codes Formacode : 5 au plus"),
    ("formacodes", "٢٢٤٣٥", "Code Formacode inconnu ou mal écrit"),
    ("codes_rome", "Z1234", "Code ROME inconnu ou mal écrit : Z1234. Attendu : une lettre de A à N puis 4 chiffres, par exemple M1607"),
    ("certifications", "RNCP", "Code de certification inconnu ou mal écrit : RNCP"),
    ("formacodes", "", "Ce champ est obligatoire"),
    # SIRET
    ("siret", "7328293200007", "Le SIRET doit compter 14 chiffres (vous en avez écrit 13)"),
    ("siret", "732829320000745", "Le SIRET doit compter 14 chiffres (vous en avez écrit 15)"),
    ("siret", "73282932000075", "SIRET invalide : 732 829 320 00075 (la clé de contrôle ne correspond pas"),
    ("siret", "73282932O00074", "Le SIRET ne doit contenir que des chiffres (vous avez écrit : 73282932O00074)"),
    # DIGITS
    ("numero_activite", "7631012345", "Le numéro doit compter 11 chiffres (vous en avez écrit 10), par exemple 76310123456"),
    ("numero_activite", "76310123456a", "Chiffres uniquement (vous avez écrit : 76310123456a)"),
    # PHONE
    ("telephone", "12", "Numéro de téléphone non valide : 12"),
    ("telephone", "abc", "Numéro de téléphone non reconnu : abc"),
    ("telephone", "0800 FLOWERS", "Numéro de téléphone non reconnu"),
    ("telephone", "05 61 00 00 00 00 00 00 00 00", "Numéro de téléphone trop long"),
    # EMAIL
    ("courriel", "contact.formasud.fr", "Courriel non valide : contact.formasud.fr. Il manque « @ »"),
    ("courriel", "contact@formasud", "Courriel non valide : contact@formasud. Écrivez-le comme contact@organisme.fr"),
    ("courriel", "Claire <claire@exemple.fr>", "Courriel non valide"),
    ("courriel", "a" * 155 + "@exemple.fr", "166 caractères : 160 au plus"),
    ("courriel", "", "Ce champ est obligatoire"),
    # URL
    ("site_web", "ftp://formasud.fr", "Seules les adresses http:// ou https:// conviennent"),
    ("site_web", "javascript:alert(1)", "Adresse internet non acceptée"),
    ("site_web", "http://formasud", "Adresse internet incomplète ou mal écrite : http://formasud"),
    ("site_web", "http://localhost/", "Adresse internet incomplète"),
    ("site_web", "http://127.0.0.1/", "Adresse internet incomplète"),
    ("site_web", "https://forma sud.fr", "Une adresse internet ne contient pas d'espace"),
    ("site_web", "https://formasud.fr:99999/", "Adresse internet incomplète"),
    ("site_web", "https://formasud.fr/" + "a" * 400, "420 caractères : 400 au plus"),
    # SEMESTER
    ("semestre_debut", "S3 2027", "Semestre non reconnu : S3 2027. Écrivez S1 2027"),
    ("semestre_debut", "S1 1999", "Année hors limites : 1999. Entre 2000 et 2100"),
    ("semestre_debut", "printemps", "Semestre non reconnu"),
    # ADDRESS
    ("adresse", "12 rue des Lilas", "Il manque le code postal et la ville"),
    ("adresse", "31000 Toulouse", "Il manque le numéro et la rue"),
    ("adresse", "12 rue X\nToulouse 31000", "La dernière ligne doit donner le code postal (5 chiffres) puis la ville"),
    ("adresse", "12 rue X\n3100 Toulouse", "(vous avez écrit : 3100 Toulouse)"),
    ("adresse", "a\nb\nc\nd\ne\n31000 Toulouse", "5 lignes d'adresse : 4 au plus"),
    ("adresse", "x" * 51 + "\n31000 Toulouse", "Ligne 1 de l'adresse, 51 caractères : 50 au plus"),
    ("adresse", "12 rue X\n31000 " + "T" * 51, "Ville : 51 caractères, 50 au plus"),
    ("adresse", "12 rue X\n31000 123", "Ville non reconnue : 123"),
    # CONTACT
    ("contact", "Martin Claire", "Ajoutez un téléphone et/ou un courriel après le nom"),
    ("contact", "05 61 00 00 00", "Commencez par le nom"),
    ("contact", "Martin, 05 61 00 00 00, 05 62 00 00 00", "Un seul numéro de téléphone"),
    ("contact", "Martin, a@exemple.fr, b@exemple.fr", "Un seul courriel"),
    ("contact", "Martin, 05 61 00 00 00, bureau", "Je ne reconnais ni un téléphone ni un courriel dans : bureau"),
    ("contact", "Martin, 12", "Numéro de téléphone non valide : 12"),
    ("contact", "Martin, claire@", "Courriel non valide : claire@"),
    ("contact", "M" * 51 + " Claire, 0561000000", "Nom : 51 caractères, 50 au plus"),
    # DOCUMENT
    ("justificatif", "convention.pdf", "Envoyez le justificatif comme fichier (PDF ou photo)."),
    # Any kind: over-long answers are refused before parsing
    ("debut", "1" * 100_000, f"Réponse trop longue : 100{NNBSP}000 caractères"),
    ("adresse", "12 rue\n" * 20_000, "Réponse trop longue"),
    ("telephone", "0\x1b[31m", "Caractère non accepté (U+001B)"),
]


@pytest.mark.parametrize(("key", "raw", "fragment"), REFUSED)
def test_refused(key: str, raw: str, fragment: str) -> None:
    assert fragment in refused(key, raw)


# --------------------------------------------------------------------------------------------
# check_value: typed values (buttons, storage, copies) go through the same rules
# --------------------------------------------------------------------------------------------

CHECKED: list[tuple[str, Any, Any]] = [
    ("heures_centre", 35, 35),
    ("prix_total", Decimal("4500.5"), Decimal("4500.50")),
    ("prix_total", 12, Decimal("12.00")),
    ("debut", date(2027, 3, 15), date(2027, 3, 15)),
    ("certifiante", True, True),
    ("modalites_enseignement", "2", "2"),
    ("publics", ["80006", "82044", "80006"], ("80006", "82044")),
    ("formacodes", ("22435", "31054"), ("22435", "31054")),
    ("codes_rome", ("m1607",), ("M1607",)),
    ("cofinanceurs", (), ()),
    ("siret", "732 829 320 00074", "73282932000074"),
    ("telephone", "+33561000000", "05 61 00 00 00"),
    ("intitule", "  Titre  ", "Titre"),
    ("info_public", None, None),
    (
        "adresse",
        Address(lignes=(" 12  rue des Lilas ",), code_postal="31 000", ville=" Toulouse "),
        Address(lignes=("12 rue des Lilas",), code_postal="31000", ville="Toulouse"),
    ),
    (
        "adresse",
        {"lignes": ["12 rue des Lilas"], "code_postal": "31000", "ville": "Toulouse"},
        Address(lignes=("12 rue des Lilas",), code_postal="31000", ville="Toulouse"),
    ),
    (
        "contact",
        Contact(nom="Martin", prenom="", telephone="0561000000"),
        Contact(nom="Martin", telephone="05 61 00 00 00"),
    ),
    (
        "justificatif",
        Document(file_id="abc", file_name="scan.jpg"),
        Document(file_id="abc", file_name="scan.jpg"),
    ),
    (
        "justificatif",
        Document(file_id="abc", mime_type="image/jpeg", size=20 * 1024 * 1024),
        Document(file_id="abc", mime_type="image/jpeg", size=20 * 1024 * 1024),
    ),
]


@pytest.mark.parametrize(("key", "value", "expected"), CHECKED)
def test_check_value_accepts(key: str, value: Any, expected: Any) -> None:
    assert check_value(field(key), value) == expected


CHECK_REFUSED: list[tuple[str, Any, str]] = [
    ("heures_centre", True, "Valeur non reconnue pour ce champ"),
    ("heures_centre", "35", "Valeur non reconnue pour ce champ"),
    ("heures_centre", 100_000, f"100{NNBSP}000 : 99{NNBSP}999 au plus"),
    ("heures_centre", 10**50, "Nombre trop grand"),
    ("prix_total", 4.5, "Valeur non reconnue"),
    ("prix_total", Decimal("NaN"), "Montant non reconnu"),
    ("prix_total", Decimal("Infinity"), "Montant non reconnu"),
    ("prix_total", Decimal("1E+100000"), "Montant trop grand"),
    ("prix_total", Decimal("1.234"), "2 décimales au plus"),
    ("debut", "2027-03-15", "Valeur non reconnue"),
    ("debut", date(1899, 12, 31), "Année hors limites : 1899"),
    ("certifiante", "oui", "Valeur non reconnue"),
    ("modalites_enseignement", "9", "Choix inconnu : 9"),
    ("publics", ("99999",), "Choix inconnu : 99999"),
    ("publics", "80006", "Valeur non reconnue"),
    ("publics", (), "0 public choisi : 1 au moins"),
    ("formacodes", ("2243",), "Code Formacode inconnu ou mal écrit : 2243"),
    ("siret", "73282932000075", "SIRET invalide"),
    ("intitule", "", "Ce champ est obligatoire"),
    ("intitule", None, "Ce champ est obligatoire"),
    ("adresse", Address(lignes=(), code_postal="31000", ville="Toulouse"), "Il manque l'adresse"),
    ("adresse", Address(lignes=("12 rue X",), code_postal="3100", ville="Toulouse"), "Code postal : 5 chiffres"),
    ("adresse", {"lignes": 3}, "Valeur non reconnue"),
    ("contact", Contact(nom="Martin"), "Il faut un téléphone et/ou un courriel pour joindre Martin"),
    ("contact", Contact(nom="Martin", courriel="pas un courriel"), "Courriel non valide"),
    ("justificatif", Document(file_id="abc", mime_type="application/zip"), "Format non accepté"),
    ("justificatif", Document(file_id="abc"), "Format non accepté"),
    ("justificatif", Document(file_id="abc", file_name="a.pdf", size=21 * 1024 * 1024), "Fichier trop lourd : 21 Mo : 20 Mo au plus"),
    ("justificatif", "convention.pdf", "Valeur non reconnue"),
]


@pytest.mark.parametrize(("key", "value", "fragment"), CHECK_REFUSED)
def test_check_value_refuses(key: str, value: Any, fragment: str) -> None:
    with pytest.raises(FieldError) as caught:
        check_value(field(key), value)
    assert fragment in caught.value.message
    assert caught.value.key == key


def test_parse_answer_refuses_non_text() -> None:
    with pytest.raises(FieldError):
        parse_answer(field("intitule"), 12)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# format_value: the recap
# --------------------------------------------------------------------------------------------

FORMATTED: list[tuple[str, Any, str]] = [
    ("intitule", None, "—"),
    ("intitule", "Titre", "Titre"),
    ("heures_centre", 1200, f"1{NNBSP}200"),
    ("prix_total", Decimal("4500.50"), f"4{NNBSP}500,50{NBSP}€"),
    ("debut", date(2027, 3, 5), "05/03/2027"),
    ("certifiante", True, "oui"),
    ("certifiante", False, "non"),
    ("modalites_enseignement", "1", "formation mixte"),
    ("publics", ("80006", "82044"), "Demandeur d’emploi, Salarié"),
    ("cofinanceurs", (), "aucun"),
    ("formacodes", ("22435", "31054"), "22435, 31054"),
    ("siret", "73282932000074", "732 829 320 00074"),
    (
        "adresse",
        Address(lignes=("12 rue des Lilas", "Bât. B"), code_postal="31000", ville="Toulouse"),
        "12 rue des Lilas, Bât. B, 31000 Toulouse",
    ),
    (
        "contact",
        Contact(nom="Martin", prenom="Claire", telephone="05 61 00 00 00", courriel="c@exemple.fr"),
        "Claire Martin (05 61 00 00 00 · c@exemple.fr)",
    ),
    ("justificatif", Document(file_id="x", file_name="convention.pdf"), "convention.pdf"),
    ("semestre_debut", "S1 2027", "S1 2027"),
]


@pytest.mark.parametrize(("key", "value", "expected"), FORMATTED)
def test_format_value(key: str, value: Any, expected: str) -> None:
    assert format_value(field(key), value) == expected


def test_spec_methods_delegate_here() -> None:
    spec = field("debut")
    assert spec.parse("15 mars 2027") == date(2027, 3, 15)
    assert spec.check(date(2027, 3, 15)) == date(2027, 3, 15)
    assert spec.format(date(2027, 3, 15)) == "15/03/2027"


# --------------------------------------------------------------------------------------------
# Sub-step helpers of the address and contact questions
# --------------------------------------------------------------------------------------------


def test_sub_step_helpers_accept() -> None:
    assert parse_address_lines("12 rue des Lilas\nBâtiment B\n") == ("12 rue des Lilas", "Bâtiment B")
    long_line = "Centre de formation professionnelle, 12 rue des Lilas prolongée"
    assert parse_address_lines(long_line) == (
        "Centre de formation professionnelle",
        "12 rue des Lilas prolongée",
    )
    assert parse_code_postal(" 31 000 ") == "31000"
    assert parse_ville(" Saint-Jean  de Luz ") == "Saint-Jean de Luz"
    assert parse_person_name(" Martin ", "Nom") == "Martin"
    assert parse_phone("05.61.00.00.00") == "05 61 00 00 00"
    assert parse_email("Claire@Exemple.FR") == "Claire@exemple.fr"


@pytest.mark.parametrize(
    ("helper", "raw", "fragment"),
    [
        (parse_address_lines, "", "Il manque l'adresse"),
        (parse_address_lines, "a\nb\nc\nd\ne", "5 lignes d'adresse : 4 au plus"),
        (parse_address_lines, "x" * 60, "Ligne 1 de l'adresse, 60 caractères : 50 au plus"),
        (parse_code_postal, "3100", "Code postal : 5 chiffres attendus, par exemple 31000 (vous avez écrit : 3100)"),
        (parse_code_postal, "3I000", "Code postal : 5 chiffres"),
        (parse_ville, "", "Ce champ est obligatoire"),
        (parse_ville, "x" * 51, "Ville : 51 caractères, 50 au plus"),
        (parse_phone, "12", "Numéro de téléphone non valide"),
        (parse_email, "pas@", "Courriel non valide"),
    ],
)
def test_sub_step_helpers_refuse(helper: Any, raw: str, fragment: str) -> None:
    with pytest.raises(FieldError) as caught:
        helper(raw)
    assert fragment in caught.value.message


def test_person_name_messages_use_the_label() -> None:
    with pytest.raises(FieldError) as caught:
        parse_person_name("x" * 51, "Prénom", key="contact")
    assert caught.value.message == "Prénom : 51 caractères, 50 au plus"
    assert caught.value.key == "contact"
    with pytest.raises(FieldError) as caught:
        parse_person_name("1234", "Nom")
    assert "Nom non reconnu : 1234" in caught.value.message
