"""The main menu « Vos actions de formation », creating and copying, lists and the action view."""

from __future__ import annotations

from dialogs.context import Context
from dialogs.form import reopen_at
from dialogs.io import Reply
from dialogs.keyboards import Keyboard
from dialogs.recap import recap_messages
from dialogs.render import label, plain, render, text
from dialogs.router import (
    Redirect,
    Screen,
    button,
    goes_to,
    goes_to_with_action,
    opens_action,
    opens_list,
    screen,
)
from dialogs.screens.common import (
    load_action,
    open_form,
    reload_text,
    save_working_copy,
    still_modifiable,
)
from dialogs.screens.paged import PagedList
from dialogs.state import DialogState, ScreenName
from domain.archiving import archive_date, visible_to_organisation
from domain.catalogue import action_fields_for
from domain.errors import DomainError
from domain.funders import FUNDERS, Funder
from domain.lifecycle import Operation, allowed_operations
from domain.models import Action, Status
from domain.rules import validate_action
from domain.services import member

# The lists of the menu: a name, the statuses it shows, its title (in texts.j2).
LISTS: dict[str, tuple[Status, ...]] = {
    "draft": (Status.DRAFT,),
    "returned": (Status.RETURNED,),
    "submitted": (Status.SUBMITTED, Status.APPROVED),
    "refused": (Status.REFUSED,),
    "published": (Status.PUBLISHED,),
    "archived": (Status.ARCHIVED,),
}
ALWAYS_SHOWN = ("draft", "submitted", "published", "archived")


@screen(ScreenName.CHOOSE_ORG, targets=(ScreenName.MENU, ScreenName.MERGE, ScreenName.VIEW))
class ChooseOrganisation(Screen):
    """A person linked to several organisations chooses the one they work for."""

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        for org_id in ctx.principal.organisation_ids:
            org = await ctx.uow.organisations.get(org_id)
            if org is not None:
                kb.add(label("organisation", title=org.nom_organisme or org.raison_sociale or org_id), "org", org_id)
        return [Reply(render("choose_org.j2"), kb.rows)]

    @button("org")
    async def choose(self, ctx: Context, st: DialogState, arg: str) -> None:
        if arg.isdigit() and int(arg) in ctx.principal.organisation_ids:
            if not await _put_away_form(ctx, st, int(arg)):
                return
            st.organisation_id = int(arg)
            ctx.organisation_id = int(arg)
            st.screen = ScreenName.MENU


async def _put_away_form(ctx: Context, st: DialogState, chosen: int) -> bool:
    """Before working for another organisation: an action form of the one left is saved as a draft
    there (its answers are never dropped, and never resumed in the other organisation's scope,
    where its action is not found). False when the user must stay on it (choices to make)."""
    form = st.form
    if form is None or form.kind != "action" or form.draft.get("organisation_id") == chosen:
        return True
    if form.conflicts:
        ctx.say(reload_text("choose_first_switch"))
        st.screen = ScreenName.MERGE
        return False
    owner = form.draft.get("organisation_id")
    if form.dirty and owner in ctx.principal.organisation_ids:
        ctx.organisation_id = owner
        saved = await save_working_copy(ctx, st)
        if saved is None:
            if st.form is not None:  # merged with choices to make, or refused as it is
                if st.screen == ScreenName.CHOOSE_ORG:
                    st.screen = ScreenName.MENU
                return False
            return st.screen != ScreenName.VIEW  # moved on meanwhile: the user sees it first
        ctx.say(text("previous_form_saved"))
    st.form = None
    st.quit_from = None
    return True


@screen(ScreenName.MENU, shows_error=True,
        targets=(ScreenName.CREATE, ScreenName.LIST, ScreenName.DATES_PICK_ACTION, ScreenName.FICHE,
                 ScreenName.QUESTION, ScreenName.SESSIONS, ScreenName.RECAP, ScreenName.CHOOSE_ORG,
                 ScreenName.MERGE, ScreenName.VIEW, ScreenName.CATALOGUE))
