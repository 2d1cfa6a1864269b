"""What the Carif-Oref staff's and the funders' validators' screens share: their labels and short
messages, who the actor is, the full view of an action, and refusing an action with a reason.

Their words live in ``backoffice_buttons.j2`` (labels, plain text) and ``backoffice_texts.j2``
(short messages, HTML), beside the screen templates.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

from dialogs import operations
from dialogs.context import Context
from dialogs.io import Reply
from dialogs.keyboards import Keyboard
from dialogs.recap import general_groups, session_rows
from dialogs.render import macro_html, macro_text, plain, render, split_message
from dialogs.router import Redirect, Screen, button, goes_to, screen
from dialogs.state import DialogState, ScreenName
from domain.errors import DomainError, StaleVersion
from domain.funders import Funder
from domain.models import Action, Document, Organisation
from domain.services import backoffice
from domain.services.actors import Actor, UnknownAction, find

STAFF_HOME = ScreenName.STAFF_MENU
VALIDATOR_HOME = ScreenName.VALIDATOR_MENU

T = TypeVar("T")


def blabel(name: str, /, **context: Any) -> str:
    """A button label: the macro ``name`` of ``backoffice_buttons.j2``, plain text."""
    return macro_text("backoffice_buttons.j2", name, **context)


def btext(name: str, /, **context: Any) -> str:
    """A short message: the macro ``name`` of ``backoffice_texts.j2``, HTML."""
    return macro_html("backoffice_texts.j2", name, **context)


class BackofficeScreen(Screen):
    """A screen of the staff or of a validator: no free text or file unless it says so."""


    async def on_text(self, ctx: Context, st: DialogState, value: str) -> None:
        ctx.say(btext("no_text"))

    async def on_document(self, ctx: Context, st: DialogState, document: Document) -> None:
        ctx.say(btext("no_document"))


def current_funder(ctx: Context, st: DialogState) -> Funder:
    """The funder whose actions a validator is looking at (one of their links, never another)."""
    funders = ctx.principal.funders
    chosen = next((f for f in funders if f.value == st.validator_funder), None)
    if chosen is None and len(funders) == 1:
        chosen = funders[0]  # the only one: no need to have chosen it
    if chosen is None:
        raise PermissionError("no funder of this validator selected")
    return chosen


def actor(ctx: Context, st: DialogState) -> Actor:
    """The staff or the validator behind this conversation; anyone else has no business here."""
    if st.home == STAFF_HOME and ctx.principal.is_staff:
        return Actor.staff(ctx.principal.user_id)
    if st.home == VALIDATOR_HOME:
        return Actor.validator(current_funder(ctx, st), ctx.principal.user_id)
    raise PermissionError("not a staff or validator conversation")


def is_staff(st: DialogState) -> bool:
    return st.home == STAFF_HOME


def view_screen(st: DialogState) -> ScreenName:
    return ScreenName.STAFF_VIEW if is_staff(st) else ScreenName.VALIDATOR_VIEW


def list_screen(st: DialogState) -> ScreenName:
    return ScreenName.STAFF_LIST if is_staff(st) else ScreenName.VALIDATOR_LIST


async def load(ctx: Context, st: DialogState, action_id: int | None) -> Action | None:
    """The action in the actor's scope, or None (« introuvable » is said)."""
    try:
        if action_id is None:
            raise UnknownAction("")
        return await find(ctx.uow, actor(ctx, st), action_id)
    except UnknownAction:
        ctx.say(btext("not_found"))
        return None


async def load_or_leave(ctx: Context, st: DialogState, home: ScreenName) -> Action:
    """For ``render``: the screen's action in the actor's scope; gone, the screen ``home`` instead."""
    action = await load(ctx, st, st.action_id)
    if action is None:
        raise Redirect(home)
    return action


