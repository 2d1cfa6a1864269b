"""« Votre fiche organisme »: view it, complete or change one field at a time."""

from __future__ import annotations

from dialogs.context import Context
from dialogs.form import enter
from dialogs.io import Reply
from dialogs.keyboards import Keyboard
from dialogs.render import label, render, text
from dialogs.router import Screen, screen
from dialogs.state import DialogState, FormState
from domain.catalogue import ORGANISATION_FIELDS, Section


@screen
class Fiche(Screen):
    name = "fiche"
    targets = ("question", "menu")
    help_topic = "fiche"

    async def render(self, ctx: Context, st: DialogState, kb: Keyboard) -> list[Reply]:
        org = await ctx.organisation()
        rows = [(spec.display_label, spec.format(org.get(spec.key)), spec.key) for spec in ORGANISATION_FIELDS]
        for lab, value, key in rows:
            kb.add(label("field", label=lab, value=value if value != "—" else ""), "f", key)
        kb.add(label("menu"), "menu")
        missing = [lab for lab, value, key in rows if value == "—" and lab.endswith("*")]
        body = render("fiche.j2", organisation=org, rows=rows, missing=missing, notice=st.notice)
        return [Reply(body, kb.rows)]

    async def on_button(self, ctx: Context, st: DialogState, verb: str, arg: str) -> None:
        if verb == "f" and arg in {f.key for f in ORGANISATION_FIELDS}:
            org = await ctx.organisation()
            form = FormState(kind="organisation", draft=org.model_dump(mode="json"), section=Section.ORGANISME)
            # Keep an action form in progress: the fiche edit is a detour (its own small form).
            if st.form is not None and st.form.kind == "action":
                st.extra["parked_form"] = st.form.model_dump(mode="json")
            st.form = form
            enter(form, arg)
            st.screen = "question"
        elif verb == "menu":
            st.screen = "menu"
        else:
            ctx.say(text("unexpected_button"))