class Menu(Screen):
    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        org = await ctx.organisation()
        counts = await ctx.actions().counts()
        totals = {name: sum(counts.get(s, 0) for s in statuses) for name, statuses in LISTS.items()}
        if st.form is not None and st.form.kind == "action":
            title = st.form.action().intitule or text("untitled")
            kb.add(label("resume", title=title), "resume")
        kb.add(label("create"), "create")
        if st.imported:  # the drafts of the catalogue sent last, to complete one by one
            kb.add(label("catalogue_again", count=len(st.imported)), "catalogue")
        for name in LISTS:
            if name in ALWAYS_SHOWN or totals[name]:
                kb.add(label("list_status", label=text(f"list_{name}"), count=totals[name]), "list", name)
        kb.add(label("update_dates"), "dates")
        kb.add(label("fiche"), "fiche")
        if len(ctx.principal.organisation_ids) > 1:
            kb.add(label("organisation", title=text("change_organisation")), "orgs")
        body = render("menu.j2", organisation=org, notice=st.notice, error=st.error)
        return [Reply(body, kb.rows)]

    @button("resume")
    async def resume(self, ctx: Context, st: DialogState, arg: str) -> None:
        if st.form is None:
            ctx.say(text("unexpected_button"))
            return
        if not await still_modifiable(ctx, st):
            return
        if st.form.conflicts:
            st.screen = ScreenName.MERGE
            return
        st.screen = st.quit_from or (ScreenName.QUESTION if st.form.key else ScreenName.SESSIONS)
        if st.screen == ScreenName.QUIT_ASK:
            st.screen = ScreenName.QUESTION

    create = goes_to(ScreenName.CREATE, "create")
    catalogue = goes_to(ScreenName.CATALOGUE, "catalogue")

    open_list = opens_list(ScreenName.LIST, "list", LISTS)

    dates = goes_to(ScreenName.DATES_PICK_ACTION, "dates")
    fiche = goes_to(ScreenName.FICHE, "fiche")
    organisations = goes_to(ScreenName.CHOOSE_ORG, "orgs")


@screen(ScreenName.CREATE,
        targets=(ScreenName.QUESTION, ScreenName.COPY_PICK, ScreenName.MENU, ScreenName.MERGE))
class Create(Screen):
    """Choose the funder of a blank form, or copy a published or archived Région action."""

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        for funder in FUNDERS:  # one button per row of the funders' table
            kb.add(label("funder", label=funder.label), "funder", funder.value)
        kb.add(label("copy_region"), "copy")
        kb.add(label("menu"), "menu")
        replace = st.form is not None and st.form.kind == "action" and st.form.dirty
        return [Reply(render("create.j2", replace=replace), kb.rows)]

    @button("funder")
    async def blank(self, ctx: Context, st: DialogState, arg: str) -> None:
        if arg not in {f.value for f in FUNDERS}:
            st.screen = ScreenName.MENU
            return
        assert ctx.organisation_id is not None
        action = Action(organisation_id=ctx.organisation_id, funder=Funder(arg))
        if await open_form(ctx, st, action) is not None:
            st.notice = text("form_started", funder=Funder(arg).label)

    @button("copy")
    async def copy(self, ctx: Context, st: DialogState, arg: str) -> None:
        st.list_page = 0
        st.screen = ScreenName.COPY_PICK

    menu = goes_to(ScreenName.MENU, "menu")


async def open_copy(ctx: Context, st: DialogState, source: Action) -> None:
    """« 📋 Copier » (from the list to copy or the action's view): the new draft opens at the first
    question of the general data, « Saisir ou vérifier les données recopiées » as in the guide;
    what changes with each purchase order is empty, so it is asked on the way."""
    try:
        copy = await member.copy(ctx.uow, ctx.member(), source, ctx.clock.today())
    except DomainError as exc:
        ctx.say(plain(exc.message))
        return
    if await open_form(ctx, st, copy) is not None:
        emptied = [spec.label for spec in action_fields_for(copy) if spec.per_order]
        st.notice = text("copied", reference=source.reference, title=source.intitule, emptied=emptied)


async def _copyable(ctx: Context) -> list[Action]:
    today = ctx.clock.today()
    found: list[Action] = []
    for status in (Status.PUBLISHED, Status.ARCHIVED):
        for action in await ctx.actions().list(status, limit=500):
            if Operation.COPY in allowed_operations(action, today):
                found.append(action)
    return found


@screen(ScreenName.COPY_PICK, targets=(ScreenName.QUESTION, ScreenName.CREATE, ScreenName.MERGE))
class CopyPick(PagedList):
    pick_verb = "pick"

    async def items(self, ctx: Context, st: DialogState) -> list[Action]:
        return await _copyable(ctx)

    def footer(self, kb: Keyboard, st: DialogState) -> None:
        kb.add(label("back"), "back")

    async def body(self, ctx: Context, st: DialogState, actions: list[Action]) -> str:
        return render("copy_pick.j2", count=len(actions))

    @button("pick")
    async def pick(self, ctx: Context, st: DialogState, arg: str) -> None:
        source = await load_action(ctx, int(arg))
        if source is not None:
            await open_copy(ctx, st, source)

    back = goes_to(ScreenName.CREATE, "back")


@screen(ScreenName.LIST, targets=(ScreenName.VIEW, ScreenName.MENU))
class ActionList(PagedList):
    async def items(self, ctx: Context, st: DialogState) -> list[Action]:
        name = st.list_status or "draft"
        actions: list[Action] = []
        for status in LISTS.get(name, (Status.DRAFT,)):
            actions += await ctx.actions().list(status, limit=1000)
        if name == "archived":
            today = ctx.clock.today()
            actions = [a for a in actions if visible_to_organisation(a, today)]
        return actions

    def footer(self, kb: Keyboard, st: DialogState) -> None:
        kb.add(label("menu"), "menu")

    async def body(self, ctx: Context, st: DialogState, actions: list[Action]) -> str:
        name = st.list_status or "draft"
        return render("list.j2", title=text(f"list_{name}"), count=len(actions), notice=st.notice)

    view = opens_action(ScreenName.VIEW, "view")
    menu = goes_to(ScreenName.MENU, "menu")


