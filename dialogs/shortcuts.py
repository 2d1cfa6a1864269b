"""Fewer inputs where the answer is already known: one-tap answers, and « Passer les questions
facultatives de cette partie ».

A question offers, as buttons, the values it may take from what the bot already knows: the
catalogue's shortcuts (a fixed value such as « Aucune », the fiche's address or contact, the lieu
de formation), and for an address every address given earlier in the same action (the lieu, the
previous sessions' addresses), each value once. A tap is checked like a typed answer.
"""

from __future__ import annotations

from typing import Any

from dialogs.context import Context
from dialogs.form import (
    copies_from_organisation,
    current_value,
    fields,
    optional,
    part_of,
    resolve_shortcut,
    set_value,
)
from dialogs.render import label
from dialogs.state import FormState
from domain.catalogue import FieldSpec, Kind, Section


async def known_answers(ctx: Context, form: FormState, spec: FieldSpec) -> list[tuple[str, Any]]:
    """The one-tap answers of ``spec``'s question: (button label, value), in order, values once."""
    action = form.action_view() if form.kind == "action" else None
    wants_org = any(copies_from_organisation(sc.source) for sc in spec.shortcuts)
    org = await ctx.organisation() if wants_org and ctx.organisation_id is not None else None
    known: list[tuple[str, Any]] = []
    for sc in spec.shortcuts:
        value = sc.value if sc.value is not None else resolve_shortcut(sc.source or "", action, org)
        if value is not None:
            known.append((sc.label, value))
    if spec.kind is Kind.ADDRESS and action is not None and form.section == Section.SESSION:
        for number, session in enumerate(action.sessions[: form.session_index], start=1):
            earlier = session.get(spec.key)
            if earlier is not None and all(earlier != value for _, value in known):
                known.append((label("earlier_session_address", number=number), earlier))
    return known


def skip_optional_part(form: FormState, spec: FieldSpec) -> bool:
    """« Passer les questions facultatives de cette partie » on ``spec`` (False: it is required):
    this question and the part's later optional ones are passed (each still empty takes its
    default, as « Passer » gives); its required ones are asked. The next part is asked as usual."""
    if not optional(spec):
        return False
    form.skip_part = part_of(form, spec)
    set_value(form, spec, spec.default)
    keys = [f.key for f in fields(form)]
    for later in fields(form)[keys.index(spec.key) + 1 :]:
        if part_of(form, later) != form.skip_part:
            break
        if optional(later) and later.default is not None and current_value(form, later) is None:
            set_value(form, later, later.default)
    return True
