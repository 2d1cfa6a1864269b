"""The conflict screen: a field both the user and the stored action changed since the form was
opened; both values are shown (formatted as the catalogue formats them) and the user keeps one.

The working copy already holds the merged action (the user's value where in conflict) and the
form's base is the stored action; once every choice is made the action is saved (« Sauvegarder »:
the user is back where they pressed it) or the user goes back to the récapitulatif to confirm
again (« Confirmer »)."""

from __future__ import annotations

from dialogs.context import Context
from dialogs.io import Reply
from dialogs.keyboards import Keyboard
from dialogs.render import label, macro_text, render
from dialogs.router import Screen, button, screen
from dialogs.screens.common import form_of, reload_text, save_working_copy, saved_notice
from dialogs.state import DialogState, FormState, ScreenName
from domain.catalogue import FieldSpec, action_field, session_field
from domain.merge import Conflict, take_theirs, value_of
from domain.models import Action


def _conflict(form: FormState) -> Conflict | None:
    if not form.conflicts:
        return None
    first = form.conflicts[0]
    session_id = first.get("session_id")
    return Conflict(str(first["key"]), int(session_id) if session_id is not None else None)


def _spec(conflict: Conflict) -> FieldSpec:
    return action_field(conflict.key) if conflict.session_id is None else session_field(conflict.key)


def _stored(form: FormState) -> Action:
    return Action.model_validate(form.base or form.draft)


@screen(ScreenName.MERGE, needs_form=True,
        targets=(ScreenName.MENU, ScreenName.RECAP, ScreenName.VIEW, ScreenName.MERGE, ScreenName.QUESTION,
                 ScreenName.SESSIONS))
class Merge(Screen):
    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        form = form_of(st)
        conflict = _conflict(form)
        if conflict is None:  # every choice made, the save still to do (it met a new change)
            kb.add(label("save"), "mine")
            return [Reply(reload_text("merge_done"), kb.rows)]
        spec = _spec(conflict)
        mine, theirs = form.action_view(), _stored(form)
        session = None
        if conflict.session_id is not None:
            ids = [s.id for s in mine.sessions]
            session = ids.index(conflict.session_id) + 1 if conflict.session_id in ids else None
        body = render(
            "merge.j2",
            label=spec.display_label,
            session=session,
            mine=spec.format(value_of(mine, conflict)),
            theirs=spec.format(value_of(theirs, conflict)),
            number=1,
            total=len(form.conflicts),
        )
        kb.add(macro_text("reload.j2", "keep_mine"), "mine")
        kb.add(macro_text("reload.j2", "keep_theirs"), "theirs")
        return [Reply(body, kb.rows)]

    @button("mine")
    async def keep_mine(self, ctx: Context, st: DialogState, arg: str) -> None:
        await self._chosen(ctx, st, theirs=False)

    @button("theirs")
    async def keep_theirs(self, ctx: Context, st: DialogState, arg: str) -> None:
        await self._chosen(ctx, st, theirs=True)

    async def _chosen(self, ctx: Context, st: DialogState, *, theirs: bool) -> None:
        """One choice made (none left to make: the save that met a new change, again)."""
        form = form_of(st)
        conflict = _conflict(form)
        if conflict is not None:
            if theirs:
                action = form.action()
                take_theirs(action, _stored(form), conflict)
                form.draft = action.model_dump(mode="json")
            form.conflicts = form.conflicts[1:]
            form.dirty = True
            if form.conflicts:
                return
        if form.after_merge == ScreenName.RECAP:
            st.notice = reload_text("merge_done")
            st.screen = ScreenName.RECAP
            return
        back = form.save_from
        saved = await save_working_copy(ctx, st)
        if saved is None:
            return
        st.notice = saved_notice(saved)
        if back is not None:  # « Sauvegarder » keeps the user where they pressed it
            st.screen = back
            return
        st.form = None
        st.screen = ScreenName.MENU
