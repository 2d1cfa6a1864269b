"""The Carif-Oref staff's operations on an organisation, from an action's view: its fiche as
stored, and its Carif-Oref reference (typed here; ``backoffice.set_organisation_reference``, the
use case the command line's ``formabot org set`` calls too). The organisation never sets it."""

from __future__ import annotations

from dialogs.context import Context
from dialogs.io import Reply
from dialogs.keyboards import Keyboard
from dialogs.render import render
from dialogs.router import Redirect, button, screen
from dialogs.screens.backoffice import BackofficeScreen, actor, attempt, blabel, btext, load
from dialogs.state import DialogState, ScreenName
from domain.catalogue import ORGANISATION_FIELDS
from domain.services import backoffice


@screen(ScreenName.STAFF_ORGANISATION, shows_error=True,
        targets=(ScreenName.STAFF_VIEW, ScreenName.STAFF_MENU))
class StaffOrganisation(BackofficeScreen):
    """« 🏢 Organisme » of an action (staff): the fiche, and its Carif-Oref reference to give."""

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        action = await load(ctx, st, st.action_id)
        org = await ctx.uow.organisations.get(action.organisation_id) if action is not None else None
        if action is None or org is None:
            raise Redirect(ScreenName.STAFF_MENU)
        rows = [(spec.display_label, spec.format(org.get(spec.key))) for spec in ORGANISATION_FIELDS]
        kb.row(kb.button(blabel("back_to_action", reference=action.reference or ""), "go", "view"),
               kb.button(blabel("menu"), "go", "menu"))
        body = render("staff_organisation.j2", organisation=org, rows=rows, notice=st.notice, error=st.error)
        return [Reply(body, kb.rows)]

    async def on_text(self, ctx: Context, st: DialogState, value: str) -> None:
        action = await load(ctx, st, st.action_id)
        if action is None:
            st.screen = ScreenName.STAFF_MENU
            return
        done = await attempt(
            ctx, st,
            backoffice.set_organisation_reference(ctx.uow, actor(ctx, st), action.organisation_id, value),
        )
        if done is not None:
            st.notice = btext("organisation_reference_set", reference=done.reference_carif,
                              name=done.nom_organisme or done.raison_sociale)

    @button("go")
    async def go(self, ctx: Context, st: DialogState, arg: str) -> None:
        """Back to the action's view (``view``) or to the staff menu (``menu``)."""
        st.screen = ScreenName.STAFF_MENU if arg == "menu" else ScreenName.STAFF_VIEW
