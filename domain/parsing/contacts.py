"""How to reach someone: phone numbers (``Kind.PHONE``), e-mail addresses (``Kind.EMAIL``), web
addresses (``Kind.URL``), a person's name, and a contact (``Kind.CONTACT``: a name, then a phone
and/or an e-mail, typed on one line or several)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from domain.errors import FieldError
from domain.parsing.common import (
    INPUT_MAX,
    REQUIRED,
    WHITESPACE,
    as_model,
    clean,
    length_message,
    split_items,
    unexpected,
)
from domain.parsing.kinds import Spec
from domain.text import number, plural, quote
from domain.values import Contact

PERSON_NAME_MAX = 50
PHONE_MAX = 25
EMAIL_MIN, EMAIL_MAX = 3, 160
URL_MIN, URL_MAX = 3, 400
PHONE_EXAMPLE = "05 61 00 00 00 ou +32 2 555 12 12"
EMAIL_EXAMPLE = "contact@organisme.fr"
URL_EXAMPLE = "https://www.exemple.fr"
CONTACT_EXAMPLE = "Martin Claire, 05 61 00 00 00, claire.martin@exemple.fr"

# French numbers (metropolitan and the overseas departments sharing the 0-prefixed plan) are
# written in national format; any other number in international format.
_NATIONAL_REGIONS = ("FR", "RE", "GP", "MQ", "GF", "YT")
_PHONE_WORDS = r"(?:t[ée]l[ée]?(?:phone)?|portable|mobile|fixe)"
_EMAIL_WORDS = r"(?:courriel|e-?mail|mail|m[ée]l)"
# « tél : 05… », « tél. 05… » before a number; « courriel : » (with a colon or a space) before an
# address, so that « mail@exemple.fr » keeps its name.
_PHONE_LABEL = re.compile(_PHONE_WORDS + r"\s*\.?\s*:?\s*", re.I)
_EMAIL_LABEL = re.compile(_EMAIL_WORDS + r"(?:\s*:\s*|\s+)", re.I)
_TRAILING_LABEL = re.compile(
    r"(?:^|\s)(?:" + _PHONE_WORDS + "|" + _EMAIL_WORDS + r")\s*\.?\s*:?\s*$", re.I
)


def parse_phone(raw: str, *, key: str | None = None, max_len: int = PHONE_MAX) -> str:
    """A phone number, normalised: « 05 61 00 00 00 », or « +32 2 000 00 00 » abroad."""
    if not isinstance(raw, str):
        raise FieldError("Numéro de téléphone illisible.", key=key)
    text = clean(raw, key, INPUT_MAX)
    text = _PHONE_LABEL.sub("", text, count=1) if _PHONE_LABEL.match(text) else text
    expected = f"Par exemple {PHONE_EXAMPLE}"
    if not text or re.search(r"[^0-9\s+().\-/]", text) or not re.search(r"[0-9]", text):
        raise FieldError(
            f"Numéro de téléphone non reconnu : {quote(text or raw)}. {expected}", key=key
        )
    if len(re.sub(r"[^0-9]", "", text)) > 17:
        raise FieldError(f"Numéro de téléphone trop long : {quote(text)}. {expected}", key=key)
    international = text.startswith(("+", "00"))
    number_ = None
    for region in ("FR",) if international else _NATIONAL_REGIONS:
        try:
            candidate = phonenumbers.parse(text, region)
        except Exception:  # NumberParseException, or anything the library trips on
            continue
        if phonenumbers.is_valid_number(candidate):
            number_ = candidate
            break
    if number_ is None:
        raise FieldError(f"Numéro de téléphone non valide : {quote(text)}. {expected}", key=key)
    found_region = phonenumbers.region_code_for_number(number_)
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if found_region in _NATIONAL_REGIONS
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    formatted = str(phonenumbers.format_number(number_, style))
    if len(formatted) > max_len:
        raise FieldError(
            f"Numéro de téléphone trop long : {plural(len(formatted), 'caractère')}, "
            f"{number(max_len)} au plus",
            key=key,
        )
    return formatted


def parse_email(
    raw: str, *, key: str | None = None, min_len: int = EMAIL_MIN, max_len: int = EMAIL_MAX
) -> str:
    """An e-mail address, checked (syntax only, no DNS) and normalised."""
    if not isinstance(raw, str):
        raise FieldError("Courriel illisible.", key=key)
    text = clean(raw, key, INPUT_MAX)
    if text.casefold().startswith("mailto:"):
        text = text[len("mailto:") :].strip()
    if (label := _EMAIL_LABEL.match(text)) is not None and "@" not in label.group(0):
        text = text[label.end() :]
    message = length_message(len(text), min_len, max_len)
    if message is not None:
        raise FieldError(f"Courriel : {message}", key=key)
    expected = f"Écrivez-le comme {EMAIL_EXAMPLE}"
    if "@" not in text:
        raise FieldError(f"Courriel non valide : {quote(text)}. Il manque « @ ». {expected}", key=key)
    try:
        normalized = str(validate_email(text, check_deliverability=False).normalized)
    except EmailNotValidError as error:
        raise FieldError(f"Courriel non valide : {quote(text)}. {expected}", key=key) from error
    except Exception as error:  # the library must not let odd unicode escape as another error
        raise FieldError(f"Courriel non valide : {quote(text)}. {expected}", key=key) from error
    message = length_message(len(normalized), min_len, max_len)
    if message is not None:
        raise FieldError(f"Courriel : {message}", key=key)
    return normalized


_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*)://")
_OTHER_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+\-]*:(?![0-9])")


def check_url(spec: Spec, value: Any) -> str:
    if not isinstance(value, str):
        raise unexpected(spec)
    key = spec.key
    text = clean(value, key, INPUT_MAX)
    expected = f"Par exemple {URL_EXAMPLE}"
    if re.search(r"\s", text):
        raise FieldError(
            f"Une adresse internet ne contient pas d'espace : {quote(text)}. {expected}", key=key
        )
    scheme_match = _SCHEME.match(text)
    if scheme_match is None:
        if _OTHER_SCHEME.match(text):
            raise FieldError(
                f"Adresse internet non acceptée : {quote(text)}. Seules les adresses http:// ou "
                f"https:// conviennent. {expected}",
                key=key,
            )
        text = "https://" + text.removeprefix("//")
        scheme_match = _SCHEME.match(text)
        assert scheme_match is not None
    scheme = scheme_match.group(1).lower()
    if scheme not in ("http", "https"):
        raise FieldError(
            f"Adresse internet non acceptée : {quote(text)}. Seules les adresses http:// ou "
            f"https:// conviennent. {expected}",
            key=key,
        )
    rest = text[scheme_match.end() :]
    netloc = re.split(r"[/?#]", rest, maxsplit=1)[0]
    tail = rest[len(netloc) :]
    host, _, port = netloc.partition(":")
    host = unicodedata.normalize("NFC", host.lower())
    port_ok = not port or (port.isascii() and port.isdigit() and len(port) <= 5 and 0 < int(port) < 65536)
    if not _is_domain(host) or not port_ok:
        raise FieldError(
            f"Adresse internet incomplète ou mal écrite : {quote(text)}. {expected}", key=key
        )
    url = f"{scheme}://{host}{':' + port if port else ''}{tail}"
    minimum = spec.min_len if spec.min_len is not None else URL_MIN
    maximum = spec.max_len if spec.max_len is not None else URL_MAX
    message = length_message(len(url), minimum, maximum)
    if message is not None:
        raise FieldError(message, key=key)
    return url


def _is_domain(host: str) -> bool:
    labels = host.split(".")
    if len(labels) < 2 or len(host) > 253:
        return False
    for label in labels:
        if not 1 <= len(label) <= 63 or label.startswith("-") or label.endswith("-"):
            return False
        if not all(c.isalnum() or c == "-" for c in label):
            return False
    tld = labels[-1]
    return (tld.isalpha() and len(tld) >= 2) or tld.startswith("xn--")


def check_phone(spec: Spec, value: Any) -> str:
    if not isinstance(value, str):
        raise unexpected(spec)
    return parse_phone(value, key=spec.key, max_len=spec.max_len or PHONE_MAX)


def check_email(spec: Spec, value: Any) -> str:
    if not isinstance(value, str):
        raise unexpected(spec)
    return parse_email(
        value,
        key=spec.key,
        min_len=spec.min_len if spec.min_len is not None else EMAIL_MIN,
        max_len=spec.max_len if spec.max_len is not None else EMAIL_MAX,
    )


_EMAIL_TOKEN = re.compile(r"[^\s,;<>()]+@[^\s,;<>()]+")
_PHONE_RUN = re.compile(r"\+?[0-9(][0-9\s.\-()/]{6,}[0-9]")


def parse_person_name(raw: str, label: str, *, key: str | None = None) -> str:
    """A person's nom or prénom (``label`` names it in messages): 1–50 characters, a letter."""
    if not isinstance(raw, str):
        raise FieldError(f"{label} illisible.", key=key)
    text = WHITESPACE.sub(" ", clean(raw, key, INPUT_MAX))
    if not text:
        raise FieldError(f"{label} : {REQUIRED.lower()}.", key=key)
    if len(text) > PERSON_NAME_MAX:
        raise FieldError(
            f"{label} : {plural(len(text), 'caractère')}, {PERSON_NAME_MAX} au plus", key=key
        )
    if not any(c.isalpha() for c in text):
        raise FieldError(
            f"{label} non reconnu : {quote(text)}. Écrivez-le en lettres, par exemple Martin",
            key=key,
        )
    return text


