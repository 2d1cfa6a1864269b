"""The persisted state of one chat's conversation (stored as JSON through the ports)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from domain.catalogue import FieldSpec, action_fields_for
from domain.models import Action, Organisation


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
    return_to: str | None = None  # "recap" | "sessions" | "fiche": where to go after one answer
    single: bool = False  # answer one field then return
    dirty: bool = False  # changes since the last save
    confirm_quit: bool = False
    # The stored version the working copy started from (opened, last saved or merged): the base of
    # the three-way merge when « Sauvegarder » finds the action changed meanwhile. None: never saved.
    base: dict[str, Any] | None = None
    # Fields both sides changed, still to choose (``domain.merge.Conflict`` as JSON), and where to
    # go once chosen: "menu" (« Sauvegarder ») or "recap" (« Confirmer »: check, confirm again).
    conflicts: list[dict[str, Any]] = Field(default_factory=list)
    after_merge: str = "menu"

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

    screen: str = "menu"
    home: str = "menu"  # the user's main menu: "menu" (organisation), "staff_menu", "validator_menu"
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
    extra: dict[str, Any] = Field(default_factory=dict)
    # The buttons of the screen shown ("verb" or "verb:arg"): a pressed payload must be one of them
    # (``dialogs.router``); None for a state written before they were kept: any button is stale.
    buttons: list[str] | None = None
