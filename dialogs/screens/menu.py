"""The main menu « Vos actions de formation », creating and copying, lists and the action view."""

from __future__ import annotations

from dialogs.context import Context
from dialogs.io import Reply
from dialogs.keyboards import Keyboard, page_slice, pages
from dialogs.recap import recap_messages
from dialogs.render import label, plain, render, text
from dialogs.router import Screen, screen
from dialogs.screens.common import load_action, open_form, still_modifiable
from dialogs.state import DialogState
from domain.archiving import archive_date, visible_to_organisation
from domain.errors import ChangeNotAllowed, DomainError
from domain.funders import FUNDERS, Funder
from domain.lifecycle import Operation, allowed_operations, copy_action, ensure_can_delete
from domain.models import Action, Status
from domain.rules import validate_action

LIST_PAGE = 5

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


@screen
class ChooseOrganisation(Screen):
    """A person linked to several organisations chooses the one they work for."""

    name = "choose_org"
    targets = ("menu",)

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        for org_id in ctx.principal.organisation_ids:
            org = await ctx.uow.organisations.get(org_id)
            if org is not None:
                kb.add(label("organisation", title=org.nom_organisme or org.raison_sociale or org_id), "org", org_id)
        return [Reply(render("choose_org.j2"), kb.rows)]

    async def on_button(self, ctx: Context, st: DialogState, verb: str, arg: str) -> None:
        if verb == "org" and arg.isdigit() and int(arg) in ctx.principal.organisation_ids:
            st.organisation_id = int(arg)
            ctx.organisation_id = int(arg)
            st.screen = "menu"


@screen
class Menu(Screen):
    name = "menu"
    targets = ("create", "list", "dates_pick_action", "fiche", "question", "sessions", "recap", "choose_org",
               "merge", "view")

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        org = await ctx.organisation()
        counts = await ctx.actions().counts()
        totals = {name: sum(counts.get(s, 0) for s in statuses) for name, statuses in LISTS.items()}
        if st.form is not None and st.form.kind == "action":
            title = st.form.action().intitule or text("untitled")
            kb.add(label("resume", title=title), "resume")
        kb.add(label("create"), "create")
        for name in LISTS:
            if name in ALWAYS_SHOWN or totals[name]:
                kb.add(label("list_status", label=text(f"list_{name}"), count=totals[name]), "list", name)
        kb.add(label("update_dates"), "dates")
        kb.add(label("fiche"), "fiche")
        if len(ctx.principal.organisation_ids) > 1:
            kb.add(label("organisation", title=text("change_organisation")), "orgs")
        body = render("menu.j2", organisation=org, notice=st.notice, error=st.error)
        st.error = None
        return [Reply(body, kb.rows)]

    async def on_button(self, ctx: Context, st: DialogState, verb: str, arg: str) -> None:
        if verb == "resume" and st.form is not None:
            if not await still_modifiable(ctx, st):
                return
            if st.form.conflicts:
                st.screen = "merge"
                return
            st.screen = st.extra.get("quit_from") or ("question" if st.form.key else "sessions")
            if st.screen == "quit_ask":
                st.screen = "question"
        elif verb == "create":
            st.screen = "create"
        elif verb == "list" and arg in LISTS:
            st.list_status = arg
            st.list_page = 0
            st.screen = "list"
        elif verb == "dates":
            st.screen = "dates_pick_action"
        elif verb == "fiche":
            st.screen = "fiche"
        elif verb == "orgs":
            st.screen = "choose_org"
        else:
            ctx.say(text("unexpected_button"))


@screen
class Create(Screen):
    """Choose the funder of a blank form, or copy a published or archived Région action."""

    name = "create"
    targets = ("question", "copy_pick", "menu", "merge")

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        for funder in FUNDERS:  # one button per row of the funders' table
            kb.add(label("funder", label=funder.label), "funder", funder.value)
        kb.add(label("copy_region"), "copy")
        kb.add(label("menu"), "menu")
        replace = st.form is not None and st.form.kind == "action" and st.form.dirty
        return [Reply(render("create.j2", replace=replace), kb.rows)]

    async def on_button(self, ctx: Context, st: DialogState, verb: str, arg: str) -> None:
        if verb == "funder" and arg in {f.value for f in FUNDERS}:
            assert ctx.organisation_id is not None
            action = Action(organisation_id=ctx.organisation_id, funder=Funder(arg))
            if await open_form(ctx, st, action) is not None:
                st.notice = text("form_started", funder=Funder(arg).label)
        elif verb == "copy":
            st.list_page = 0
            st.screen = "copy_pick"
        else:
            st.screen = "menu"


async def _copyable(ctx: Context) -> list[Action]:
    today = ctx.clock.today()
    found: list[Action] = []
    for status in (Status.PUBLISHED, Status.ARCHIVED):
        for action in await ctx.actions().list(status, limit=500):
            if Operation.COPY in allowed_operations(action, today):
                found.append(action)
    return found