def parse_contact(spec: Spec, text: str) -> Contact:
    key = spec.key
    parts = split_items(text, r"[,;\n]")
    if not parts:
        raise FieldError(
            f"Commencez par le nom (et le prénom) du contact, par exemple : {CONTACT_EXAMPLE}",
            key=key,
        )
    head = parts[0]
    telephone: str | None = None
    courriel: str | None = None
    found_phones: list[str] = []
    found_emails: list[str] = []
    # The first part may hold everything: « Martin Claire 05 61 00 00 00 claire@exemple.fr ».
    found_emails.extend(_EMAIL_TOKEN.findall(head))
    head = _EMAIL_TOKEN.sub(" ", head)
    found_phones.extend(_PHONE_RUN.findall(head))
    head = _PHONE_RUN.sub(" ", head)
    while (label := _TRAILING_LABEL.search(head)) is not None:
        head = head[: label.start()]
    words = head.split()
    if not words:
        raise FieldError(
            f"Commencez par le nom (et le prénom) du contact, par exemple : {CONTACT_EXAMPLE}",
            key=key,
        )
    nom_raw, prenom_raw = words[0], " ".join(words[1:])
    for part in parts[1:]:
        if "@" in part:
            found_emails.append(part)
        elif re.search(r"[0-9]", part):
            found_phones.append(part)
        elif not prenom_raw and not found_phones and not found_emails:
            prenom_raw = part  # « Martin, Claire, 05 61 00 00 00 »
        else:
            raise FieldError(
                f"Je ne reconnais ni un téléphone ni un courriel dans : {quote(part)}. "
                f"Par exemple : {CONTACT_EXAMPLE}",
                key=key,
            )
    if len(found_phones) > 1:
        raise FieldError(
            "Un seul numéro de téléphone, s'il vous plaît (vous en avez écrit "
            f"{number(len(found_phones))}).",
            key=key,
        )
    if len(found_emails) > 1:
        raise FieldError(
            f"Un seul courriel, s'il vous plaît (vous en avez écrit {number(len(found_emails))}).",
            key=key,
        )
    if found_phones:
        telephone = parse_phone(found_phones[0], key=key)
    if found_emails:
        courriel = parse_email(found_emails[0], key=key)
    if telephone is None and courriel is None:
        raise FieldError(
            "Ajoutez un téléphone et/ou un courriel après le nom, par exemple : "
            f"{CONTACT_EXAMPLE}",
            key=key,
        )
    return Contact.model_construct(
        nom=nom_raw, prenom=prenom_raw or None, telephone=telephone, courriel=courriel
    )


def check_contact(spec: Spec, value: Any) -> Contact:
    contact = as_model(spec, value, Contact)
    key = spec.key
    for attribute in (contact.prenom, contact.telephone, contact.courriel):
        if attribute is not None and not isinstance(attribute, str):
            raise unexpected(spec)
    if not isinstance(contact.nom, str):
        raise unexpected(spec)
    nom = parse_person_name(contact.nom, "Nom", key=key)
    prenom = (
        parse_person_name(contact.prenom, "Prénom", key=key)
        if contact.prenom is not None and contact.prenom.strip()
        else None
    )
    telephone = (
        parse_phone(contact.telephone, key=key)
        if contact.telephone is not None and contact.telephone.strip()
        else None
    )
    courriel = (
        parse_email(contact.courriel, key=key)
        if contact.courriel is not None and contact.courriel.strip()
        else None
    )
    if telephone is None and courriel is None:
        raise FieldError(
            f"Il faut un téléphone et/ou un courriel pour joindre {nom}. Par exemple : "
            f"{CONTACT_EXAMPLE}",
            key=key,
        )
    return Contact(nom=nom, prenom=prenom, telephone=telephone, courriel=courriel)