# The operations of the view, in the order shown: (operation, verb); the label is ``op_<verb>``.
_OPERATION_VERBS = (
    (Operation.MODIFY, "modify"),
    (Operation.CONFIRM, "confirm"),
    (Operation.UPDATE_DATES, "dates"),
    (Operation.COPY, "copy"),
    (Operation.DELETE, "delete"),
)


@screen(ScreenName.VIEW,
        targets=(ScreenName.RECAP, ScreenName.SESSIONS, ScreenName.QUESTION, ScreenName.DATES_PICK_SESSION,
                 ScreenName.DELETE_ASK, ScreenName.LIST, ScreenName.MENU, ScreenName.MERGE))
class ViewAction(Screen):
    """One action: its summary and the operations its status allows."""

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        action = await ctx.actions().get(st.action_id or 0)
        if action is None:
            ctx.say(text("action_not_found"))
            raise Redirect(ScreenName.MENU)
        today = ctx.clock.today()
        allowed = allowed_operations(action, today)
        kb.offer(allowed, ((op, label(f"op_{verb}"), verb) for op, verb in _OPERATION_VERBS))
        if Operation.VIEW in allowed:
            kb.add(label("op_view"), "full")
        kb.row(kb.button(label("back"), "back"), kb.button(label("menu"), "menu"))
        body = render("view.j2", action=action, archive_on=archive_date(action), notice=st.notice,
                      support=ctx.support_contact)
        return [Reply(body, kb.rows)]

    async def _action(self, ctx: Context, st: DialogState, operation: Operation | None) -> Action | None:
        """The action viewed, if it is still there and (for ``operation``) allows it now."""
        action = await load_action(ctx, st.action_id)
        if action is None:
            st.screen = ScreenName.MENU
            return None
        if operation is not None and operation not in allowed_operations(action, ctx.clock.today()):
            ctx.say(text("operation_not_allowed"))
            return None
        return action

    @button("modify")
    async def modify(self, ctx: Context, st: DialogState, arg: str) -> None:
        """Reopen the form where it was saved (``Action.resume_at``; the récapitulatif if unknown)."""
        if (action := await self._action(ctx, st, Operation.MODIFY)) is not None:
            form = await open_form(ctx, st, action, screen=ScreenName.RECAP)
            if form is not None:
                st.screen = reopen_at(form, action.resume_at)

    @button("confirm")
    async def confirm(self, ctx: Context, st: DialogState, arg: str) -> None:
        if (action := await self._action(ctx, st, Operation.MODIFY)) is not None:
            await open_form(ctx, st, action, screen=ScreenName.RECAP)

    dates = goes_to_with_action(ScreenName.DATES_PICK_SESSION, "dates", Operation.UPDATE_DATES)

    @button("copy")
    async def copy(self, ctx: Context, st: DialogState, arg: str) -> None:
        if (action := await self._action(ctx, st, Operation.COPY)) is not None:
            await open_copy(ctx, st, action)

    delete = goes_to_with_action(ScreenName.DELETE_ASK, "delete", Operation.DELETE)

    @button("full")
    async def full(self, ctx: Context, st: DialogState, arg: str) -> None:
        if (action := await self._action(ctx, st, Operation.VIEW)) is not None:
            org = await ctx.organisation()
            problems = validate_action(action, ctx.clock.today()) if action.status is Status.DRAFT else []
            for part in recap_messages(action, problems, organisation=org):
                ctx.say(part)

    back = goes_to_with_action(ScreenName.LIST, "back")
    menu = goes_to_with_action(ScreenName.MENU, "menu")


@screen(ScreenName.DELETE_ASK, targets=(ScreenName.LIST, ScreenName.VIEW, ScreenName.MENU))
class DeleteAsk(Screen):
    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        action = await ctx.actions().get(st.action_id or 0)
        kb.add(label("delete_yes"), "yes").add(label("cancel"), "no")
        return [Reply(render("delete_ask.j2", action=action), kb.rows)]

    cancel = goes_to(ScreenName.VIEW, "no")

    @button("yes")
    async def delete(self, ctx: Context, st: DialogState, arg: str) -> None:
        action = await load_action(ctx, st.action_id)
        if action is None:
            st.screen = ScreenName.MENU
            return
        try:  # the lifecycle refuses, or the storage (confirmed in between: ChangeNotAllowed)
            await member.delete(ctx.uow, ctx.member(), action)
        except DomainError as exc:
            ctx.say(plain(exc.message))
            st.screen = ScreenName.VIEW
            return
        if st.form is not None and st.form.draft.get("id") == action.id:
            st.form = None
        st.notice = text("deleted", reference=action.reference)
        st.screen = ScreenName.LIST
