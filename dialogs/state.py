"""The persisted state of one chat's conversation (stored as JSON through the ports)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from domain.catalogue import FieldSpec, action_fields_for
from domain.models import Action, Document, Organisation


class ScreenName(StrEnum):
    """Every screen of the dialogs. A StrEnum: a state stored with plain strings loads as is, and
    a misspelt name is an AttributeError at once (and a mypy error), never a silent trip home."""

    CATALOGUE = "catalogue"
    CHOOSE_ORG = "choose_org"
    CONFIRM_ASK = "confirm_ask"
    COPY_PICK = "copy_pick"
    CREATE = "create"
    DATES_INPUT = "dates_input"
    DATES_PICK_ACTION = "dates_pick_action"
    DATES_PICK_SESSION = "dates_pick_session"
    DELETE_ASK = "delete_ask"
    FICHE = "fiche"
    JUSTIF_PICK = "justif_pick"
    LIST = "list"
    MENU = "menu"
    MERGE = "merge"
    PICK_FIELD = "pick_field"
    QUESTION = "question"
    QUIT_ASK = "quit_ask"
    RECAP = "recap"
    REFUSE_ASK = "refuse_ask"
    REFUSE_REASON = "refuse_reason"
    SESSION_FIELD = "session_field"
    SESSIONS = "sessions"
    SESSION_TAKEN_OVER = "session_taken_over"
    STAFF_EDIT = "staff_edit"
    STAFF_LIST = "staff_list"
    STAFF_MENU = "staff_menu"
    STAFF_ORGANISATION = "staff_organisation"
    STAFF_ORDER = "staff_order"
    STAFF_PICK = "staff_pick"
    STAFF_PUBLISH = "staff_publish"
    STAFF_QUESTION = "staff_question"
    STAFF_RETURN = "staff_return"
    STAFF_SESSION = "staff_session"
    STAFF_VIEW = "staff_view"
    STAFF_VOTE = "staff_vote"
    TEMPLATE = "template"
    VALIDATOR_LIST = "validator_list"
    VALIDATOR_MENU = "validator_menu"
    VALIDATOR_VIEW = "validator_view"
    VIEW = "view"


def _screen_or(value: Any, fallback: ScreenName | None) -> ScreenName | None:
    """A stored screen name; one no longer known (renamed, removed) becomes ``fallback``."""
    if isinstance(value, ScreenName) or value is None:
        return value
    try:
        return ScreenName(value)
    except ValueError:
        return fallback


class FormState(BaseModel):
    """Where the user is in a form, and the working copy of what they are editing.

    The working copy holds every accepted answer (persisted after each step, so nothing is lost);
    the stored action changes only on « Sauvegarder », so « Quitter » can drop unsaved changes.
    """

    model_config = ConfigDict(extra="ignore")

    kind: str = "action"  # "action" | "organisation"
    draft: dict[str, Any] = Field(default_factory=dict)  # Action / Organisation as JSON
    section: str = "general"  # "general" | "session" | "organisme"
    key: str | None = None  # current field
    session_index: int = 0
    substep: int = 0
    partial: dict[str, Any] = Field(default_factory=dict)  # sub-step answers, ticks
    page: int = 0
    calendar: str | None = None  # "2027-03": the month the calendar shows
    return_to: ScreenName | None = None  # where to go after one answer (recap, sessions, fiche)
    single: bool = False  # answer one field then return
    dirty: bool = False  # changes since the last save
    confirm_quit: bool = False
    # The stored version the working copy started from (opened, last saved or merged): the base of
    # the three-way merge when « Sauvegarder » finds the action changed meanwhile. None: never saved.
    base: dict[str, Any] | None = None
    # Fields both sides changed, still to choose (``domain.merge.Conflict`` as JSON), and where to
    # go once chosen: "menu" (« Sauvegarder ») or "recap" (« Confirmer »: check, confirm again).
    conflicts: list[dict[str, Any]] = Field(default_factory=list)
    after_merge: ScreenName = ScreenName.MENU
    # « Sauvegarder » pressed on this screen met choices to make: once saved, back there.
    save_from: ScreenName | None = None
    # « Tout saisir en un message »: the screen the template was asked from (« Retour » goes back),
    # then the fields still to ask in turn once it is read ("key", or "key@index" for a session's;
    # None: the usual order), and the error to show with the next one asked.
    template_from: ScreenName | None = None
    queue: list[str] | None = None
    queue_errors: dict[str, str] = Field(default_factory=dict)
    queued_error: str | None = None
    template_group: str | None = None  # the template of one group of the general data (recap's part)
    queue_then: ScreenName | None = None  # where to go once the fields still to ask are asked
    # « Passer les questions facultatives de cette partie »: the part ("session", "general:<group>")
    # whose optional questions are not asked any more (None: every question is asked).
    skip_part: str | None = None

    # The working copy as an Action, validated once per draft (each answer replaces the draft).
    _view: tuple[dict[str, Any], Action] | None = PrivateAttr(default=None)
    _fields: tuple[dict[str, Any], tuple[FieldSpec, ...]] | None = PrivateAttr(default=None)

    def action(self) -> Action:
        """The working copy as a new Action, for a caller that changes it and stores it back."""
        return Action.model_validate(self.draft)

    def action_view(self) -> Action:
        """The working copy as an Action to read, never to change (a screen asks several times)."""
        view = self._view
        if view is None or view[0] is not self.draft:
            view = self._view = (self.draft, Action.model_validate(self.draft))
        return view[1]

    def action_fields(self) -> tuple[FieldSpec, ...]:
        """The general-data fields that apply to the working copy, worked out once per draft."""
        cached = self._fields
        if cached is None or cached[0] is not self.draft:
            cached = self._fields = (self.draft, action_fields_for(self.action_view()))
        return cached[1]

    def organisation(self) -> Organisation:
        return Organisation.model_validate(self.draft)


class DialogState(BaseModel):
    model_config = ConfigDict(extra="ignore")

    screen: ScreenName = ScreenName.MENU
    # The user's main menu: MENU (organisation), STAFF_MENU or VALIDATOR_MENU.
    home: ScreenName = ScreenName.MENU
    seq: int = 0  # bumps at each screen shown; buttons carry it, so an old button is detected
    organisation_id: int | None = None
    form: FormState | None = None
    error: str | None = None  # shown once above the next question
    notice: str | None = None  # shown once above the next screen
    list_status: str | None = None
    list_page: int = 0
    action_id: int | None = None  # the action being viewed / whose dates are updated
    session_index: int | None = None
    pending: str | None = None  # an awaited free-text answer outside forms (dates, reasons)
    funder_pick: str | None = None
    # What a flow keeps between two inputs (before, these were keys of an untyped ``extra`` dict:
    # a state stored then still loads, see ``_from_extra``).
    quit_from: ScreenName | None = None  # « Quitter » asked from this screen: « Non » goes back
    pending_document: Document | None = None  # a file sent outside a question, waiting for its action
    validator_funder: str | None = None  # the funder whose actions a validator is looking at
    refusal_reason: str | None = None  # the reason typed, shown back before « Oui, refuser »
    reference_carif: str | None = None  # the Carif-Oref reference typed instead of the proposed one
    fiche_base: dict[str, Any] | None = None  # the fiche as the user saw it when asked (JSON)
    fiche_then: ScreenName | None = None  # completing the fiche before a confirmation: back there
    parked_form: FormState | None = None  # the action form in progress during a fiche edit
    pick_kind: Literal["group", "session"] = "group"  # the part of the recap being corrected
    pick_index: int = 0
    new_debut: str | None = None  # a period's start typed alone (« 12/01/2027 »), the end still to come
    session_key: str | None = None  # the session field being updated or asked (« places »…)
    staff_session: dict[str, Any] | None = None  # the session staff are adding (JSON), its answers so far
    imported: list[int] = Field(default_factory=list)  # the drafts of the last catalogue sent (ids)
    # The buttons of the screen shown ("verb" or "verb:arg"): a pressed payload must be one of them
    # (``dialogs.router``); None for a state written before they were kept: any button is stale.
    buttons: list[str] | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_extra(cls, data: Any) -> Any:
        """A state stored before the flows' fields were typed: their ``extra`` keys become the
        fields; a screen name no longer known becomes the user's home."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        extra = data.pop("extra", None) or {}
        for old, new in _EXTRA_KEYS.items():
            if old in extra and new not in data:
                data[new] = extra[old]
        pick = extra.get("pick")
        if isinstance(pick, str) and "pick_kind" not in data:
            kind, _, index = pick.partition(":")
            data["pick_kind"] = "session" if kind == "session" else "group"
            data["pick_index"] = int(index) if index.isdigit() else 0
        home = _screen_or(data.get("home", ScreenName.MENU), ScreenName.MENU)
        data["home"] = home
        data["screen"] = _screen_or(data.get("screen", home), home)
        for key in ("quit_from", "fiche_then"):
            if key in data:
                data[key] = _screen_or(data[key], None)
        return data


# The keys of the former ``extra`` dict, and the field each became.
_EXTRA_KEYS = {
    "quit_from": "quit_from",
    "justif_document": "pending_document",
    "funder": "validator_funder",
    "reason": "refusal_reason",
    "reference_carif": "reference_carif",
    "fiche_base": "fiche_base",
    "fiche_then": "fiche_then",
    "parked_form": "parked_form",
    "new_debut": "new_debut",
}
