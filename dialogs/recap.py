"""The récapitulatif of an action: data grouped as in the guide, as messages or as a PDF."""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.io import PendingDocument
from dialogs.render import render, split_message
from domain.catalogue import SESSION_FIELDS, action_fields_for
from domain.errors import Problem
from domain.models import Action


@dataclass(frozen=True, slots=True)
class Row:
    label: str
    value: str
    key: str


@dataclass(frozen=True, slots=True)
class Group:
    title: str
    rows: tuple[Row, ...]


def general_groups(action: Action) -> list[Group]:
    order: dict[str, list[Row]] = {}
    for spec in action_fields_for(action):
        value = action.get(spec.key)
        order.setdefault(spec.group, []).append(
            Row(spec.display_label, spec.format(value), spec.key)
        )
    return [Group(title, tuple(rows)) for title, rows in order.items()]


def session_rows(action: Action) -> list[tuple[Row, ...]]:
    return [
        tuple(Row(spec.display_label, spec.format(s.get(spec.key)), spec.key) for spec in SESSION_FIELDS)
        for s in action.sessions
    ]


def recap_text(action: Action, problems: list[Problem], *, organisation_name: str | None) -> str:
    return render(
        "recap.j2",
        action=action,
        groups=general_groups(action),
        sessions=session_rows(action),
        problems=[p.message for p in problems],
        organisation_name=organisation_name,
    )


def recap_messages(action: Action, problems: list[Problem], *, organisation_name: str | None) -> list[str]:
    """The recap split into messages that each fit Telegram's limit."""
    return split_message(recap_text(action, problems, organisation_name=organisation_name))


def recap_pdf(action: Action, problems: list[Problem], *, organisation_name: str | None) -> PendingDocument:
    """The same recap as a PDF document (« 🖨 Imprimer »): the page to render, not the PDF itself.

    WeasyPrint runs later, after the step's commit and in a worker (``dialogs.printing``)."""
    body = recap_text(action, problems, organisation_name=organisation_name)
    page = render("recap_pdf.j2", body=body, action=action)
    name = f"recapitulatif-{action.reference or 'nouvelle-action'}.pdf"
    return PendingDocument(html=page, file_name=name, mime_type="application/pdf")
