"""The life of an action: which operations each status allows, and the transitions.

Each transition checks that it is allowed (else ``OperationRefused``, with a French message saying
why), mutates the action and returns the events it emits. The caller saves the action and publishes
the events in the same unit of work.

Choices where the guide is silent (see ``RULES.md``):

- The organisation may view a submitted or approved action (read-only).
- A returned action may be modified and confirmed again (not deleted); confirming it clears the
  Carif-Oref's comment.
- Approval: Pôle emploi and Agefiph (their validators, or the Carif-Oref for them) approve or refuse;
  an État action is approved only once its justification is marked received; a Région action is
  approved by recording the commission permanente's vote (``record_vote``), not by ``approve``.
- Publication is from « approved »; also straight from « submitted » for Pôle emploi and Agefiph,
  whose validation is optional (the Carif-Oref may approve without them). État and Région actions
  must be approved first (justification received / vote recorded).
- Archiving (the daily sweep) applies to published actions that are no longer public
  (``domain.archiving``); ``archived_on`` is the sweep's day.
- A published action's sessions may be updated (``UPDATE_DATES``: dates, recruitment, places,
  registration; ``domain.sessions``) and, as part of modifying, a draft's or returned one's; only
  published actions emit ``SESSION_DATES_CHANGED``.
- What a write of the organisation may change (``organisation_change_refusal``, enforced by the
  organisation-scoped repository): a draft or returned action, any field of its working copy (and
  its status only by ``confirm``); a published one, only what RULES.md « Sessions after
  publication » lists (``SESSION_KEYS_AFTER_PUBLICATION``) in its existing sessions; the État
  justification document while the document flow takes one (``may_attach_justification``);
  anything else, nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from domain.archiving import is_public, visible_to_organisation
from domain.catalogue import ACTION_FIELDS, SESSION_FIELDS
from domain.errors import ActionInvalid, ChangeNotAllowed, OperationRefused
from domain.events import (
    Approved,
    Archived,
    Confirmed,
    Event,
    JustificationReceived,
    Published,
    Refused,
    Returned,
)
from domain.funders import Circuit, Funder
from domain.models import Action, Document, Status
from domain.rules import validate_action


class Operation(StrEnum):
    # Organisation side.
    VIEW = "view"
    MODIFY = "modify"
    CONFIRM = "confirm"
    DELETE = "delete"
    COPY = "copy"
    UPDATE_DATES = "update_dates"
    # Carif-Oref staff and funders' validators.
    APPROVE = "approve"
    REFUSE = "refuse"
    RETURN = "return"
    PUBLISH = "publish"
    MARK_JUSTIFICATION = "mark_justification"
    RECORD_VOTE = "record_vote"
    ARCHIVE = "archive"


ORGANISATION_OPERATIONS = frozenset({
    Operation.VIEW, Operation.MODIFY, Operation.CONFIRM, Operation.DELETE, Operation.COPY,
    Operation.UPDATE_DATES,
})
STAFF_OPERATIONS = frozenset(Operation) - ORGANISATION_OPERATIONS

_EDITABLE = frozenset({Status.DRAFT, Status.RETURNED})

_VERBS = {
    Operation.VIEW: "consulter cette action",
    Operation.MODIFY: "modifier cette action",
    Operation.CONFIRM: "confirmer cette action",
    Operation.DELETE: "supprimer cette action",
    Operation.COPY: "copier cette action",
    Operation.UPDATE_DATES: "mettre à jour les sessions de cette action",
    Operation.APPROVE: "valider cette action",
    Operation.REFUSE: "refuser cette action",
    Operation.RETURN: "renvoyer cette action pour correction",
    Operation.PUBLISH: "publier cette action",
    Operation.MARK_JUSTIFICATION: "marquer le justificatif comme reçu",
    Operation.RECORD_VOTE: "enregistrer le vote de la Région pour cette action",
    Operation.ARCHIVE: "archiver cette action",
}


def _in_status(action: Action, operation: Operation, *statuses: Status) -> str | None:
    if action.status in statuses:
        return None
    return f"Impossible de {_VERBS[operation]} : elle est « {action.status.label} »."


def refusal(action: Action, operation: Operation, today: date | None = None) -> str | None:
    """Why ``operation`` is not allowed on ``action`` now (French), or None when it is.

    ``today`` is needed for the date-dependent operations (viewing or copying an archived action,
    archiving); without it their date condition is not checked.
    """
    status = action.status
    if operation is Operation.VIEW:
        if status is Status.ARCHIVED and today is not None and not visible_to_organisation(action, today):
            return "Cette action est archivée depuis plus d'un an : elle n'est plus consultable."
        return None
    if operation in (Operation.MODIFY, Operation.CONFIRM):
        if status in _EDITABLE:
            return None
        if status is Status.SUBMITTED or status is Status.APPROVED:
            return (
                f"Impossible de {_VERBS[operation]} : elle a été confirmée et elle est "
                f"« {status.label} »."
            )
        return _in_status(action, operation, *_EDITABLE)
    if operation is Operation.DELETE:
        return _in_status(action, operation, Status.DRAFT)
    if operation is Operation.COPY:
        # The guide: « si le financeur est la Région et si l'action existe en publication ou en
        # archivage » (the funders' table says which funders' actions can be copied).
        if (reason := _in_status(action, operation, Status.PUBLISHED, Status.ARCHIVED)) is not None:
            return reason
        if not action.funder.copyable:
            return "Seules les actions financées par la Région peuvent être copiées."
        return refusal(action, Operation.VIEW, today)
    if operation is Operation.UPDATE_DATES:
        return _in_status(action, operation, Status.PUBLISHED)
    if operation is Operation.APPROVE:
        if action.funder.circuit is Circuit.VOTE:
            return (
                "Une action financée par la Région est validée par le vote de la commission "
                "permanente : enregistrez ce vote."
            )
        if (reason := _in_status(action, operation, Status.SUBMITTED)) is not None:
            return reason
        if action.funder.circuit is Circuit.JUSTIFICATION and not action.justificatif_recu:
            return (
                "Impossible de valider cette action : le justificatif de financement (convention, "
                "accord de subvention…) n'a pas encore été reçu par le Carif-Oref."
            )
        return None
    if operation is Operation.REFUSE:
        return _in_status(action, operation, Status.SUBMITTED)
    if operation is Operation.RETURN:
        return _in_status(action, operation, Status.SUBMITTED, Status.APPROVED)
    if operation is Operation.PUBLISH:
        if status is Status.SUBMITTED and action.funder.circuit is Circuit.VALIDATORS:
            return None
        if status is Status.SUBMITTED:
            if action.funder.circuit is Circuit.VOTE:
                return "Impossible de publier cette action : le vote de la Région n'est pas enregistré."
            return (
                "Impossible de publier cette action : elle doit d'abord être validée "
                "(justificatif de financement reçu)."
            )
        return _in_status(action, operation, Status.APPROVED)
    if operation is Operation.MARK_JUSTIFICATION:
        if action.funder.circuit is not Circuit.JUSTIFICATION:
            return "Seules les actions financées par l'État demandent un justificatif de financement."
        if action.justificatif_recu:
            return "Le justificatif de financement de cette action est déjà marqué comme reçu."
        return _in_status(action, operation, Status.DRAFT, Status.RETURNED, Status.SUBMITTED)
    if operation is Operation.RECORD_VOTE:
        if action.funder.circuit is not Circuit.VOTE:
            return "Seules les actions financées par la Région sont validées par un vote."
        return _in_status(action, operation, Status.SUBMITTED)
    if operation is Operation.ARCHIVE:
        if (reason := _in_status(action, operation, Status.PUBLISHED)) is not None:
            return reason
        if today is not None and is_public(action, today):
            return "Cette action a encore une session à venir : elle reste publiée."
        return None
    raise AssertionError(operation)  # pragma: no cover


def ensure_allowed(action: Action, operation: Operation, today: date | None = None) -> None:
    """Raise ``OperationRefused`` (with the reason) unless ``operation`` is allowed now."""
    reason = refusal(action, operation, today)
    if reason is not None:
        raise OperationRefused(reason)


def allowed_operations(action: Action, today: date) -> frozenset[Operation]:
    """What the organisation may do with its action on ``today`` (the table of ``RULES.md``)."""
    return frozenset(op for op in ORGANISATION_OPERATIONS if refusal(action, op, today) is None)


def staff_operations(action: Action, today: date) -> frozenset[Operation]:
    """What the Carif-Oref staff may do with the action on ``today`` (besides viewing it)."""
    return frozenset(op for op in STAFF_OPERATIONS if refusal(action, op, today) is None)


def funder_can_decide(funder: Funder, action: Action) -> bool:
    """Whether a validator of ``funder`` may approve or refuse ``action`` now."""
    return action.funder is funder and action.status is Status.SUBMITTED


def _required_text(text: str, message: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise OperationRefused(message)
    return cleaned


# Organisation side -------------------------------------------------------------------------------


def confirm(action: Action, today: date, now: datetime) -> list[Event]:
    """« Confirmer (valider la proposition) »: draft or returned → submitted, if the action is valid."""
    ensure_allowed(action, Operation.CONFIRM, today)
    problems = validate_action(action, today)
    if problems:
        raise ActionInvalid(problems)
    action.status = Status.SUBMITTED
    action.confirmed_at = now
    action.staff_comment = None
    return [Confirmed(action.id, action.organisation_id, funder=action.funder.value,
                      reference=action.reference or None)]


def ensure_can_delete(action: Action) -> None:
    """Only a draft may be deleted."""
    ensure_allowed(action, Operation.DELETE)


def copy_action(source: Action, today: date) -> Action:
    """A new draft with the general data of ``source`` but what changes with each purchase order
    (``FieldSpec.per_order``: its number and start semester, asked again); no sessions, references
    or history.

    Allowed for a published or archived action (still visible) of a funder whose actions can be
    copied (the Région).
    """
    ensure_allowed(source, Operation.COPY, today)
    values = {spec.key: source.get(spec.key) for spec in ACTION_FIELDS if not spec.per_order}
    return Action(
        organisation_id=source.organisation_id,
        funder=source.funder,
        copied_from=source.id,
        **values,
    )


# Funders' validators and Carif-Oref staff --------------------------------------------------------


def approve(action: Action) -> list[Event]:
    """The funder's approval (Pôle emploi, Agefiph; État once the justification is received)."""
    ensure_allowed(action, Operation.APPROVE)
    action.status = Status.APPROVED
    return [Approved(action.id, action.organisation_id)]


