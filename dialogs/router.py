"""Screens as data, and the dispatch of one input to the current screen.

A screen renders itself from the state (``render``, which changes nothing) and reacts to a button,
a typed text (``on_text``) or a document (``on_document``) by changing the state; the router then
renders the screen the state now names. Each button verb is bound to one handler method
(``@button("verb")``). ``targets`` lists the screens a screen can lead to: ``formabot dialogs
graph`` draws the state machine from it, and every transition is checked against it when it
happens (``check_transition``).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Container
from typing import Any, ClassVar, TypeVar

from dialogs.context import Context
from dialogs.form import checked_justification
from dialogs.io import Incoming, Reply
from dialogs.keyboards import Keyboard, is_number, parse_payload
from dialogs.render import macro_html, plain, render, text
from dialogs.state import DialogState, ScreenName
from domain.errors import FieldError
from domain.lheo import is_catalogue
from domain.models import Document

H = TypeVar("H", bound=Callable[..., Awaitable[None]])


def button(*verbs: str) -> Callable[[H], H]:
    """Bind a screen's method to the buttons of these verbs: ``handler(ctx, st, arg)``."""

    def bind(handler: H) -> H:
        handler.__button_verbs__ = verbs  # type: ignore[attr-defined]
        return handler

    return bind


def goes_to(target: ScreenName, *verbs: str) -> Callable[[Screen, Context, DialogState, str], Awaitable[None]]:
    """A handler of the buttons of ``verbs`` that only shows the screen ``target``
    (``back = goes_to(ScreenName.RECAP, "back")`` in a screen's class)."""

    @button(*verbs)
    async def show(self: Screen, ctx: Context, st: DialogState, arg: str) -> None:
        st.screen = target

    return show


def opens_action(target: ScreenName, *verbs: str) -> Callable[[Screen, Context, DialogState, str], Awaitable[None]]:
    """A handler of the buttons of ``verbs`` whose argument is an action's id: that action, on the
    screen ``target``."""

    @button(*verbs)
    async def open_action(self: Screen, ctx: Context, st: DialogState, arg: str) -> None:
        st.action_id = int(arg)
        st.screen = target

    return open_action


def opens_list(
    target: ScreenName, verb: str, lists: Container[str]
) -> Callable[[Screen, Context, DialogState, str], Awaitable[None]]:
    """A handler of the buttons of ``verb`` whose argument names one of ``lists``: its first page,
    on the screen ``target`` (``st.list_status``)."""

    @button(verb)
    async def open_list(self: Screen, ctx: Context, st: DialogState, arg: str) -> None:
        if known_arg(ctx, arg, lists):
            st.list_status = arg
            st.list_page = 0
            st.screen = target

    return open_list


def goes_to_with_action(
    target: ScreenName, verb: str, operation: object = None
) -> Callable[[Any, Context, DialogState, str], Awaitable[None]]:
    """A button of an action's screen that shows ``target`` while the screen's
    ``_action(ctx, st, operation)`` still finds the action (in scope, allowing ``operation``)."""

    @button(verb)
    async def show(self: Any, ctx: Context, st: DialogState, arg: str) -> None:
        if await self._action(ctx, st, operation) is not None:
            st.screen = target

    return show


def known_arg(ctx: Context, arg: str, known: Container[str]) -> bool:
    """Whether a button's argument is one of ``known``; if not (a button of an older version, or
    forged), the user is told the button was unexpected."""
    if arg in known:
        return True
    ctx.say(text("unexpected_button"))
    return False


class Redirect(Exception):
    """Raised by ``render``: the state names a screen that cannot be shown now (its action is
    gone, or out of the user's scope); the router shows ``target`` instead (a declared target),
    or, with ``show=False``, only the messages said."""

    def __init__(self, target: ScreenName, *, show: bool = True) -> None:
        super().__init__(target)
        self.target = target
        self.show = show


class UndeclaredTransition(RuntimeError):
    """A screen led to a screen missing from its ``targets``: a programming error."""


