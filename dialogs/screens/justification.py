"""The État justification sent as a file at any time: the member picks the action it belongs to.

A document sent where no question expects one lands here (``Screen.on_document``): the file waits
in ``st.pending_document`` while the member picks one of their organisation's État actions (any status but
archived); it is then stored with the action, and the Carif-Oref is told (an event)."""

from __future__ import annotations

from dialogs.context import Context
from dialogs.form import checked_justification
from dialogs.io import Reply
from dialogs.keyboards import Keyboard
from dialogs.render import plain, render, text
from dialogs.router import button, screen
from dialogs.screens.backoffice import blabel, btext
from dialogs.screens.common import load_action
from dialogs.screens.paged import PagedList
from dialogs.state import DialogState, ScreenName
from domain.errors import FieldError
from domain.lifecycle import justification_locked, may_attach_justification
from domain.models import Action, Document
from domain.services import member


def can_take_justification(action: Action) -> bool:
    return may_attach_justification(action)


async def _etat_actions(ctx: Context) -> list[Action]:
    return [a for a in await ctx.actions().list(limit=1000) if can_take_justification(a)]


@screen(ScreenName.JUSTIF_PICK, targets=(ScreenName.VIEW, ScreenName.MENU))
class JustifPick(PagedList):
    pick_verb = "pick"

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        if st.pending_document is None:
            kb.add(blabel("menu"), "cancel")
            return [Reply(btext("justif_expired"), kb.rows)]
        return await super().render(ctx, st, kb)

    async def items(self, ctx: Context, st: DialogState) -> list[Action]:
        return await _etat_actions(ctx)

    def item_label(self, action: Action) -> str:
        return blabel("justif_item", reference=action.reference or "",
                      title=action.intitule or text("untitled"), status=action.status.label)

    def footer(self, kb: Keyboard, st: DialogState) -> None:
        kb.add(blabel("cancel"), "cancel")

    async def body(self, ctx: Context, st: DialogState, actions: list[Action]) -> str:
        assert st.pending_document is not None
        return render("justif_pick.j2", name=st.pending_document.file_name, count=len(actions))

    @button("cancel")
    async def cancel(self, ctx: Context, st: DialogState, arg: str) -> None:
        if st.pending_document is not None:
            ctx.say(btext("justif_cancelled"))
        st.pending_document = None
        st.screen = ScreenName.MENU

    @button("pick")
    async def pick(self, ctx: Context, st: DialogState, arg: str) -> None:
        document = st.pending_document
        if document is None:
            await self.cancel(ctx, st, arg)
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
                st.pending_document = None
                st.screen = ScreenName.MENU
            return
        # A StaleVersion here (someone committed between this read and this write) goes up to the
        # engine, which replays the whole input on fresh data: the file is not lost.
        saved = await member.attach_justification(ctx.uow, ctx.member(), action, document)
        st.pending_document = None
        st.action_id = saved.id
        st.notice = btext("justif_attached", reference=saved.reference, name=document.file_name)
        st.screen = ScreenName.VIEW

    async def on_document(self, ctx: Context, st: DialogState, document: Document) -> None:
        """Another file while picking: it replaces the one waiting (once checked)."""
        try:
            document = checked_justification(None, document)
        except FieldError as exc:
            ctx.say(plain(exc.message))
            return
        st.pending_document = document
