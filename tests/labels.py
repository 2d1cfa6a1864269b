"""Button labels as the templates spell them: a test names the button, the template words it.

Renaming a button then changes one template, not every test that presses it. ``label`` is the
member's screens (``buttons.j2``), ``blabel`` the staff's and the validators' (``backoffice_buttons.j2``).
"""

from __future__ import annotations

from typing import Any

from dialogs.render import label, macro_text
from dialogs.screens.backoffice import blabel

__all__ = [
    "CHANGE_ORGANISATION",
    "KEEP_MINE",
    "KEEP_THEIRS",
    "NOTIFICATION_DATES",
    "PRINT_PREPARING",
    "RESUME",
    "blabel",
    "clabel",
    "label",
    "label_start",
]

# Labels the screens build from other templates than the two of buttons.
CHANGE_ORGANISATION = label("organisation", title=macro_text("texts.j2", "change_organisation"))
KEEP_MINE = macro_text("reload.j2", "keep_mine")
KEEP_THEIRS = macro_text("reload.j2", "keep_theirs")
NOTIFICATION_DATES = macro_text("notifications/labels.j2", "update_dates")
# The alert a « 🖨 Imprimer » answers at once (the callback answer, not a button).
PRINT_PREPARING = macro_text("texts.j2", "print_preparing")

_CUT = "\x00"


def clabel(name: str, **context: Any) -> str:
    """A button of the staff's corrections (« Corriger / coder »): the macro ``name`` of ``codification.j2``."""
    return macro_text("codification.j2", name, **context)


def label_start(name: str, argument: str, *, template: str = "buttons.j2", **context: Any) -> str:
    """The label ``name`` up to where its ``argument`` goes: « 📢 Oui, publier » for a button a test
    presses (by prefix) without knowing the value shown in it."""
    return macro_text(template, name, **{argument: _CUT}, **context).split(_CUT)[0].rstrip(" (")


# « ▶ Reprendre la saisie : » the start of the menu's button that resumes a form, whatever its title.
RESUME = label_start("resume", "title")
