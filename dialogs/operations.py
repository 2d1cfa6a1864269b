"""The French words of the back-office operations (``domain/services/backoffice.py``): the chat and
the command line call the services and render their typed refusals and vote reports here, from
``operations.j2`` (plain text: escape it before showing it as HTML)."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from dialogs.render import macro_text, render
from domain.errors import DomainError
from domain.services import codification
from domain.services.actors import UnknownAction
from domain.services.backoffice import (
    OrganisationReferenceTaken,
    ReferenceInvalid,
    ReferenceTaken,
    StaffOnly,
    TextTooLong,
    UnknownOrganisation,
    VoteEmpty,
    VoteLine,
    VoteOutcome,
    VoteReport,
)


def message(name: str, /, **context: Any) -> str:
    """A plain-text message of ``operations.j2`` (escape it before showing it as HTML)."""
    return macro_text("operations.j2", name, **context)


def describe(exc: DomainError) -> str:
    """The French text of a refusal: the services' typed ones from the templates, any other
    domain error's own message (the lifecycle's)."""
    match exc:
        case UnknownAction():
            return message("unknown_action", reference=exc.reference)
        case StaffOnly():
            return message("staff_only", verb=message(f"verb_{exc.verb}"))
        case TextTooLong():
            return message("text_too_long", limit=exc.limit)
        case ReferenceInvalid():
            return message("reference_invalid", reference=exc.reference)
        case ReferenceTaken():
            return message("reference_taken", reference=exc.reference, other=exc.other)
        case VoteEmpty():
            return message("vote_empty")
        case UnknownOrganisation():
            return message("unknown_organisation", organisation=exc.organisation_id)
        case OrganisationReferenceTaken():
            return message("organisation_reference_taken", reference=exc.reference,
                           other=exc.other_id, name=exc.other_name)
    return describe_codification(exc) or exc.message


def describe_codification(exc: DomainError) -> str | None:
    """The refusals of ``domain/services/codification.py`` (``codification.j2``), or None."""
    words = "codification.j2"
    match exc:
        case codification.NotCorrectable():
            return macro_text(words, "not_correctable", status=exc.status.label)
        case codification.FieldNotCorrectable():
            return macro_text(words, "field_not_correctable", keys=", ".join(exc.keys))
        case codification.UnknownField():
            return macro_text(words, "unknown_field", key=exc.key, session=exc.session)
        case codification.NothingToCorrect():
            return macro_text(words, "nothing_to_correct")
        case codification.NotAnOrderSource():
            return macro_text(words, "not_an_order_source", funder=exc.funder.label, status=exc.status.label,
                              region=exc.funder.purchase_order)
        case codification.OrderNumberTaken():
            return macro_text(words, "order_number_taken", number=exc.number, other=exc.other)
    return None


def line_message(line: VoteLine) -> str:
    """One line of the vote's report, plain French text."""
    a = line.action
    ref = a.reference if a is not None and a.reference else line.reference
    match line.outcome:
        case VoteOutcome.APPROVED:
            return message("vote_approved", reference=ref, title=a.intitule if a else None)
        case VoteOutcome.ALREADY:
            return message("vote_already", reference=ref, status=a.status.label if a else "")
        case VoteOutcome.DUPLICATE:
            return message("vote_duplicate", reference=line.reference)
        case VoteOutcome.UNKNOWN:
            return message("vote_unknown", reference=line.reference)
        case VoteOutcome.WRONG_FUNDER:
            return message("vote_wrong_funder", reference=ref, funder=a.funder.label if a else "")
        case VoteOutcome.WRONG_STATUS:
            return message("vote_wrong_status", reference=ref, status=a.status.label if a else "")


def summary(report: VoteReport) -> str:
    return message("vote_summary", approved=len(report.approved), failed=len(report.failed),
                   total=len(report.lines))


def vote_report(report: VoteReport) -> Markup:
    """The report shown in the chat: the summary, then each line (⚠️ when it failed)."""
    lines = [{"failed": line.failed, "message": line_message(line)} for line in report.lines]
    return render("vote_report.j2", summary=summary(report), lines=lines)
