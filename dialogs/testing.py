"""A client that plays a user through the dialogs, with no channel in between.

    client = DialogClient(engine, user_id=42)
    await client.command("menu")
    await client.press("➕ Créer une action")
    await client.send("Soudeur TIG")
    assert "Objectif de la formation" in client.text

Buttons are pressed by their label (exact, or a unique prefix), as a user would.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

from dialogs.engine import DialogEngine
from dialogs.io import Button, Incoming, Reply
from dialogs.render import html_to_text
from domain.models import Document

_update_ids = itertools.count(1)


class DialogClient:
    def __init__(self, engine: DialogEngine, user_id: int, chat_id: int | None = None) -> None:
        self.engine = engine
        self.user_id = user_id
        self.chat_id = chat_id if chat_id is not None else user_id
        self.replies: list[Reply] = []  # the replies of the last input
        self.transcript: list[Reply] = []
        self.keyboard: list[list[Button]] = []  # the live screen's buttons

    async def _go(self, **kwargs: object) -> list[Reply]:
        inc = Incoming(chat_id=self.chat_id, user_id=self.user_id, update_id=next(_update_ids), **kwargs)  # type: ignore[arg-type]
        self.replies = [await self._made(r) for r in await self.engine.handle(inc)]
        self.transcript += self.replies
        for r in self.replies:
            if r.screen:
                self.keyboard = r.buttons
        return self.replies

    async def _made(self, reply: Reply) -> Reply:
        """A reply whose document is still to be made, made (as a channel does, off the loop)."""
        if reply.pending is None:
            return reply
        document = await self.engine.printer.render(self.user_id, reply.pending)
        return replace(reply, document=document, pending=None)

    async def send(self, text: str) -> list[Reply]:
        return await self._go(text=text)

    async def command(self, name: str, args: str = "") -> list[Reply]:
        return await self._go(command=name, args=args)

    async def document(self, document: Document, content: bytes | None = None) -> list[Reply]:
        """Send a file; ``content``: its bytes, as the channel reads them for an LHEO catalogue."""
        return await self._go(document=document, content=content)

    async def press_payload(self, payload: str) -> list[Reply]:
        return await self._go(payload=payload)

    def button(self, label: str) -> Button:
        buttons = [b for row in self.keyboard for b in row]
        exact = [b for b in buttons if b.label == label]
        if exact:
            return exact[0]
        prefixed = [b for b in buttons if b.label.startswith(label)]
        if len(prefixed) == 1:
            return prefixed[0]
        labels = [b.label for b in buttons]
        raise AssertionError(f"no single button {label!r} among {labels}")

    async def press(self, label: str) -> list[Reply]:
        return await self.press_payload(self.button(label).payload)

    @property
    def text(self) -> str:
        """The plain text of the last input's replies."""
        return "\n".join(html_to_text(r.text) for r in self.replies)

    @property
    def labels(self) -> list[str]:
        return [b.label for row in self.keyboard for b in row]
