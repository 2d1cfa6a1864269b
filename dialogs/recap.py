"""The récapitulatif of an action: data grouped as in the guide, as messages or as a PDF."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dialogs.io import PendingDocument
from dialogs.render import render, split_message, text
from domain.catalogue import SESSION_FIELDS, action_fields_for, organisation_field
from domain.errors import Problem
from domain.models import Action, Organisation


@dataclass(frozen=True, slots=True)
class Row:
    label: str
    value: str
    key: str

    @property
    def required(self) -> bool:
        """A required field: its label ends with « * », as in FIELDS.md."""
        return self.label.endswith("*")

    @property
    def name(self) -> str:
        """The label without its « * » (the printed recap marks required fields its own way)."""
        return self.label.removesuffix("*").rstrip()


@dataclass(frozen=True, slots=True)
class Group:
    title: str
    rows: tuple[Row, ...]


@dataclass(frozen=True, slots=True)
class Responsible:
    """The recap's header, as in the guide: the « organisme responsable ou gestionnaire de
    l'action », its Carif-Oref reference, its siège and its contact (formatted; "—" if unknown)."""

    name: str | None
    reference_carif: str | None
    siege: str
    contact: str


def responsible(organisation: Organisation | None) -> Responsible | None:
    if organisation is None:
        return None
    return Responsible(
        name=organisation.nom_organisme or organisation.raison_sociale,
        reference_carif=organisation.reference_carif,
        siege=organisation_field("adresse").format(organisation.adresse),
        contact=organisation_field("contact").format(organisation.contact),
    )


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


def part_rows(action: Action, kind: str, index: int) -> tuple[str, tuple[Row, ...]]:
    """The title and the rows of one part of the recap: session ``index`` (0-based) when ``kind``
    is "session" and it exists, else the general data's group ``index``."""
    if kind == "session" and index < len(action.sessions):
        return str(text("session_title", number=index + 1)), session_rows(action)[index]
    groups = general_groups(action)
    group = groups[min(index, len(groups) - 1)]
    return group.title, group.rows



def _context(action: Action, problems: list[Problem], organisation: Organisation | None) -> dict[str, object]:
    return {
        "action": action,
        "groups": general_groups(action),
        "sessions": session_rows(action),
        "problems": [p.message for p in problems],
        "org": responsible(organisation),
    }


def recap_text(action: Action, problems: list[Problem], *, organisation: Organisation | None) -> str:
    return render("recap.j2", **_context(action, problems, organisation))


def recap_messages(action: Action, problems: list[Problem], *, organisation: Organisation | None) -> list[str]:
    """The recap split into messages that each fit Telegram's limit."""
    return split_message(recap_text(action, problems, organisation=organisation))


def recap_pdf(
    action: Action, problems: list[Problem], *, organisation: Organisation | None, printed_on: date
) -> PendingDocument:
    """The recap as a document one files (« 🖨 Imprimer »): A4, a header (the organisation, the
    action's number, funder and status, the date printed), the problems still to fix in a box on
    the first page, each part as a table (label, value) with the required fields marked, « page
    1/2 » at the foot. The page to render, not the PDF itself: WeasyPrint runs later, after the
    step's commit and in a worker (``dialogs.printing``)."""
    page = render("recap_pdf.j2", printed_on=printed_on, **_context(action, problems, organisation))
    name = f"recapitulatif-{action.reference or 'nouvelle-action'}.pdf"
    return PendingDocument(html=page, file_name=name, mime_type="application/pdf")
