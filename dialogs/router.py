"""Screens as data, and the dispatch of one input to the current screen.

A screen renders itself from the state (``render``) and reacts to a button (``on_button``), a typed
text (``on_text``) or a document (``on_document``) by changing the state; the router then renders the
screen the state now names. ``targets`` lists the screens it can lead to: ``formabot dialogs graph``
draws the state machine from it.
"""

from __future__ import annotations

import logging
import secrets
from typing import ClassVar

from dialogs.context import Context
from dialogs.form import checked_justification
from dialogs.io import Incoming, Reply
from dialogs.keyboards import Keyboard, is_number, parse_payload
from dialogs.render import plain, render, text
from dialogs.state import DialogState
from domain.errors import FieldError
from domain.models import Document


class Screen:
    name: ClassVar[str]
    targets: ClassVar[tuple[str, ...]] = ()
    help_topic: ClassVar[str] = "menu"

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        raise NotImplementedError

    async def on_button(self, ctx: Context, st: DialogState, verb: str, arg: str) -> None:
        ctx.say(text("unexpected_button"))

    async def on_text(self, ctx: Context, st: DialogState, value: str) -> None:
        ctx.say(text("unexpected_text"))

    async def on_document(self, ctx: Context, st: DialogState, document: Document) -> None:
        """A file no question expects: a member may be sending the État justification of an
        action, so it waits in the state while they pick the action (``DOCUMENT_SCREEN``)."""
        if st.home == "menu" and ctx.organisation_id is not None and DOCUMENT_SCREEN in SCREENS:
            try:  # the checks of the form's document question (type, size), at once
                document = checked_justification(None, document)
            except FieldError as exc:
                ctx.say(plain(exc.message))
                return
            st.extra[PENDING_DOCUMENT] = document.model_dump(mode="json")
            st.list_page = 0
            st.screen = DOCUMENT_SCREEN
        else:
            ctx.say(text("unexpected_document"))


log = logging.getLogger(__name__)

SCREENS: dict[str, Screen] = {}

# Where a file sent outside a question that expects one goes, and where it waits meanwhile.
DOCUMENT_SCREEN = "justif_pick"
PENDING_DOCUMENT = "justif_document"

# Every (from, to) screen change seen by this process: tests check each one is declared in the
# ``targets`` of its screen, so the diagram drawn from ``targets`` is the machine that runs.
TRANSITIONS_SEEN: set[tuple[str, str]] = set()


def screen(cls: type[Screen]) -> type[Screen]:
    """Register a screen class under its ``name``.

    A screen that keeps the default ``on_document`` can lead to ``DOCUMENT_SCREEN``: it is
    declared among its ``targets`` so that the drawn machine is the one that runs.
    """
    if cls.on_document is Screen.on_document and DOCUMENT_SCREEN not in cls.targets:
        cls.targets = (*cls.targets, DOCUMENT_SCREEN)
    SCREENS[cls.name] = cls()
    return cls


async def show(ctx: Context, st: DialogState) -> list[Reply]:
    """Render the current screen under a new number, after the pending messages."""
    st.seq = _new_seq(st.seq)
    current = SCREENS.get(st.screen) or SCREENS[st.home]
    if current.name != st.screen:
        st.screen = current.name
    kb = Keyboard(st.seq)
    replies = await current.render(ctx, st, kb)
    st.buttons = kb.issued
    st.notice = None
    if replies:
        replies[-1].screen = True
    return [*ctx.out, *replies]


def _new_seq(previous: int) -> int:
    """A fresh screen number. Random rather than counted: after a database restore the counter
    would go back and buttons shown since the backup would look current again."""
    seq = previous
    while seq == previous:
        seq = secrets.randbelow(2**31)
    return seq


# Commands every screen understands, and the screen each one opens.
COMMAND_SCREENS = {"menu": "menu", "start": "menu", "nouvelle": "create", "dates": "dates_pick_action"}


async def dispatch(ctx: Context, st: DialogState, inc: Incoming) -> list[Reply]:
    current = SCREENS.get(st.screen) or SCREENS[st.home]
    if inc.command is not None:
        return await _command(ctx, st, inc.command)
    if inc.payload is not None:
        seq, verb, arg = parse_payload(inc.payload)
        if seq is None:  # a global button (in a notification): valid whatever the screen
            await _global_button(ctx, st, verb, arg)
            return await show(ctx, st)
        if seq != st.seq or st.buttons is None:
            reply = await show(ctx, st)
            reply[0].alert = text("stale_button_alert")
            return [Reply(text("stale_button")), *reply]
        if verb == "noop":
            return []
        if not offered(st.buttons, verb, arg):
            # A forged payload: a button this screen did not show (« Quitter » on a fiche
            # question…). The screen never sees it.
            log.warning("button payload refused", extra={"screen": current.name, "reason": "not offered"})
            ctx.say(text("unexpected_button"))
            return await show(ctx, st)
        try:
            await current.on_button(ctx, st, verb, arg)
        except (ValueError, IndexError, KeyError):
            # An offered verb with a number no longer valid (an index out of range): nothing changes.
            log.warning("button payload refused", extra={"screen": current.name, "verb": verb})
            ctx.say(text("unexpected_button"))
    elif inc.document is not None:
        await current.on_document(ctx, st, inc.document)
    else:
        await current.on_text(ctx, st, (inc.text or "").strip())
    TRANSITIONS_SEEN.add((current.name, st.screen))
    return await show(ctx, st)


async def _command(ctx: Context, st: DialogState, command: str) -> list[Reply]:
    current = SCREENS.get(st.screen) or SCREENS[st.home]
    if command == "aide":
        ctx.say(render(f"help/{current.help_topic}.j2", state=st))
        return await show(ctx, st)
    if command == "annuler":
        if st.form is not None and st.form.kind == "action" and st.screen != "menu":
            st.extra["quit_from"] = st.screen
            st.screen = "quit_ask"
        else:
            st.screen = st.home
        st.pending = None
        return await show(ctx, st)
    target = st.home if command in ("menu", "start") else COMMAND_SCREENS.get(command)
    if target is not None and st.home != "menu" and command not in ("menu", "start"):
        target = None  # the organisation's commands are not for staff and validators
    if target is None:
        ctx.say(text("unknown_command", command=command))
        return await show(ctx, st)
    st.screen = target
    st.pending = None
    st.error = None
    return await show(ctx, st)


def offered(buttons: list[str], verb: str, arg: str) -> bool:
    """Whether a pressed ``verb:arg`` is a button the screen showed.

    Exactly one of them; or, for a verb whose buttons all carry a number (an action of a list, a
    page), another number (ASCII digits, within a database integer): the row of a list page not
    shown any more, which the screen then looks up in the user's own scope.
    """
    pressed = f"{verb}:{arg}" if arg else verb
    if pressed in buttons:
        return True
    numbers = [b.partition(":")[2] for b in buttons if b.partition(":")[0] == verb]
    return bool(numbers) and all(is_number(n) for n in numbers) and is_number(arg)


async def _global_button(ctx: Context, st: DialogState, verb: str, arg: str) -> None:
    if verb == "dates" and is_number(arg) and st.home == "menu":
        st.action_id = int(arg)
        st.screen = "dates_pick_session"
    else:
        st.screen = st.home
