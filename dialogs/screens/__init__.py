"""The screens of the conversation; importing this package registers them all."""

from dialogs.screens import dates, fiche, form, menu, recap  # noqa: F401