class Screen:
    name: ClassVar[ScreenName]
    targets: ClassVar[tuple[ScreenName, ...]] = ()
    # Whether the screen shows ``st.error``: the router clears it once such a screen is shown.
    shows_error: ClassVar[bool] = False
    # Whether its buttons work on the form in progress: none (a state from an older version, a
    # restore…) is a LookupError, which the engine answers by taking the user back home.
    needs_form: ClassVar[bool] = False
    # verb -> the name of the method bound to it (``@button``), this class's and its bases'.
    buttons: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        bound: dict[str, str] = {}
        for klass in reversed(cls.__mro__):
            for attr, value in vars(klass).items():
                for verb in getattr(value, "__button_verbs__", ()):
                    bound[verb] = attr
        cls.buttons = bound

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        raise NotImplementedError

    async def on_button(self, ctx: Context, st: DialogState, verb: str, arg: str) -> None:
        """The handler bound to ``verb``; a verb bound to none is unexpected."""
        if self.needs_form and st.form is None:
            raise LookupError("no form in progress")
        method = self.buttons.get(verb)
        if method is None:
            ctx.say(text("unexpected_button"))
            return
        await getattr(self, method)(ctx, st, arg)

    async def on_text(self, ctx: Context, st: DialogState, value: str) -> None:
        ctx.say(text("unexpected_text"))

    async def on_document(self, ctx: Context, st: DialogState, document: Document) -> None:
        """A file no question expects: a member may be sending the État justification of an
        action, so it waits in the state while they pick the action (``DOCUMENT_SCREEN``), or
        their catalogue as an LHEO file, imported as drafts (``CATALOGUE_SCREEN``)."""
        member = st.home == ScreenName.MENU and ctx.organisation_id is not None
        if member and is_catalogue(document) and CATALOGUE_SCREEN in SCREENS:
            await SCREENS[CATALOGUE_SCREEN].on_document(ctx, st, document)
        elif member and DOCUMENT_SCREEN in SCREENS:
            try:  # the checks of the form's document question (type, size), at once
                document = checked_justification(None, document)
            except FieldError as exc:
                ctx.say(plain(exc.message))
                if not (document.mime_type or "").startswith(("application/pdf", "image/")):
                    ctx.say(text("catalogue_hint"))  # a catalogue in another format (CSV, ZIP…)
                return
            st.pending_document = document
            st.list_page = 0
            st.screen = DOCUMENT_SCREEN
        else:
            ctx.say(text("unexpected_document"))


log = logging.getLogger(__name__)

SCREENS: dict[ScreenName, Screen] = {}

# Where a file sent outside a question that expects one goes (it waits in ``st.pending_document``).
DOCUMENT_SCREEN = ScreenName.JUSTIF_PICK
# Where an LHEO file sent there goes: its offers imported as drafts (``dialogs.screens.catalogue``).
CATALOGUE_SCREEN = ScreenName.CATALOGUE

# An undeclared transition is a programming error. Tests set this (tests/conftest.py): it raises
# at once. In production it is logged as an error and the user goes on to the screen the handler
# chose: names are an enum, so it is a real screen, and refusing it would leave a half-done step
# (the state already changed) on a screen that may no longer fit it. Only the drawing is wrong.
STRICT_TRANSITIONS = False


def check_transition(origin: ScreenName, st: DialogState) -> None:
    """The screen ``origin`` just led to ``st.screen``: it must be one of its declared targets,
    so that the diagram drawn from ``targets`` is the machine that runs."""
    if st.screen == origin or st.screen in SCREENS[origin].targets:
        return
    if STRICT_TRANSITIONS:
        raise UndeclaredTransition(f"{origin} -> {st.screen} is not among the targets of {origin}")
    log.error("undeclared screen transition", extra={"screen": str(origin), "target": str(st.screen)})


S = TypeVar("S", bound=type[Screen])