def refuse(action: Action, reason: str) -> list[Event]:
    """The funder refuses: submitted → refused, with a reason the organisation will read."""
    ensure_allowed(action, Operation.REFUSE)
    cleaned = _required_text(reason, "Indiquez le motif du refus : il sera transmis à l'organisme.")
    action.status = Status.REFUSED
    action.refusal_reason = cleaned
    return [Refused(action.id, action.organisation_id, reason=cleaned)]


def return_for_correction(action: Action, comment: str) -> list[Event]:
    """The Carif-Oref sends the action back (submitted or approved → returned) with a comment."""
    ensure_allowed(action, Operation.RETURN)
    cleaned = _required_text(
        comment, "Indiquez ce que l'organisme doit corriger : ce commentaire lui sera transmis."
    )
    action.status = Status.RETURNED
    action.staff_comment = cleaned
    return [Returned(action.id, action.organisation_id, comment=cleaned)]


def publish(action: Action, reference_carif: str, now: datetime) -> list[Event]:
    """The Carif-Oref publishes the action under its reference (see the module's choices)."""
    ensure_allowed(action, Operation.PUBLISH)
    reference = _required_text(reference_carif, "Indiquez la référence Carif-Oref de l'action.")
    action.status = Status.PUBLISHED
    action.reference_carif = reference
    action.published_at = now
    return [Published(action.id, action.organisation_id, reference_carif=reference)]


