"""The form walk: which field comes next, the working copy, and how an answer is applied.

Everything here works on the catalogue (``domain.catalogue``): no field has a handler of its own.
"""

from __future__ import annotations

import re
from typing import Any

from dialogs.render import macro_text, text
from dialogs.state import DialogState, FormState, ScreenName
from domain.catalogue import (
    ORGANISATION_FIELDS,
    SESSION_FIELDS,
    FieldSpec,
    Kind,
    Section,
    action_field,
)
from domain.errors import FieldError
from domain.lifecycle import justification_locked
from domain.models import Action, Document, Organisation, Session
from domain.parsing import (
    parse_address_lines,
    parse_code_postal,
    parse_email,
    parse_person_name,
    parse_phone,
    parse_ville,
)
from domain.parsing.common import is_required
from domain.values import Address, Contact

JUSTIFICATION = "justificatif"  # the one document question of the catalogue

# Sub-steps of the composite kinds: (partial key, prompt template macro, optional?)
ADDRESS_STEPS = ("lignes", "code_postal", "ville")
CONTACT_STEPS = ("nom", "prenom", "telephone", "courriel")


def fields(form: FormState) -> tuple[FieldSpec, ...]:
    if form.section == Section.SESSION:
        return SESSION_FIELDS
    if form.section == Section.ORGANISME:
        return ORGANISATION_FIELDS
    return form.action_fields()


# Where a saved draft was left (``Action.resume_at``): a screen of the form, or a question.
AT_RECAP = "recap"
AT_SESSIONS = "sessions"
_RECAP_SCREENS = frozenset({ScreenName.RECAP, ScreenName.PICK_FIELD, ScreenName.CONFIRM_ASK})
_SESSION_QUESTION = re.compile(r"sessions\[(\d+)\]\.(\w+)")


def form_position(st: DialogState) -> str | None:
    """Where the user is in the action form (``Action.resume_at``): « recap », « sessions », the
    general field's key or « sessions[i].key »; the question is kept from any other screen."""
    form = st.form
    screen = st.quit_from if st.screen == ScreenName.QUIT_ASK else st.screen
    if screen == ScreenName.MERGE and form is not None:
        screen = form.save_from  # saved once the choices are made: where « Sauvegarder » was pressed
    if form is None or screen in _RECAP_SCREENS:
        return AT_RECAP
    if screen == ScreenName.SESSIONS:
        return AT_SESSIONS
    if form.key is None:
        return None
    if form.section == Section.SESSION:
        return f"sessions[{form.session_index}].{form.key}"
    return form.key


def reopen_at(form: FormState, resume_at: str | None) -> ScreenName:
    """Put ``form`` back where its draft was saved (``form_position``) and return the screen to
    show: the question, the sessions screen, or the récapitulatif (also when the position is
    unknown or no longer applies: a session removed, a field no longer asked)."""
    if resume_at == AT_SESSIONS:
        return ScreenName.SESSIONS
    if resume_at is None or resume_at == AT_RECAP:
        return ScreenName.RECAP
    section, index, key = Section.GENERAL, 0, resume_at
    if (match := _SESSION_QUESTION.fullmatch(resume_at)) is not None:
        section, index, key = Section.SESSION, int(match[1]), match[2]
        if index >= len(form.action_view().sessions):
            return ScreenName.RECAP
    probe = FormState(kind="action", draft=form.draft, section=section)
    if key not in [f.key for f in fields(probe)]:
        return ScreenName.RECAP
    form.section, form.session_index = section, index
    enter(form, key)
    return ScreenName.QUESTION


def spec_of(form: FormState) -> FieldSpec:
    for f in fields(form):
        if f.key == form.key:
            return f
    # The field stopped applying (an earlier answer changed): fall back to the first one.
    first = fields(form)[0]
    form.key = first.key
    return first


def position(form: FormState) -> tuple[int, int]:
    keys = [f.key for f in fields(form)]
    return (keys.index(form.key) + 1 if form.key in keys else 1), len(keys)