async def attempt(ctx: Context, st: DialogState, operation: Awaitable[T]) -> T | None:
    """Run an operation; a refusal becomes the screen's error, a concurrent change a notice."""
    try:
        return await operation
    except StaleVersion:
        ctx.say(btext("stale"))
    except UnknownAction:
        ctx.say(btext("not_found"))
    except DomainError as exc:
        st.error = plain(operations.describe(exc))
    return None


def action_view_body(action: Action, org: Organisation | None, *, notice: str | None = None,
                     error: str | None = None) -> str:
    """The text of the staff's full view of an action (HTML), also printed by ``formabot action show``."""
    return render(
        "backoffice_action.j2",
        action=action,
        groups=general_groups(action),
        sessions=session_rows(action),
        organisation_name=(org.nom_organisme or org.raison_sociale) if org else None,
        notice=notice,
        error=error,
    )


async def action_view(ctx: Context, st: DialogState, action: Action, kb: Keyboard) -> list[Reply]:
    """The full view of an action (read-only recap), the buttons under its last message."""
    org = await ctx.uow.organisations.get(action.organisation_id)
    body = action_view_body(action, org, notice=st.notice, error=st.error)
    replies = [Reply(part) for part in split_message(body)]
    replies[-1].buttons = kb.rows
    return replies




@screen(ScreenName.REFUSE_REASON, shows_error=True,
        targets=(ScreenName.REFUSE_ASK, ScreenName.STAFF_VIEW, ScreenName.VALIDATOR_VIEW, ScreenName.STAFF_LIST,
                 ScreenName.VALIDATOR_LIST))
class RefuseReason(BackofficeScreen):
    """« Refuser »: the reason, typed (1 to 1000 characters)."""

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        action = await load_or_leave(ctx, st, list_screen(st))
        kb.add(blabel("cancel"), "back")
        body = render("refuse_reason.j2", action=action, limit=backoffice.MAX_TEXT, error=st.error)
        return [Reply(body, kb.rows)]

    @button("back")
    async def back(self, ctx: Context, st: DialogState, arg: str) -> None:
        st.screen = view_screen(st)

    async def on_text(self, ctx: Context, st: DialogState, value: str) -> None:
        if not 1 <= len(value) <= backoffice.MAX_TEXT:
            st.error = btext("reason_length", limit=backoffice.MAX_TEXT)
            return
        st.refusal_reason = value
        st.screen = ScreenName.REFUSE_ASK


@screen(ScreenName.REFUSE_ASK,
        targets=(ScreenName.STAFF_LIST, ScreenName.VALIDATOR_LIST, ScreenName.REFUSE_REASON, ScreenName.STAFF_VIEW,
                 ScreenName.VALIDATOR_VIEW))
class RefuseAsk(BackofficeScreen):
    """The reason shown back, then « Oui, refuser l'action »."""

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        action = await load(ctx, st, st.action_id)
        reason = st.refusal_reason
        if action is None or not reason:
            raise Redirect(list_screen(st))
        kb.add(blabel("refuse_yes"), "yes")
        kb.add(blabel("edit_reason"), "edit")
        kb.add(blabel("cancel"), "no")
        return [Reply(render("refuse_ask.j2", action=action, reason=reason), kb.rows)]

    edit = goes_to(ScreenName.REFUSE_REASON, "edit")

    @button("no")
    async def cancel(self, ctx: Context, st: DialogState, arg: str) -> None:
        st.refusal_reason = None
        st.screen = view_screen(st)

    @button("yes")
    async def refuse(self, ctx: Context, st: DialogState, arg: str) -> None:
        reason = st.refusal_reason or ""
        # The scope (a validator sees only their funder's actions) and the lifecycle (only a
        # submitted action) decide: together they are ``funder_can_decide``.
        refused = await attempt(
            ctx, st, backoffice.refuse(ctx.uow, actor(ctx, st), st.action_id or 0, reason)
        )
        if refused is None:
            st.screen = view_screen(st)
            return
        st.refusal_reason = None
        st.notice = btext("refused", reference=refused.reference)
        st.screen = list_screen(st)
