"""The console channel: the very same dialogs in a terminal (buttons numbered, typed by number or label).

A bare number presses the button of that number, except where the screen asks for a typed answer
(a text, a number, a date…): there it is the answer, and the buttons are shown as « /1 », « /2 »,
which press them everywhere (a slash never starts an answer: it is a command).
"""

from __future__ import annotations

import asyncio
import mimetypes
import re
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from bot.uploads import read_local
from dialogs.engine import DialogEngine
from dialogs.form import spec_of
from dialogs.io import Button, Incoming, Reply
from dialogs.printing import PrintFailed
from dialogs.render import html_to_text, macro_text, text
from dialogs.router import SCREENS, Screen
from dialogs.screens.backoffice import BackofficeScreen
from dialogs.screens.common import form_of
from dialogs.state import DialogState, ScreenName
from domain.catalogue import Kind
from domain.models import Document

PROMPT = "› "

_SLASH_BUTTON = re.compile(r"/(\d+)")
# Questions answered by picking among buttons (a typed number there is a button's).
_PICKED = frozenset({Kind.YESNO, Kind.CHOICE, Kind.MULTI_CHOICE, Kind.DOCUMENT})
# Screens where typed text is a shortcut (an action's reference), not an answer: a bare number
# there is a button's too.
_SHORTCUT_TEXT = frozenset({ScreenName.STAFF_MENU, ScreenName.STAFF_LIST})
# The typed-text handlers that only say no text is expected here.
_NO_TEXT = (Screen.on_text, BackofficeScreen.on_text)


def say(name: str, /, **context: object) -> str:
    return macro_text("console.j2", name, **context)


def asks_typed_answer(st: DialogState) -> bool:
    """Whether the screen of ``st`` takes a typed answer (a number typed there is that answer)."""
    current = SCREENS.get(st.screen) or SCREENS[st.home]
    if current.name is ScreenName.QUESTION:
        try:
            return spec_of(form_of(st)).kind not in _PICKED
        except LookupError:
            return False
    return current.name not in _SHORTCUT_TEXT and type(current).on_text not in _NO_TEXT


class Console:
    def __init__(self, engine: DialogEngine, user_id: int, *, out: TextIO = sys.stdout) -> None:
        self.engine = engine
        self.user_id = user_id
        self.out = out
        self.buttons: list[Button] = []
        self.typed = False  # the screen shown takes a typed answer

    def show(self, replies: list[Reply]) -> None:
        for reply in replies:
            print(html_to_text(reply.text), file=self.out)
            if reply.document is not None:
                path = Path(reply.document.file_name)
                path.write_bytes(reply.document.content)
                print(say("document_saved", path=path.resolve()), file=self.out)
            if reply.screen:
                self.buttons = [b for row in reply.buttons for b in row]
                for i, b in enumerate(self.buttons, 1):
                    print(
                        f"  /{i:<2} {b.label}" if self.typed else f"  {i:>2}. {b.label}",
                        file=self.out,
                    )
                if self.typed and self.buttons:
                    print(say("typed_hint"), file=self.out)
            print(file=self.out)

    def to_incoming(self, line: str) -> Incoming:
        # No update id: a console line is never delivered twice, so nothing is de-duplicated (ids
        # counted from the same start by each run were taken for redeliveries and dropped).
        line = line.strip()
        if line.startswith("/fichier "):
            path = Path(line.split(" ", 1)[1].strip())
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            size = path.stat().st_size if path.exists() else None
            return read_local(self._incoming(
                document=Document(file_id=str(path), file_name=path.name, mime_type=mime, size=size)
            ), path)
        numbered = _SLASH_BUTTON.fullmatch(line) or (
            None if self.typed else re.fullmatch(r"(\d+)", line)
        )
        if numbered and 1 <= int(numbered[1]) <= len(self.buttons):
            return self._incoming(payload=self.buttons[int(numbered[1]) - 1].payload)
        if line.startswith("/"):
            head, _, args = line.partition(" ")
            return self._incoming(command=head[1:].lower(), args=args.strip())
        by_label = [b for b in self.buttons if b.label.casefold() == line.casefold()]
        if by_label and not (self.typed and line.isdigit()):
            return self._incoming(payload=by_label[0].payload)
        return self._incoming(text=line)

    def _incoming(self, **what: Any) -> Incoming:
        return Incoming(chat_id=self.user_id, user_id=self.user_id, **what)

    async def handle(self, line: str) -> None:
        replies = [await self._made(r) for r in await self.engine.handle(self.to_incoming(line))]
        if any(r.screen for r in replies):
            self.typed = asks_typed_answer(await self._state())
        self.show(replies)

    async def _state(self) -> DialogState:
        """The conversation's state after the step (what the screen just shown asks)."""
        async with self.engine.uow_factory(actor_user_id=self.user_id) as uow:
            data = (await uow.conversations.load(self.user_id)).data
        return DialogState.model_validate(data) if data else DialogState()

    async def _made(self, reply: Reply) -> Reply:
        """A reply whose PDF is still to be made: made in the printer's worker (the step is stored)."""
        if reply.pending is None:
            return reply
        try:
            document = await self.engine.printer.render(self.user_id, reply.pending)
        except PrintFailed:
            return Reply(text("print_failed"))
        return replace(reply, document=document, pending=None)

    async def run(self, lines: TextIO = sys.stdin) -> None:
        # The menu comes first, before anything typed is read.
        print(say("intro"), file=self.out)
        await self.handle("/menu")
        loop = asyncio.get_running_loop()
        while True:
            print(PROMPT, end="", file=self.out, flush=True)
            line = await loop.run_in_executor(None, lines.readline)
            if not line or line.strip() in ("/quitter", "/exit"):
                print(file=self.out)
                return
            if line.strip():
                await self.handle(line)