def enter(form: FormState, key: str) -> None:
    """Move the cursor to a field, starting its sub-steps afresh (and out of a part whose optional
    questions were passed, once in another part)."""
    form.key = key
    form.substep = 0
    form.partial = {}
    form.page = 0
    form.calendar = None
    spec = spec_of(form)
    if form.skip_part is not None and part_of(form, spec) != form.skip_part:
        form.skip_part = None
    if spec.kind is Kind.MULTI_CHOICE:
        form.partial["ticks"] = list(current_value(form, spec) or ())


def open_field(form: FormState, part: str, index: int, key: str, return_to: ScreenName) -> bool:
    """Put the cursor on field ``key`` of a part of the recap (session ``index`` when ``part`` is
    "session", else the general data), to come back to ``return_to`` after one answer; False
    (nothing changed but the section) when the part has no such field."""
    if part == "session":
        form.section = Section.SESSION
        form.session_index = index
    else:
        form.section = Section.GENERAL
    if key not in [f.key for f in fields(form)]:
        return False
    enter(form, key)
    form.return_to = return_to
    return True


def next_key(form: FormState) -> str | None:
    if form.queue is not None:
        return next_queued(form)
    keys = [f.key for f in fields(form)]
    if form.key not in keys:
        return keys[0] if keys else None
    for spec in fields(form)[keys.index(form.key) + 1 :]:
        if form.skip_part is None or not _skipped(form, spec):
            return spec.key
    return None


def _skipped(form: FormState, spec: FieldSpec) -> bool:
    """Whether « Passer les questions facultatives de cette partie » passes this question."""
    return part_of(form, spec) == form.skip_part and optional(spec)


def part_of(form: FormState, spec: FieldSpec) -> str:
    """The part of the form a question belongs to: a session, or a group of the general data."""
    return form.section if form.section != Section.GENERAL else f"{form.section}:{spec.group}"


def optional(spec: FieldSpec) -> bool:
    """A question that may be passed (« Passer »)."""
    return not (spec.required or is_required(spec))


def next_queued(form: FormState) -> str | None:
    """After a template: the next field still to ask (missing or refused), its error kept in
    ``queued_error``; None (and the usual order again) once all are asked."""
    assert form.queue is not None
    while form.queue:
        entry = form.queue.pop(0)
        key, _, index = entry.partition("@")
        if index:
            form.section, form.session_index = Section.SESSION, int(index)
        if any(f.key == key for f in fields(form)):  # an earlier answer may have made it moot
            form.queued_error = form.queue_errors.pop(entry, None)
            return key
    form.queue = None
    form.queue_errors = {}
    return None


def open_template(st: DialogState, form: FormState, origin: ScreenName) -> None:
    """« Tout saisir en un message »: the template of the form's part (set by the caller), from
    ``origin`` (where « Retour » goes back); nothing of an earlier template's flow is kept."""
    form.template_from, form.template_group, form.queue, form.queue_then = origin, None, None, None
    st.screen = ScreenName.TEMPLATE


def template_offered(form: FormState, pos: int) -> bool:
    """« Tout saisir en un message » on the first question of the action's parts."""
    return form.kind == "action" and pos == 1 and form.substep == 0 and not form.return_to


def previous_key(form: FormState) -> str | None:
    keys = [f.key for f in fields(form)]
    if form.key not in keys:
        return None
    i = keys.index(form.key)
    return keys[i - 1] if i > 0 else None


def current_value(form: FormState, spec: FieldSpec) -> Any:
    if form.section == Section.ORGANISME:
        return form.organisation().get(spec.key)
    action = form.action_view()
    if form.section == Section.SESSION:
        if form.session_index >= len(action.sessions):
            return None
        return action.sessions[form.session_index].get(spec.key)
    return action.get(spec.key)


def checked_justification(action: Action | None, document: Any) -> Document:
    """``document`` as the État justification of ``action`` (None: not chosen yet), on every path
    that attaches one (the form's question, a file sent anywhere): the checks of the catalogue's
    document question (type, size), and refused once the Carif-Oref marked it received. Raises
    FieldError with the message for the user."""
    if action is not None and justification_locked(action):
        reference = action.reference or ""
        raise FieldError(macro_text("backoffice_texts.j2", "justif_already_received", reference=reference),
                         key=JUSTIFICATION)
    checked: Document = action_field(JUSTIFICATION).check(document)
    return checked