def mark_justification(action: Action) -> list[Event]:
    """The Carif-Oref has received the État justification (before or after confirmation)."""
    ensure_allowed(action, Operation.MARK_JUSTIFICATION)
    action.justificatif_recu = True
    return [JustificationReceived(action.id, action.organisation_id)]


def attach_justification(action: Action, document: Document) -> list[Event]:
    """The organisation sends the État justification: the document is kept on the action, and the
    Carif-Oref is told (with the file)."""
    action.justificatif = document
    return [JustificationReceived(action.id, action.organisation_id, file_name=document.file_name or "",
                                  file_id=document.file_id)]


def justification_locked(action: Action) -> bool:
    """Whether the organisation may no longer send or replace the action's État justification.

    Once the Carif-Oref marked it received, the document on file is the one it checked, and the
    one the approval rests on: a new one is refused (the organisation writes to the Carif-Oref,
    which then handles it), rather than swapped in unseen. (choice)
    """
    return action.justificatif_recu


def record_vote(action: Action) -> list[Event]:
    """The Région's commission permanente financed the action: submitted → approved."""
    ensure_allowed(action, Operation.RECORD_VOTE)
    action.status = Status.APPROVED
    return [Approved(action.id, action.organisation_id, via="vote")]


def archive(action: Action, today: date) -> list[Event]:
    """The daily sweep: a published action with no session to come any more → archived."""
    ensure_allowed(action, Operation.ARCHIVE, today)
    action.status = Status.ARCHIVED
    action.archived_on = today
    return [Archived(action.id, action.organisation_id, archived_on=today)]


