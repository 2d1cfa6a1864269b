"""The one shape of every list of actions: a page of them, one button each, the pager, then the
screen's own buttons. A list screen says which actions, how each is labelled, what picking one
does (a ``@button`` on its ``pick_verb``) and its text; the page size is ``keyboards.LIST_PAGE``."""

from __future__ import annotations

from typing import ClassVar

from dialogs.context import Context
from dialogs.io import Reply
from dialogs.keyboards import LIST_PAGE, Keyboard, page_slice, pages
from dialogs.render import label, text
from dialogs.router import Screen, button
from dialogs.state import DialogState
from domain.models import Action


class PagedList(Screen):
    pick_verb: ClassVar[str] = "view"

    async def items(self, ctx: Context, st: DialogState) -> list[Action]:
        raise NotImplementedError

    def item_label(self, action: Action) -> str:
        return label("action_item", reference=action.reference or "", title=action.intitule or text("untitled"))

    def item_extra(self, kb: Keyboard, action: Action) -> None:
        """Buttons of an action's own under its button (none by default)."""

    def footer(self, kb: Keyboard, st: DialogState) -> None:
        """The buttons under the pager (« Menu », « Retour »…)."""

    async def body(self, ctx: Context, st: DialogState, actions: list[Action]) -> str:
        raise NotImplementedError

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        actions = await self.items(ctx, st)
        for i in page_slice(actions, st.list_page, LIST_PAGE):
            kb.add(self.item_label(actions[i]), self.pick_verb, actions[i].id)
            self.item_extra(kb, actions[i])
        kb.pager(st.list_page, pages(actions, LIST_PAGE))
        self.footer(kb, st)
        return [Reply(await self.body(ctx, st, actions), kb.rows)]

    @button("pg")
    async def turn_page(self, ctx: Context, st: DialogState, arg: str) -> None:
        st.list_page = max(0, int(arg))
