"""The rules a whole action must satisfy: per field (from the catalogue), across fields, per session,
the Région date rules, and what confirmation needs.

Every rule lives here once; the dialogs (re-asking a question, the recap), the confirmation and the
date updates all call these functions. Each ``Problem`` names the field (``key``), the 1-based
session number when it belongs to a session, and the catalogue section to go back to.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from domain.archiving import add_months, is_public
from domain.catalogue import (
    ACTION_FIELDS,
    ORGANISATION_FIELDS,
    SESSION_FIELDS,
    FieldSpec,
    Section,
    action_field,
)
from domain.errors import FieldError, Problem
from domain.models import Action, Organisation, Session

REGION_MAX_MONTHS = 18
REQUIRED_MESSAGE = "ce champ est obligatoire."
NO_SESSION_MESSAGE = "Ajoutez au moins une session."
# At most this many sessions per action (README: Reliability). Telegram shows at most 100 buttons
# under one message, and the recap has one per session plus 9 (4 parts, add, print, confirm,
# save, quit): 80 sessions keep it at 89. A Région action spans at most 18 months: a session
# starting every week is 78. The PDF of 80 sessions takes well under a second on an idle machine.
MAX_SESSIONS = 80
TOO_MANY_SESSIONS_MESSAGE = (
    "Une action compte au plus {max} sessions : celle-ci en a déjà {count}. "
    "Pour d'autres dates, créez une nouvelle action (« 📋 Copier » reprend ses données générales)."
)
BON_COMMANDE_MESSAGE = (
    "Créez l'action pour le bon de commande n° 1 uniquement : "
    "le Carif-Oref publie les bons de commande suivants."
)

_SEMESTER = re.compile(r"^\s*S\s*([12])\s+(\d{4})\s*$", re.IGNORECASE)


def fmt_date(day: date) -> str:
    """A date as users read it: JJ/MM/AAAA."""
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def semester_bounds(value: str) -> tuple[date, date] | None:
    """First and last day of a semester written « S1 2027 » (S1: January–June, S2: July–December)."""
    match = _SEMESTER.match(value)
    if match is None:
        return None
    half, year = int(match.group(1)), int(match.group(2))
    if not 1 <= year <= 9999:
        return None
    if half == 1:
        return date(year, 1, 1), date(year, 6, 30)
    return date(year, 7, 1), date(year, 12, 31)


def region_end_limit(first_day: date) -> date:
    """The last day allowed for a Région action that starts on ``first_day``.

    « Ne doit pas dépasser de plus de 18 mois la date de début » is read as: at most 18 calendar
    months later, the same day number, clamped to the end of the month when that day does not exist
    (31/08/2027 → 28/02/2029; 31/08/2026 → 29/02/2028; 15/03/2027 → 15/09/2028). Ending exactly on
    the limit is allowed; one day later is not.
    """
    return add_months(first_day, REGION_MAX_MONTHS)


def _is_missing(value: Any) -> bool:
    return value is None or value == "" or value == () or value == []


def _with_label(spec: FieldSpec, message: str) -> str:
    if message.startswith(spec.label):
        return message
    return f"{spec.label} : {message}"


def _check_field(spec: FieldSpec, value: Any, action: Action | None = None) -> str | None:
    """The message (without prefix) of what is wrong with one value, or None."""
    if _is_missing(value):
        return _with_label(spec, REQUIRED_MESSAGE) if spec.required else None
    try:
        spec.check_for(action, value)
    except FieldError as error:
        return _with_label(spec, error.message)
    return None


def _general(spec: FieldSpec, message: str) -> Problem:
    return Problem(message=message, key=spec.key, section=Section.GENERAL)


def validate_general(action: Action) -> list[Problem]:
    """What is wrong with the general data of the action (no session rule here)."""
    problems: list[Problem] = []
    for spec in ACTION_FIELDS:
        value = action.get(spec.key)
        if spec.applies_to(action):
            message = _check_field(spec, value, action)
            if message is not None:
                problems.append(_general(spec, message))
    flagged = {p.key for p in problems}

    # Certifiante = non ⇒ no certification (certifiante = oui ⇒ certifications is the required
    # field above, since it only applies then).
    certifications = action_field("certifications")
    if action.certifiante is False and not _is_missing(action.certifications):
        problems.append(_general(certifications, _with_label(
            certifications,
            "une formation non certifiante ne vise aucune certification : retirez les codes, "
            "ou répondez « oui » à « Formation certifiante ? ».",
        )))

    # Total hours: centre + entreprise > 0.
    if (
        "heures_centre" not in flagged
        and "heures_entreprise" not in flagged
        and isinstance(action.heures_centre, int)
        and action.heures_total is not None
        and action.heures_total <= 0
    ):
        centre = action_field("heures_centre")
        problems.append(_general(centre, _with_label(
            centre,
            "le nombre total d'heures (en centre et en entreprise) doit être supérieur à 0.",
        )))

    # Région rule 4: the action is created for purchase order no. 1 only.
    if action.funder.purchase_order and "numero_bon_commande" not in flagged:
        problems.extend(_bon_commande(action))
    return problems


def _bon_commande(action: Action) -> list[Problem]:
    number = action.numero_bon_commande
    if number is None or number == 1:
        return []
    spec = action_field("numero_bon_commande")
    return [_general(spec, _with_label(spec, f"n° {number} : {BON_COMMANDE_MESSAGE}"))]


def general_blocks_sessions(action: Action) -> list[Problem]:
    """The errors in the general data, which must be fixed before the first session is added."""
    return validate_general(action)


def session_addition_problems(action: Action) -> list[Problem]:
    """Why no session may be added to the action now (empty: one may), for every path that adds
    one (the sessions screen, the récapitulatif…): the errors in the general data first (the
    guide: « vous devez les corriger avant de pouvoir ajouter la première session »), else the
    cap of ``MAX_SESSIONS``."""
    problems = general_blocks_sessions(action)
    if problems:
        return problems
    too_many = session_limit(action)
    return [too_many] if too_many is not None else []


def _session_prefix(index: int) -> str:
    return f"Session n° {index + 1} : "


def _session_problem(index: int, key: str | None, message: str) -> Problem:
    return Problem(
        message=_session_prefix(index) + message,
        key=key,
        session=index + 1,
        section=Section.SESSION,
    )


def validate_session(action: Action, index: int) -> list[Problem]:
    """What is wrong with session ``index`` (0-based) of the action; messages name « Session n° … »."""
    session: Session = action.sessions[index]
    problems: list[Problem] = []
    for spec in SESSION_FIELDS:
        if not spec.applies_to(action):
            continue
        message = _check_field(spec, session.get(spec.key))
        if message is not None:
            problems.append(_session_problem(index, spec.key, message))
    flagged = {p.key for p in problems}

    if (
        session.debut is not None
        and session.fin is not None
        and not {"debut", "fin"} & flagged
        and session.fin < session.debut
    ):
        problems.append(_session_problem(
            index, "fin",
            f"la date de fin ({fmt_date(session.fin)}) ne peut pas précéder "
            f"la date de début ({fmt_date(session.debut)}).",
        ))
    start, end = session.inscription_debut, session.inscription_fin
    if (
        start is not None
        and end is not None
        and not {"inscription_debut", "inscription_fin"} & flagged
        and end < start
    ):
        problems.append(_session_problem(
            index, "inscription_fin",
            f"la fin de la période d'inscription ({fmt_date(end)}) ne peut pas précéder "
            f"son début ({fmt_date(start)}).",
        ))
    return problems


def validate_region_dates(action: Action) -> list[Problem]:
    """The Région rules (guide, « Attention : pour les actions financées par la Région »).

    1. The first day of the first session (earliest ``debut``) falls in ``semestre_debut``.
    2. and 3. The last day of every session is at most 18 months after the first day of the first
       session (``region_end_limit``); each session ending later is named.
    4. The action is created for purchase order no. 1 only.
    Sessions without dates are left to ``validate_session``.
    """
    if not action.funder.purchase_order:
        return []
    problems: list[Problem] = []
    dated = [(i, s.debut) for i, s in enumerate(action.sessions) if s.debut is not None]
    if dated:
        first_index, first_day = min(dated, key=lambda item: (item[1], item[0]))
        semester = (action.semestre_debut or "").strip()
        bounds = semester_bounds(semester)
        if bounds is not None and not bounds[0] <= first_day <= bounds[1]:
            problems.append(_session_problem(
                first_index, "debut",
                f"le premier jour de la première session ({fmt_date(first_day)}) doit se situer "
                f"dans le semestre de début prévu au bon de commande ({semester} : "
                f"du {fmt_date(bounds[0])} au {fmt_date(bounds[1])}).",
            ))
        limit = region_end_limit(first_day)
        for index, session in enumerate(action.sessions):
            if session.fin is None or session.fin <= limit:
                continue
            if len(action.sessions) == 1:
                reference = f"la date de début de l'action ({fmt_date(first_day)})"
            else:
                reference = (
                    f"le premier jour de la première session ({fmt_date(first_day)}, "
                    f"session n° {first_index + 1})"
                )
            problems.append(_session_problem(
                index, "fin",
                f"la date de fin ({fmt_date(session.fin)}) dépasse de plus de 18 mois {reference} : "
                f"elle doit être au plus tard le {fmt_date(limit)}.",
            ))
    problems.extend(_bon_commande(action))
    return problems


def fiche_problems(organisation: Organisation) -> list[Problem]:
    """What keeps the fiche organisme from being complete: a required field (``*`` in FIELDS.md)
    missing, or a value that no longer passes its field's check, in the catalogue's order.

    An action can be confirmed only when this is empty (RULES.md): the confirmation asks for these
    fields first, in the conversation.
    """
    problems: list[Problem] = []
    for spec in ORGANISATION_FIELDS:
        message = _check_field(spec, organisation.get(spec.key))
        if message is not None:
            problems.append(Problem(message=message, key=spec.key, section=Section.ORGANISME))
    return problems


def session_limit(action: Action, adding: int = 1) -> Problem | None:
    """Why ``adding`` more sessions would take the action beyond ``MAX_SESSIONS`` (None: it may)."""
    count = len(action.sessions)
    if count + adding <= MAX_SESSIONS:
        return None
    return Problem(
        message=TOO_MANY_SESSIONS_MESSAGE.format(max=MAX_SESSIONS, count=count),
        section=Section.SESSION,
    )


def validate_action(action: Action, today: date) -> list[Problem]:
    """Everything that keeps the action from being confirmed on ``today`` (empty: it may be)."""
    problems = validate_general(action)
    if not action.sessions:
        problems.append(Problem(message=NO_SESSION_MESSAGE, section=Section.SESSION))
    for index in range(len(action.sessions)):
        problems.extend(validate_session(action, index))
    too_many = session_limit(action, adding=0)
    if too_many is not None:
        problems.append(too_many)
    problems.extend(validate_region_dates(action))
    if any(s.debut is not None for s in action.sessions) and not is_public(action, today):
        if action.is_permanent_or_modular:
            why = "la dernière session est déjà terminée"
        else:
            why = "aucune session n'est à venir (toutes ont déjà commencé)"
        problems.append(Problem(
            message=(
                f"L'action serait archivée dès sa confirmation : {why}. "
                "Ajoutez une session à venir ou corrigez les dates."
            ),
            key="debut",
            section=Section.SESSION,
        ))
    # Rules checked from two places (bon de commande) are reported once.
    return list(dict.fromkeys(problems))