# What a write of the organisation may change -----------------------------------------------------

# RULES.md « Sessions after publication »: what the organisation may update on a published action.
SESSION_KEYS_AFTER_PUBLICATION = frozenset({
    "debut", "fin", "etat_recrutement", "places", "inscription_debut", "inscription_fin",
    "modalites_inscription",
})
# The content of an action: every catalogue field of the general data (the justification
# document included) and the sessions.
CONTENT_KEYS: tuple[str, ...] = tuple(spec.key for spec in ACTION_FIELDS)
SESSION_KEYS: tuple[str, ...] = ("id", *(spec.key for spec in SESSION_FIELDS))
# Set by the lifecycle's transitions (and the staff's operations), never by an organisation's edit.
LIFECYCLE_KEYS: tuple[str, ...] = (
    "status", "confirmed_at", "published_at", "archived_on", "reference_carif", "reference_ofaa",
    "staff_comment", "refusal_reason", "justificatif_recu", "copied_from",
)
IDENTITY_KEYS: tuple[str, ...] = ("organisation_id", "funder")
# Where the form was left (« Sauvegarder »): the organisation's, while it may modify the action.
FORM_KEYS: tuple[str, ...] = ("resume_at",)
# ``id``, ``version``, ``reference``, ``created_at`` and ``updated_at`` belong to the storage.
_CONFIRM_KEYS = frozenset({"status", "confirmed_at", "staff_comment"})


