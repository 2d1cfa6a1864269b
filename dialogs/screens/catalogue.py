"""An organisation's catalogue sent in the chat: an LHEO 2.2/2.3 file sent as a document.

The channel reads the file before the step (``bot.uploads``: only an XML file whose announced size
is within ``CATALOGUE_MAX_BYTES``); ``domain.services.lheo.import_catalogue`` checks its size again,
reads it with the importer of ``formabot import lheo`` (locked-down parser, schema, all or nothing)
and stores each offer as a draft of the member's organisation. This screen then lists the drafts
with what each lacks before it can be confirmed (the rules' missing and invalid fields), and a
button per draft opens it at its first question to complete.
"""

from __future__ import annotations

from datetime import date

from dialogs.context import Context
from dialogs.io import Reply
from dialogs.keyboards import Keyboard
from dialogs.render import label, plain, render, split_message, text
from dialogs.router import Screen, button, goes_to, screen
from dialogs.screens.common import open_form
from dialogs.screens.form import goto_problem
from dialogs.state import DialogState, ScreenName
from domain.errors import Problem
from domain.lheo import CATALOGUE_MAX_BYTES, CatalogueTooLarge, LheoError
from domain.lifecycle import Operation, allowed_operations
from domain.models import Action, Document
from domain.rules import validate_action
from domain.services.lheo import import_catalogue

# Drafts listed, each with a button (Telegram shows at most 100 under a message, and a long list
# would be many messages); the others are in « En cours de création ».
BUTTONS_MAX = 30
LACKS_SHOWN = 6  # the problems listed per draft (then « et N autres »)


@screen(ScreenName.CATALOGUE,
        targets=(ScreenName.QUESTION, ScreenName.SESSIONS, ScreenName.RECAP, ScreenName.MENU,
                 ScreenName.MERGE))
class Catalogue(Screen):
    """The drafts of the catalogue just imported, each with what it lacks and « Compléter »."""

    async def on_document(self, ctx: Context, st: DialogState, document: Document) -> None:
        """Import the catalogue (any screen whose ``on_document`` is the default comes here)."""
        refusal = _refusal(ctx, st, document)
        if refusal is not None:
            ctx.say(refusal)
            return
        assert ctx.upload is not None and ctx.lheo_files is not None
        try:
            stored = await import_catalogue(ctx.uow, ctx.member(), ctx.lheo_files, ctx.upload,
                                            today=ctx.clock.today())
        except LheoError as error:
            ctx.say(render("catalogue_refused.j2", message=error.message, details=error.details[:10],
                           more=max(0, len(error.details) - 10), limit=CATALOGUE_MAX_BYTES // 2**20))
            return
        st.imported = [action.id for action in stored if action.id is not None]
        st.screen = self.name

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        today = ctx.clock.today()
        listed = [await ctx.actions().get(i) for i in st.imported[:BUTTONS_MAX]]
        drafts = [a for a in listed if a is not None]
        lacks = [[p.message for p in validate_action(a, today)] for a in drafts]
        for number, action in enumerate(drafts, start=1):
            if _editable(action, today):
                kb.add(label("complete_draft", number=number, title=action.intitule or ""), "open", action.id)
        kb.add(label("menu"), "menu")
        body = render("catalogue.j2", drafts=list(zip(drafts, lacks, strict=True)), shown=LACKS_SHOWN,
                      imported=len(st.imported), others=max(0, len(st.imported) - BUTTONS_MAX))
        replies = [Reply(part) for part in split_message(body)]
        replies[-1].buttons = kb.rows
        return replies

    @button("open")
    async def open(self, ctx: Context, st: DialogState, arg: str) -> None:
        """The draft, at its first question to complete (its sessions or recap when none)."""
        action = await ctx.actions().get(int(arg)) if int(arg) in st.imported else None
        if action is None or not _editable(action, ctx.clock.today()):
            ctx.say(text("operation_not_allowed" if action is not None else "action_not_found"))
            return
        problems = validate_action(action, ctx.clock.today())
        first = next((p for p in problems if p.key is not None), None)
        where = ScreenName.QUESTION if first is not None else _without_field(action, problems)
        form = await open_form(ctx, st, action, screen=where)
        if form is not None and first is not None:
            goto_problem(form, first)
            st.error = plain(first.message)

    menu = goes_to(ScreenName.MENU, "menu")


def _refusal(ctx: Context, st: DialogState, document: Document) -> str | None:
    """Why this file cannot be imported now (French), or None."""
    if st.form is not None and st.form.kind == "action" and st.form.dirty:
        return text("catalogue_form_open")
    size = document.size if document.size is not None else len(ctx.upload or b"")
    if size > CATALOGUE_MAX_BYTES:
        return plain(CatalogueTooLarge(size).message)
    if ctx.upload is None or ctx.lheo_files is None:
        return text("catalogue_unread")
    return None


def _editable(action: Action, today: date) -> bool:
    return Operation.MODIFY in allowed_operations(action, today)


def _without_field(action: Action, problems: list[Problem]) -> ScreenName:
    """A draft whose problems name no field: its sessions to add, or its récapitulatif."""
    return ScreenName.SESSIONS if problems and not action.sessions else ScreenName.RECAP
