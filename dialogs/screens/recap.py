"""The récapitulatif, correcting one field from it, and the confirmation."""

from __future__ import annotations

from dataclasses import replace

from dialogs.context import Context
from dialogs.form import enter, fields, session_period
from dialogs.io import Reply
from dialogs.keyboards import Keyboard
from dialogs.recap import general_groups, recap_messages, recap_pdf, session_rows
from dialogs.render import label, plain, render, text
from dialogs.router import Screen, screen
from dialogs.screens.common import form_of, save_and_leave, save_working_copy
from dialogs.screens.fiche import complete_fiche_first
from dialogs.screens.form import ask_quit, start_session
from dialogs.state import DialogState
from domain.catalogue import Section
from domain.errors import ActionInvalid, DomainError
from domain.events import Event
from domain.lifecycle import confirm
from domain.rules import validate_action


async def _org_name(ctx: Context) -> str | None:
    org = await ctx.organisation()
    return org.nom_organisme or org.raison_sociale


@screen
class Recap(Screen):
    name = "recap"
    targets = ("pick_field", "question", "confirm_ask", "menu", "quit_ask", "sessions", "merge", "view")
    help_topic = "recap"

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        action = form_of(st).action()
        problems = validate_action(action, ctx.clock.today())
        parts = recap_messages(action, problems, organisation_name=await _org_name(ctx))
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
            st.error = None
        replies[-1].buttons = kb.rows
        return replies

    async def on_button(self, ctx: Context, st: DialogState, verb: str, arg: str) -> None:
        form = form_of(st)
        action = form.action()
        if verb == "group" and arg.isdigit():
            st.extra["pick"] = f"group:{arg}"
            st.screen = "pick_field"
        elif verb == "session" and arg.isdigit() and int(arg) < len(action.sessions):
            st.extra["pick"] = f"session:{arg}"
            st.screen = "pick_field"
        elif verb == "add":
            start_session(st, len(action.sessions))
        elif verb == "print":
            problems = validate_action(action, ctx.clock.today())
            pending = recap_pdf(action, problems, organisation_name=await _org_name(ctx))
            # Made after the commit, in a worker; sent with this text once ready (dialogs.printing).
            ctx.out.append(Reply(text("print_ready"), pending=pending, alert=text("print_preparing")))
        elif verb == "confirm":
            problems = validate_action(action, ctx.clock.today())
            if problems:
                st.error = text("problems", problems=[p.message for p in problems])
            elif await complete_fiche_first(ctx, st, then="confirm_ask"):
                st.screen = "confirm_ask"
        elif verb == "save":
            await save_and_leave(ctx, st)
        elif verb == "quit":
            ask_quit(st)
        else:
            ctx.say(text("unexpected_button"))


@screen
class PickField(Screen):
    """The fields of one part of the recap: tap one to correct it, then back to the recap."""

    name = "pick_field"
    targets = ("question", "recap")
    help_topic = "recap"

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        action = form_of(st).action()
        kind, _, index = str(st.extra.get("pick", "group:0")).partition(":")
        i = int(index) if index.isdigit() else 0
        if kind == "session" and i < len(action.sessions):
            rows = session_rows(action)[i]
            title = text("session_title", number=i + 1)
        else:
            groups = general_groups(action)
            group = groups[min(i, len(groups) - 1)]
            rows, title = group.rows, group.title
        for row in rows:
            kb.add(label("field", label=row.label, value=row.value), "f", row.key)
        if kind == "session" and len(action.sessions) > 1:
            kb.add(label("remove_session", number=i + 1), "rm", i)
        kb.add(label("back_recap"), "back")
        return [Reply(render("pick_field.j2", title=title), kb.rows)]

    async def on_button(self, ctx: Context, st: DialogState, verb: str, arg: str) -> None:
        form = form_of(st)
        kind, _, index = str(st.extra.get("pick", "group:0")).partition(":")
        if verb == "f":
            if kind == "session":
                form.section = Section.SESSION
                form.session_index = int(index)
            else:
                form.section = Section.GENERAL
            if arg not in [f.key for f in fields(form)]:
                ctx.say(text("unexpected_button"))
                return
            enter(form, arg)
            form.return_to = "recap"
            st.screen = "question"
        elif verb == "rm" and kind == "session":
            action = form.action()
            if int(arg) < len(action.sessions) and len(action.sessions) > 1:
                del action.sessions[int(arg)]
                form.draft = action.model_dump(mode="json")
                form.dirty = True
                st.notice = text("session_removed", number=int(arg) + 1)
            st.screen = "recap"
        else:
            st.screen = "recap"


@screen
class ConfirmAsk(Screen):
    name = "confirm_ask"
    targets = ("menu", "recap", "question", "merge", "view")
    help_topic = "recap"

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        kb.add(label("confirm_yes"), "yes").add(label("back_recap"), "no")
        return [Reply(render("confirm_ask.j2", action=form_of(st).action(), notice=st.notice), kb.rows)]

    async def on_button(self, ctx: Context, st: DialogState, verb: str, arg: str) -> None:
        if verb != "yes":
            st.screen = "recap"
            return
        # The fiche organisme may have lost a required field since « Confirmer » (RULES.md): the
        # missing fields are asked first, and the action is not confirmed meanwhile.
        if not await complete_fiche_first(ctx, st, then="confirm_ask"):
            return
        form = form_of(st)
        action = form.action()
        try:
            events = confirm(action, ctx.clock.today(), ctx.clock.now())
        except ActionInvalid as exc:
            st.error = text("problems", problems=[p.message for p in exc.problems])
            st.screen = "recap"
            return
        except DomainError as exc:
            st.error = plain(exc.message)
            st.screen = "recap"
            return
        form.draft = action.model_dump(mode="json")
        saved = await save_working_copy(ctx, st, after="recap")
        if saved is None:
            if st.screen == self.name:  # not on the choices to make, nor on the action's view
                st.screen = "recap"
            return
        ctx.uow.publish(*[_with_id(e, saved.id) for e in events])
        st.form = None
        st.screen = "menu"
        st.notice = render("confirmed.j2", action=saved)


def _with_id(event: Event, action_id: int | None) -> Event:
    """A new action gets its id when first stored, after the lifecycle emitted its events."""
    return replace(event, action_id=action_id) if event.action_id is None else event

