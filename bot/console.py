"""The console channel: the very same dialogs in a terminal (buttons numbered, typed by number or label)."""

from __future__ import annotations

import asyncio
import itertools
import mimetypes
import sys
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from dialogs.engine import DialogEngine
from dialogs.io import Button, Incoming, Reply
from dialogs.printing import PrintFailed
from dialogs.render import html_to_text, text
from domain.models import Document

PROMPT = "› "


class Console:
    def __init__(self, engine: DialogEngine, user_id: int, *, out: TextIO = sys.stdout) -> None:
        self.engine = engine
        self.user_id = user_id
        self.out = out
        self.buttons: list[Button] = []
        # Update ids of the console never collide with Telegram's (which are positive).
        self._ids = itertools.count(-(10**12) - user_id * 10**6, -1)

    def show(self, replies: list[Reply]) -> None:
        for reply in replies:
            print(html_to_text(reply.text), file=self.out)
            if reply.document is not None:
                path = Path(reply.document.file_name)
                path.write_bytes(reply.document.content)
                print(f"[document enregistré : {path.resolve()}]", file=self.out)
            if reply.screen:
                self.buttons = [b for row in reply.buttons for b in row]
                for i, b in enumerate(self.buttons, 1):
                    print(f"  {i:>2}. {b.label}", file=self.out)
            print(file=self.out)

    def to_incoming(self, line: str) -> Incoming:
        base = {"chat_id": self.user_id, "user_id": self.user_id, "update_id": next(self._ids)}
        line = line.strip()
        if line.startswith("/fichier "):
            path = Path(line.split(" ", 1)[1].strip())
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            size = path.stat().st_size if path.exists() else None
            return Incoming(document=Document(file_id=str(path), file_name=path.name, mime_type=mime, size=size), **base)  # type: ignore[arg-type]
        if line.startswith("/"):
            head, _, args = line.partition(" ")
            return Incoming(command=head[1:].lower(), args=args.strip(), **base)  # type: ignore[arg-type]
        if line.isdigit() and 1 <= int(line) <= len(self.buttons):
            return Incoming(payload=self.buttons[int(line) - 1].payload, **base)  # type: ignore[arg-type]
        by_label = [b for b in self.buttons if b.label.casefold() == line.casefold()]
        if by_label:
            return Incoming(payload=by_label[0].payload, **base)  # type: ignore[arg-type]
        return Incoming(text=line, **base)  # type: ignore[arg-type]

    async def handle(self, line: str) -> None:
        self.show([await self._made(r) for r in await self.engine.handle(self.to_incoming(line))])

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
        print("formabot, console — tapez le numéro d'un bouton, son libellé, ou votre réponse ; /aide, /quitter.", file=self.out)
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
