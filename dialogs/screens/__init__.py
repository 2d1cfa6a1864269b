"""The screens of the conversation; importing this package registers them all."""

from dialogs.screens import (  # noqa: F401
    backoffice,
    catalogue,
    dates,
    fiche,
    form,
    justification,
    menu,
    merge,
    recap,
    session_update,
    staff,
    staff_edit,
    staff_organisation,
    staff_sessions,
    taken_over,
    template,
    validator,
)