def screen(
    name: ScreenName,
    *,
    targets: tuple[ScreenName, ...] | None = None,
    shows_error: bool | None = None,
    needs_form: bool | None = None,
) -> Callable[[S], S]:
    """Declare a screen class and register it under ``name``: ``@screen(ScreenName.VIEW,
    targets=(...), shows_error=True)`` (what is not given, the class inherits).

    A screen that keeps the default ``on_document`` can lead to ``DOCUMENT_SCREEN`` and
    ``CATALOGUE_SCREEN``: they are declared among its ``targets`` so that the drawn machine is the
    one that runs.
    """

    def register(cls: S) -> S:
        if name in SCREENS:
            raise ValueError(f"two screens named {name}")
        cls.name = name
        if targets is not None:
            cls.targets = targets
        if shows_error is not None:
            cls.shows_error = shows_error
        if needs_form is not None:
            cls.needs_form = needs_form
        if cls.on_document is Screen.on_document:
            extra = (t for t in (DOCUMENT_SCREEN, CATALOGUE_SCREEN) if t not in cls.targets)
            cls.targets = (*cls.targets, *extra)
        SCREENS[name] = cls()
        return cls

    return register


async def show(ctx: Context, st: DialogState) -> list[Reply]:
    """Render the current screen under a new number, after the pending messages."""
    st.seq = _new_seq(st.seq)
    current = SCREENS.get(st.screen) or SCREENS[st.home]
    if current.name != st.screen:
        st.screen = current.name
    kb = Keyboard(st.seq)
    shown: Screen | None = current
    try:
        replies = await current.render(ctx, st, kb)
    except Redirect as redirect:
        st.screen = redirect.target
        check_transition(current.name, st)
        shown = SCREENS[st.screen] if redirect.show else None
        kb = Keyboard(st.seq)
        replies = await shown.render(ctx, st, kb) if shown is not None else []
    st.buttons = kb.issued
    # What a screen shows once: cleared by the router, never by ``render``.
    st.notice = None
    if shown is not None and shown.shows_error:
        st.error = None
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
COMMAND_SCREENS = {
    "menu": ScreenName.MENU,
    "start": ScreenName.MENU,
    "nouvelle": ScreenName.CREATE,
    "dates": ScreenName.DATES_PICK_ACTION,
}


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
    check_transition(current.name, st)
    return await show(ctx, st)


def help_text(name: ScreenName, st: DialogState) -> str:
    """/aide on the screen ``name``: its own help, ``templates/help/<name>.j2`` (a test checks
    every ScreenName has one)."""
    return render(f"help/{name.value}.j2", state=st)


async def _command(ctx: Context, st: DialogState, command: str) -> list[Reply]:
    current = SCREENS.get(st.screen) or SCREENS[st.home]
    if command == "aide":
        helped = help_text(current.name, st)
        ctx.say(f"{helped}\n\n{macro_html('support.j2', 'help', contact=ctx.support_contact)}")
        return await show(ctx, st)
    left_fiche = _leave_fiche_detour(st)
    if command == "annuler":
        if st.form is not None and st.form.kind == "action" and st.screen != ScreenName.MENU and not left_fiche:
            st.quit_from = st.screen
            st.screen = ScreenName.QUIT_ASK
        else:
            st.screen = st.home
        st.pending = None
        return await show(ctx, st)
    target = st.home if command in ("menu", "start") else COMMAND_SCREENS.get(command)
    if target is not None and st.home != ScreenName.MENU and command not in ("menu", "start"):
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


def _leave_fiche_detour(st: DialogState) -> bool:
    """A command leaves a fiche question (its answers are written one by one, nothing is pending):
    the action form parked behind it comes back, so that it is resumed, saved or quit, never left
    hidden behind an abandoned fiche edit."""
    if st.form is not None and st.form.kind == "organisation":
        st.form, st.parked_form = st.parked_form, None
        st.fiche_base = None
        st.fiche_then = None
        return True
    return False


async def _global_button(ctx: Context, st: DialogState, verb: str, arg: str) -> None:
    _leave_fiche_detour(st)
    if verb == "dates" and is_number(arg) and st.home == ScreenName.MENU:
        st.action_id = int(arg)
        st.screen = ScreenName.DATES_PICK_SESSION
    else:
        st.screen = st.home
