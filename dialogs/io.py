"""Neutral input and output of the dialogs: what a channel gives and what it must show."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.models import Document


@dataclass(frozen=True, slots=True)
class Incoming:
    """One thing a user did: typed text, pressed a button, sent a document or a command."""

    chat_id: int
    user_id: int
    text: str | None = None
    payload: str | None = None  # a button's payload, as produced by ``Button``
    document: Document | None = None
    # The bytes of a document read before the step (an LHEO catalogue, downloaded by the channel
    # outside any transaction, see ``bot.uploads``); None for every other input.
    content: bytes | None = None
    command: str | None = None  # without the slash: "start", "menu", "aide"…
    args: str = ""
    update_id: int | None = None
    user_name: str | None = None
    # An update delivered again although it was processed: False (polling) changes nothing and
    # answers nothing; True (a webhook: Telegram resends only what got no 200, so the replies may
    # never have left) changes nothing and shows the current screen again.
    show_again: bool = False


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    payload: str


@dataclass(frozen=True, slots=True)
class OutDocument:
    content: bytes
    file_name: str
    mime_type: str


@dataclass(frozen=True, slots=True)
class PendingDocument:
    """A document still to be made (a PDF), after the step and away from the event loop: what to
    render, all plain data (it crosses to a worker process). See ``dialogs.printing``."""

    html: str
    file_name: str
    mime_type: str = "application/pdf"


@dataclass(slots=True)
class Reply:
    """One message to show. ``text`` is HTML (Telegram's subset); user values are escaped.

    ``screen`` marks the message that shows the current screen (its buttons are the live ones); a
    channel may edit the previous screen message in place instead of sending a new one.
    """

    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    document: OutDocument | None = None
    pending: PendingDocument | None = None  # a document the channel makes with ``Printer.render``
    screen: bool = False
    alert: str | None = None  # a short notice for the pressed button (Telegram's callback answer)

    @property
    def payloads(self) -> list[str]:
        return [b.payload for row in self.buttons for b in row]