def set_value(form: FormState, spec: FieldSpec, value: Any) -> None:
    """Store an accepted answer in the working copy (the caller persists the state)."""
    if spec.kind is Kind.DOCUMENT and form.kind == "action":
        # A received justification stays: neither replaced by another file nor removed (« Passer »).
        view = form.action_view()
        if justification_locked(view) and value != view.get(spec.key):
            checked_justification(view, value)  # raises: it may no longer change
    if form.section == Section.ORGANISME:
        org = form.organisation()
        org.set(spec.key, value)
        form.draft = org.model_dump(mode="json")
    else:
        action = form.action()
        if form.section == Section.SESSION:
            while len(action.sessions) <= form.session_index:
                action.sessions.append(Session())
            action.sessions[form.session_index].set(spec.key, value)
        else:
            action.set(spec.key, value)
        form.draft = action.model_dump(mode="json")
    form.dirty = True


def copies_from_organisation(source: str | None) -> bool:
    """Whether a shortcut's source is a field of the organisation (which must then be read)."""
    return source is not None and source.partition(".")[0] == "organisation"


def resolve_shortcut(source: str, action: Action | None, organisation: Organisation | None) -> Any:
    """The value a shortcut button copies (« Adresse de l'organisme », « Lieu de formation »…)."""
    owner, _, key = source.partition(".")
    if owner == "organisation" and organisation is not None:
        return organisation.get(key)
    if owner == "action" and action is not None:
        return action.get(key)
    return None


def substeps(spec: FieldSpec) -> tuple[str, ...]:
    if spec.kind is Kind.ADDRESS:
        return ADDRESS_STEPS
    if spec.kind is Kind.CONTACT:
        return CONTACT_STEPS
    return ()


def apply_substep(form: FormState, spec: FieldSpec, raw: str | None) -> Any | None:
    """Take one sub-step answer (None = « Passer »); returns the whole value once complete.

    The first sub-step also accepts the whole address or contact in one message.
    """
    steps = substeps(spec)
    step = steps[form.substep]
    if form.substep == 0 and raw is not None and _looks_complete(raw):
        return spec.parse(raw)
    if spec.kind is Kind.ADDRESS:
        if raw is None:
            raise FieldError(text("address_part_required"), key=spec.key)
        parsers = {"lignes": parse_address_lines, "code_postal": parse_code_postal, "ville": parse_ville}
        value: Any = parsers[step](raw)
        form.partial[step] = list(value) if isinstance(value, tuple) else value
    else:
        if raw is None:
            if step in ("nom",):
                raise FieldError(text("contact_name_required"), key=spec.key)
            form.partial[step] = None
        elif step in ("nom", "prenom"):
            form.partial[step] = parse_person_name(raw, "nom" if step == "nom" else "prénom")
        elif step == "telephone":
            form.partial[step] = parse_phone(raw)
        else:
            form.partial[step] = parse_email(raw)
    if form.substep + 1 < len(steps):
        form.substep += 1
        return None
    return _assemble(spec, form.partial)


def _assemble(spec: FieldSpec, partial: dict[str, Any]) -> Any:
    if spec.kind is Kind.ADDRESS:
        value: Any = Address(
            lignes=tuple(partial["lignes"]), code_postal=partial["code_postal"], ville=partial["ville"]
        )
    else:
        if not partial.get("telephone") and not partial.get("courriel"):
            raise FieldError(text("contact_needs_reach"), key=spec.key)
        value = Contact(
            nom=partial["nom"],
            prenom=partial.get("prenom"),
            telephone=partial.get("telephone"),
            courriel=partial.get("courriel"),
        )
    return spec.check(value)


def _looks_complete(raw: str) -> bool:
    """A whole address (a line with a 5-digit code postal) or contact (name + phone/e-mail)."""
    return bool(re.search(r"(^|[\n,])\s*\d{5}\s+\S", raw)) or (
        ("," in raw or "\n" in raw) and bool(re.search(r"@|\d{2}[ .]?\d{2}[ .]?\d{2}", raw))
    )


def session_period(session: Session) -> str:
    return text("period", debut=session.debut, fin=session.fin) if session.debut else ""
