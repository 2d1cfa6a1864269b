"""The État justification sent as a file at any time: the member picks the action it belongs to.

A document sent where no question expects one lands here (``Screen.on_document``): the file waits
in ``st.extra`` while the member picks one of their organisation's État actions (any status but
archived); it is then stored with the action, and the Carif-Oref is told (an event)."""

from __future__ import annotations

from dialogs.context import Context
from dialogs.form import checked_justification
from dialogs.io import Reply
from dialogs.keyboards import Keyboard, page_slice, pages
from dialogs.render import plain, render, text
from dialogs.router import PENDING_DOCUMENT, Screen, screen
from dialogs.screens.backoffice import blabel, btext
from dialogs.screens.common import load_action
from dialogs.state import DialogState
from domain.errors import FieldError
from domain.events import Event, EventKind
from domain.lifecycle import justification_locked, may_attach_justification
from domain.models import Action, Document

LIST_PAGE = 5


def can_take_justification(action: Action) -> bool:
    return may_attach_justification(action)


async def _etat_actions(ctx: Context) -> list[Action]:
    return [a for a in await ctx.actions().list(limit=1000) if can_take_justification(a)]


def _pending(st: DialogState) -> Document | None:
    data = st.extra.get(PENDING_DOCUMENT)
    return Document.model_validate(data) if data else None


@screen
class JustifPick(Screen):
    name = "justif_pick"
    targets = ("view", "menu")

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        document = _pending(st)
        if document is None:
            kb.add(blabel("menu"), "cancel")
            return [Reply(btext("justif_expired"), kb.rows)]
        actions = await _etat_actions(ctx)
        for i in page_slice(actions, st.list_page, LIST_PAGE):
            a = actions[i]
            kb.add(
                blabel("justif_item", reference=a.reference or "", title=a.intitule or text("untitled"),
                       status=a.status.label),
                "pick", a.id,
            )
        kb.pager(st.list_page, pages(actions, LIST_PAGE))
        kb.add(blabel("cancel"), "cancel")
        body = render("justif_pick.j2", name=document.file_name, count=len(actions))
        return [Reply(body, kb.rows)]

    async def on_button(self, ctx: Context, st: DialogState, verb: str, arg: str) -> None:
        if verb == "pg" and arg.isdigit():
            st.list_page = int(arg)
            return
        document = _pending(st)
        if verb != "pick" or not arg.isdigit() or document is None:
            if document is not None:
                ctx.say(btext("justif_cancelled"))
            st.extra.pop(PENDING_DOCUMENT, None)
            st.screen = "menu"
            return
        action = await load_action(ctx, int(arg))
        if action is None:
            return
        if not can_take_justification(action):
            ctx.say(text("operation_not_allowed"))
            return
        try:
            document = checked_justification(action, document)
        except FieldError as exc:
            ctx.say(plain(exc.message))
            if not justification_locked(action):  # the file itself is refused: it is dropped
                st.extra.pop(PENDING_DOCUMENT, None)
                st.screen = "menu"
            return
        action.justificatif = document
        # A StaleVersion here (someone committed between this read and this write) goes up to the
        # engine, which replays the whole input on fresh data: the file is not lost.
        saved = await ctx.actions().save(action)
        payload = {"file_name": document.file_name or "", "file_id": document.file_id}
        ctx.uow.publish(Event(kind=EventKind.JUSTIFICATION_RECEIVED, action_id=saved.id,
                              organisation_id=saved.organisation_id, payload=payload))
        st.extra.pop(PENDING_DOCUMENT, None)
        st.action_id = saved.id
        st.notice = btext("justif_attached", reference=saved.reference, name=document.file_name)
        st.screen = "view"

    async def on_document(self, ctx: Context, st: DialogState, document: Document) -> None:
        """Another file while picking: it replaces the one waiting (once checked)."""
        try:
            document = checked_justification(None, document)
        except FieldError as exc:
            ctx.say(plain(exc.message))
            return
        st.extra[PENDING_DOCUMENT] = document.model_dump(mode="json")
