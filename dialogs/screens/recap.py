"""The récapitulatif, correcting one field from it, and the confirmation."""

from __future__ import annotations

from dialogs.context import Context
from dialogs.form import open_field, session_period
from dialogs.io import Reply
from dialogs.keyboards import Keyboard
from dialogs.recap import general_groups, part_rows, recap_messages, recap_pdf
from dialogs.render import label, plain, render, text
from dialogs.router import Screen, button, goes_to, screen
from dialogs.screens.common import form_of, save_working_copy
from dialogs.screens.fiche import complete_fiche_first
from dialogs.screens.form import FormScreen, add_session
from dialogs.screens.template import open_part_template
from dialogs.state import DialogState, ScreenName
from domain.errors import ActionInvalid, DomainError
from domain.models import Action
from domain.rules import validate_action
from domain.services import member


@screen(ScreenName.RECAP, shows_error=True, needs_form=True,
        targets=(ScreenName.PICK_FIELD, ScreenName.QUESTION, ScreenName.CONFIRM_ASK, ScreenName.MENU,
                 ScreenName.QUIT_ASK, ScreenName.SESSIONS, ScreenName.MERGE, ScreenName.VIEW))
class Recap(FormScreen):
    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        action = form_of(st).action()
        problems = validate_action(action, ctx.clock.today())
        parts = recap_messages(action, problems, organisation=await ctx.organisation())
        for i, group in enumerate(general_groups(action)):
            kb.add(label("edit_group", group=group.title), "group", i)
        for i, s in enumerate(action.sessions):
            kb.add(label("edit_session", number=i + 1, period=session_period(s)), "session", i)
        kb.add(label("add_session", number=len(action.sessions) + 1), "add")
        kb.add(label("print"), "print")
        kb.add(label("confirm"), "confirm")
        kb.row(kb.button(label("save"), "save"), kb.button(label("quit"), "quit"))
        replies = [Reply(p) for p in parts]
        if st.notice or st.error:
            replies.append(Reply(render("notice.j2", notice=st.notice, error=st.error)))
        replies[-1].buttons = kb.rows
        return replies

    @button("group")
    async def group(self, ctx: Context, st: DialogState, arg: str) -> None:
        st.pick_kind, st.pick_index = "group", int(arg)
        st.screen = ScreenName.PICK_FIELD

    @button("session")
    async def session(self, ctx: Context, st: DialogState, arg: str) -> None:
        if int(arg) >= len(form_of(st).action().sessions):
            ctx.say(text("unexpected_button"))
            return
        st.pick_kind, st.pick_index = "session", int(arg)
        st.screen = ScreenName.PICK_FIELD

    @button("add")
    async def add(self, ctx: Context, st: DialogState, arg: str) -> None:
        add_session(st)

    @button("print")
    async def print(self, ctx: Context, st: DialogState, arg: str) -> None:
        action = form_of(st).action()
        problems = validate_action(action, ctx.clock.today())
        pending = recap_pdf(action, problems, organisation=await ctx.organisation(),
                            printed_on=ctx.clock.today())
        # Made after the commit, in a worker; sent with this text once ready (dialogs.printing).
        ctx.out.append(Reply(text("print_ready"), pending=pending, alert=text("print_preparing")))

    @button("confirm")
    async def confirm(self, ctx: Context, st: DialogState, arg: str) -> None:
        problems = validate_action(form_of(st).action(), ctx.clock.today())
        if problems:
            st.error = text("problems", problems=[p.message for p in problems])
        elif await complete_fiche_first(ctx, st, then=ScreenName.CONFIRM_ASK):
            st.screen = ScreenName.CONFIRM_ASK


@screen(ScreenName.PICK_FIELD, needs_form=True,
        targets=(ScreenName.QUESTION, ScreenName.RECAP, ScreenName.TEMPLATE))
class PickField(Screen):
    """The fields of one part of the recap: tap one to correct it, then back to the recap."""

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        action = form_of(st).action()
        kind, i = st.pick_kind, st.pick_index
        title, rows = part_rows(action, kind, i)
        for row in rows:
            kb.add(label("field", label=row.label, value=row.value), "f", row.key)
        if kind == "session" and len(action.sessions) > 1:
            kb.add(label("remove_session", number=i + 1), "rm", i)
        kb.add(label("template"), "tpl")
        kb.add(label("back_recap"), "back")
        return [Reply(render("pick_field.j2", title=title), kb.rows)]

    @button("tpl")
    async def template(self, ctx: Context, st: DialogState, arg: str) -> None:
        open_part_template(st)

    @button("f")
    async def field(self, ctx: Context, st: DialogState, arg: str) -> None:
        if not open_field(form_of(st), st.pick_kind, st.pick_index, arg, ScreenName.RECAP):
            ctx.say(text("unexpected_button"))
            return
        st.screen = ScreenName.QUESTION

    @button("rm")
    async def remove_session(self, ctx: Context, st: DialogState, arg: str) -> None:
        form = form_of(st)
        if st.pick_kind == "session":
            action = form.action()
            if int(arg) < len(action.sessions) and len(action.sessions) > 1:
                del action.sessions[int(arg)]
                form.draft = action.model_dump(mode="json")
                form.dirty = True
                st.notice = text("session_removed", number=int(arg) + 1)
        st.screen = ScreenName.RECAP

    back = goes_to(ScreenName.RECAP, "back")


@screen(ScreenName.CONFIRM_ASK,
        targets=(ScreenName.MENU, ScreenName.RECAP, ScreenName.QUESTION, ScreenName.MERGE, ScreenName.VIEW))
class ConfirmAsk(Screen):
    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        kb.add(label("confirm_yes"), "yes").add(label("back_recap"), "no")
        return [Reply(render("confirm_ask.j2", action=form_of(st).action(), notice=st.notice), kb.rows)]

    back = goes_to(ScreenName.RECAP, "no")

    @button("yes")
    async def confirm(self, ctx: Context, st: DialogState, arg: str) -> None:
        # The fiche organisme may have lost a required field since « Confirmer » (RULES.md): the
        # missing fields are asked first, and the action is not confirmed meanwhile.
        if not await complete_fiche_first(ctx, st, then=ScreenName.CONFIRM_ASK):
            return
        form = form_of(st)

        async def store(action: Action) -> Action | None:
            # The working copy is stored as the chat stores it (merging a concurrent change).
            form.draft = action.model_dump(mode="json")
            return await save_working_copy(ctx, st, after=ScreenName.RECAP)

        try:
            saved = await member.confirm(ctx.uow, ctx.member(), form.action(), today=ctx.clock.today(),
                                         now=ctx.clock.now(), store=store)
        except ActionInvalid as exc:
            st.error = text("problems", problems=[p.message for p in exc.problems])
            st.screen = ScreenName.RECAP
            return
        except DomainError as exc:
            st.error = plain(exc.message)
            st.screen = ScreenName.RECAP
            return
        if saved is None:
            if st.screen == self.name:  # not on the choices to make, nor on the action's view
                st.screen = ScreenName.RECAP
            return
        st.form = None
        st.screen = ScreenName.MENU
        st.notice = render("confirmed.j2", action=saved)