def changes(stored: Action, proposed: Action) -> tuple[str, ...]:
    """What ``proposed`` changes in ``stored``: field keys, ``sessions`` when sessions are added,
    removed or reordered, and ``sessions[i].key`` for a field of the i-th (0-based) session."""
    changed = [
        key for key in (*IDENTITY_KEYS, *LIFECYCLE_KEYS, *CONTENT_KEYS, *FORM_KEYS)
        if stored.get(key) != proposed.get(key)
    ]
    before, after = stored.sessions, proposed.sessions
    if len(before) != len(after) or any(
        b.id != a.id for b, a in zip(before, after, strict=True)
    ):
        changed.append("sessions")
    else:
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            changed += [f"sessions[{i}].{key}" for key in SESSION_KEYS if b.get(key) != a.get(key)]
    return tuple(changed)


def may_attach_justification(action: Action) -> bool:
    """Whether the organisation may send (or replace) the État justification document now."""
    return action.funder.circuit is Circuit.JUSTIFICATION and action.status is not Status.ARCHIVED


def _session_key(change: str) -> str | None:
    if change.startswith("sessions[") and "]." in change:
        return change.split("].", 1)[1]
    return None


def _is_confirmation(stored: Action, proposed: Action, lifecycle_changes: set[str],
                     today: date | None) -> bool:
    return (
        stored.status in _EDITABLE
        and proposed.status is Status.SUBMITTED
        and lifecycle_changes <= _CONFIRM_KEYS
        and proposed.confirmed_at is not None
        and proposed.staff_comment is None
        and (today is None or not validate_action(proposed, today))
    )


def organisation_change_refusal(
    stored: Action | None, proposed: Action, today: date | None = None
) -> str | None:
    """Why the organisation may not store ``proposed`` over ``stored`` (French), or None.

    ``stored`` None is a new action: it is compared with a blank draft of the same organisation
    and funder (a copy keeps ``copied_from``). The status changes only by ``confirm`` (draft or
    returned → submitted, and, when ``today`` is given, only if the action is valid).
    """
    if stored is None:
        stored = Action(organisation_id=proposed.organisation_id, funder=proposed.funder,
                        copied_from=proposed.copied_from)
    changed = changes(stored, proposed)
    if not changed:
        return None
    if any(key in IDENTITY_KEYS for key in changed):
        return "Impossible de changer l'organisme ou le financeur d'une action."
    lifecycle_changes = {key for key in changed if key in LIFECYCLE_KEYS}
    if lifecycle_changes and not _is_confirmation(stored, proposed, lifecycle_changes, today):
        if stored.status in _EDITABLE and proposed.status is Status.SUBMITTED:
            return "Impossible de confirmer cette action : elle n'est pas complète."
        return (
            "Impossible de changer l'état de cette action : seuls le Carif-Oref et les "
            "financeurs le font."
        )
    if stored.status in _EDITABLE:
        return None
    content = [key for key in changed if key not in LIFECYCLE_KEYS]
    published = stored.status is Status.PUBLISHED
    refused = [
        key for key in content
        if not (key == "justificatif" and may_attach_justification(stored))
        and not (published and _session_key(key) in SESSION_KEYS_AFTER_PUBLICATION)
    ]
    if not refused:
        return None
    if published:
        return (
            "Impossible de modifier cette action publiée : seules les sessions (dates, état du "
            "recrutement, nombre de places, période et modalités d'inscription) peuvent être "
            "mises à jour."
        )
    return f"Impossible de modifier cette action : elle est « {stored.status.label} »."


def ensure_organisation_may_store(
    stored: Action | None, proposed: Action, today: date | None = None
) -> None:
    """Raise ``ChangeNotAllowed`` unless the organisation may store ``proposed`` over ``stored``."""
    reason = organisation_change_refusal(stored, proposed, today)
    if reason is not None:
        base = stored or Action(organisation_id=proposed.organisation_id, funder=proposed.funder)
        raise ChangeNotAllowed(reason, changes(base, proposed))


def organisation_may_modify(action: Action) -> bool:
    """Whether the organisation's form (its working copy of every field) may still be saved."""
    return action.status in _EDITABLE


def organisation_may_delete(stored: Action) -> bool:
    return refusal(stored, Operation.DELETE) is None