@screen
class CopyPick(Screen):
    name = "copy_pick"
    targets = ("sessions", "create", "merge")

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        actions = await _copyable(ctx)
        for i in page_slice(actions, st.list_page, LIST_PAGE):
            a = actions[i]
            kb.add(label("action_item", reference=a.reference or "", title=a.intitule or text("untitled")), "pick", a.id)
        kb.pager(st.list_page, pages(actions, LIST_PAGE))
        kb.add(label("back"), "back")
        return [Reply(render("copy_pick.j2", count=len(actions)), kb.rows)]

    async def on_button(self, ctx: Context, st: DialogState, verb: str, arg: str) -> None:
        if verb == "pg":
            st.list_page = max(0, int(arg))
        elif verb == "pick" and arg.isdigit():
            source = await load_action(ctx, int(arg))
            if source is None:
                return
            try:
                copy = copy_action(source, ctx.clock.today())
            except DomainError as exc:
                ctx.say(plain(exc.message))
                return
            if await open_form(ctx, st, copy, screen="sessions") is not None:
                st.notice = text("copied", reference=source.reference, title=source.intitule)
        else:
            st.screen = "create"


@screen
class ActionList(Screen):
    name = "list"
    targets = ("view", "menu")

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        name = st.list_status or "draft"
        today = ctx.clock.today()
        actions: list[Action] = []
        for status in LISTS.get(name, (Status.DRAFT,)):
            actions += await ctx.actions().list(status, limit=1000)
        if name == "archived":
            actions = [a for a in actions if visible_to_organisation(a, today)]
        for i in page_slice(actions, st.list_page, LIST_PAGE):
            a = actions[i]
            kb.add(label("action_item", reference=a.reference or "", title=a.intitule or text("untitled")), "view", a.id)
        kb.pager(st.list_page, pages(actions, LIST_PAGE))
        kb.add(label("menu"), "menu")
        body = render("list.j2", title=text(f"list_{name}"), count=len(actions), notice=st.notice)
        return [Reply(body, kb.rows)]

    async def on_button(self, ctx: Context, st: DialogState, verb: str, arg: str) -> None:
        if verb == "pg":
            st.list_page = max(0, int(arg))
        elif verb == "view" and arg.isdigit():
            st.action_id = int(arg)
            st.screen = "view"
        else:
            st.screen = "menu"


_OPERATION_BUTTONS = (
    (Operation.MODIFY, "op_modify", "modify"),
    (Operation.CONFIRM, "op_confirm", "confirm"),
    (Operation.UPDATE_DATES, "op_dates", "dates"),
    (Operation.COPY, "op_copy", "copy"),
    (Operation.DELETE, "op_delete", "delete"),
)


@screen
class ViewAction(Screen):
    """One action: its summary and the operations its status allows."""

    name = "view"
    targets = ("recap", "sessions", "dates_pick_session", "delete_ask", "list", "menu", "merge")

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        action = await ctx.actions().get(st.action_id or 0)
        if action is None:
            st.screen = "menu"
            return [Reply(text("action_not_found")), *await Menu().render(ctx, st, kb)]
        today = ctx.clock.today()
        allowed = allowed_operations(action, today)
        for op, name, verb in _OPERATION_BUTTONS:
            if op in allowed:
                kb.add(label(name), verb)
        if Operation.VIEW in allowed:
            kb.add(label("op_view"), "full")
        kb.row(kb.button(label("back"), "back"), kb.button(label("menu"), "menu"))
        body = render("view.j2", action=action, archive_on=archive_date(action), notice=st.notice)
        return [Reply(body, kb.rows)]

    async def on_button(self, ctx: Context, st: DialogState, verb: str, arg: str) -> None:
        action = await load_action(ctx, st.action_id)
        if action is None:
            st.screen = "menu"
            return
        allowed = allowed_operations(action, ctx.clock.today())
        if verb in ("modify", "confirm") and Operation.MODIFY in allowed:
            await open_form(ctx, st, action, screen="recap")
        elif verb == "dates" and Operation.UPDATE_DATES in allowed:
            st.screen = "dates_pick_session"
        elif verb == "copy" and Operation.COPY in allowed:
            if await open_form(ctx, st, copy_action(action, ctx.clock.today()), screen="sessions") is not None:
                st.notice = text("copied", reference=action.reference, title=action.intitule)
        elif verb == "delete" and Operation.DELETE in allowed:
            st.screen = "delete_ask"
        elif verb == "full" and Operation.VIEW in allowed:
            org = await ctx.organisation()
            problems = validate_action(action, ctx.clock.today()) if action.status is Status.DRAFT else []
            for part in recap_messages(action, problems, organisation_name=org.nom_organisme):
                ctx.say(part)
        elif verb == "back":
            st.screen = "list"
        elif verb == "menu":
            st.screen = "menu"
        else:
            ctx.say(text("operation_not_allowed"))


@screen
class DeleteAsk(Screen):
    name = "delete_ask"
    targets = ("list", "view")

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        action = await ctx.actions().get(st.action_id or 0)
        kb.add(label("delete_yes"), "yes").add(label("cancel"), "no")
        return [Reply(render("delete_ask.j2", action=action), kb.rows)]

    async def on_button(self, ctx: Context, st: DialogState, verb: str, arg: str) -> None:
        if verb != "yes":
            st.screen = "view"
            return
        action = await load_action(ctx, st.action_id)
        if action is None:
            st.screen = "menu"
            return
        try:
            ensure_can_delete(action)
        except DomainError as exc:
            ctx.say(plain(exc.message))
            st.screen = "view"
            return
        assert action.id is not None
        try:
            await ctx.actions().delete(action.id)
        except ChangeNotAllowed as exc:  # confirmed in between: the storage refuses
            ctx.say(plain(exc.message))
            st.screen = "view"
            return
        if st.form is not None and st.form.draft.get("id") == action.id:
            st.form = None
        st.notice = text("deleted", reference=action.reference)
        st.screen = "list"
