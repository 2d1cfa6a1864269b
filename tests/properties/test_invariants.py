"""formabot's promises as properties, explored by a machine (issue 13).

Hypothesis plays people against the real dialog engine on the real SQLite storage: two
organisations (A and B) with two members each and complete fiches, the Carif-Oref staff (in the
chat and on the command line), a Pôle emploi validator. Its rules are what people do, interleaved:
open screens and come back to them later, answer questions (valid and invalid answers), save, quit,
confirm, copy, delete, update session dates, send documents, press stale, forged and garbled
buttons, publish, return, approve, refuse, record the Région's vote, mark a justification received.

After every step it checks:

1. **Who changes what.** An action's stored content changes only through an operation its status
   allows, by someone allowed (its organisation's members, the staff, the funder's validator), each
   change with a new version and an audit row of that operation naming who did it (creating,
   saving and deleting a draft included).
2. **No leak between organisations.** Nothing a member of A reads (messages and buttons) names
   B's actions (their unique titles and references) or B itself, and the reverse; notifications
   about an organisation's action go to its members, the staff and its funder's validators only.
3. **No answer lost.** Every answer the bot took (it is in the working copy after the step) stays
   in the member's working copy or in the stored action, unless the member was told it was not
   kept (« Quitter » confirmed, the action deleted, the session removed, « Vos modifications non
   sauvegardées n'ont pas pu être enregistrées ») or chose the stored value on the conflict screen.
4. **Versions only grow, and what is public is valid**: every published action validates against
   the LHEO 2.3 schema with its organisation.

CI runs it derandomised and bounded (the settings below); ``HYPOTHESIS_PROFILE=long`` explores
many more steps (``tests/conftest.py``).
"""

from __future__ import annotations

import asyncio
import atexit
import itertools
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import func, select

from dialogs.engine import DialogEngine
from dialogs.form import spec_of
from dialogs.io import Reply
from dialogs.keyboards import parse_payload
from dialogs.render import html_to_text, macro_html, text
from dialogs.state import DialogState, FormState
from dialogs.testing import DialogClient
from domain import lifecycle
from domain.catalogue import Kind
from domain.clock import FixedClock
from domain.errors import DomainError
from domain.funders import Circuit, Funder
from domain.models import Action, Document, Status
from domain.ports import Membership, Role
from domain.rules import validate_action
from domain.services import backoffice as operations
from domain.services.actors import Actor
from storage.database import create_engine, upgrade
from storage.lheo.export import build_formation
from storage.lheo.schema import lheo_schema
from storage.tables import actions as actions_table
from storage.tables import outbox
from storage.uow import SqlUnitOfWorkFactory
from tests.factories import make_organisation, make_valid_action
from tests.samples import INVALID_SAMPLES, VALID_DOCUMENTS, VALID_SAMPLES

TODAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

A1, A2, B1, B2 = 7001, 7002, 8001, 8002
STAFF = 9001
VALIDATOR = 4401
ORG_OF = {A1: "A", A2: "A", B1: "B", B2: "B"}
MEMBERS = tuple(ORG_OF)
PEOPLE = (*MEMBERS, STAFF, VALIDATOR)
# Every title and name of an organisation carries its token: a token in the other's messages is a leak.
TOKEN = {"A": "ALPHA", "B": "BRAVO"}
OTHER = {"A": "B", "B": "A"}

EDITABLE = (Status.DRAFT, Status.RETURNED)
# What the organisation may change in a published action (RULES.md « Sessions after publication »).
SESSION_UPDATABLE = frozenset({
    "debut", "fin", "etat_recrutement", "places", "inscription_debut", "inscription_fin",
    "modalites_inscription",
})
# Fields only the lifecycle (confirmation, the staff) may change, never a form.
PROTECTED = ("organisation_id", "funder", "reference", "reference_carif", "reference_ofaa",
             "published_at", "archived_on", "justificatif_recu", "refusal_reason", "copied_from")
# Button verbs that answer the current question (the rest navigate or operate).
ANSWER_VERBS = frozenset({"y", "n", "c", "ok", "d", "sm", "sc", "keep", "skip", "skipopt"})
# Printing renders a PDF (slow, and no state change): left to its own tests.
SKIPPED_VERBS = frozenset({"print", "noop"})
DIRECTED_VERBS = (
    "save", "quit", "yes", "no", "done", "confirm", "modify", "add", "resume", "back", "menu",
    "delete", "copy", "dates", "full", "group", "f", "edit", "general", "rm", "pick", "view",
    "publish", "approve", "refuse", "return", "vote", "justif", "list", "q", "funder", "fiche", "tpl",
)
FORGED_VERBS = (
    *DIRECTED_VERBS, "pg", "cal", "t", "c", "d", "sm", "sc", "session", "org", "orgs", "cancel",
    "document", "create", "keep", "skip", "y", "n", "ok",
)
LISTS = {Status.DRAFT: "draft", Status.RETURNED: "returned", Status.SUBMITTED: "submitted",
         Status.APPROVED: "submitted", Status.REFUSED: "refused", Status.PUBLISHED: "published",
         Status.ARCHIVED: "archived"}
TEXTS = ("Merci de corriger les dates de la session 1.", "bonjour", "",
         "x" * 1200, "<b>gras</b>", "du 16/03/2027 au 30/06/2027")



# The world, built once and copied for each example ------------------------------------------------

_TEMPLATE: Path | None = None


def _told(name: str, **context: Any) -> str:
    """A message of ``texts.j2`` as the user reads it (the words that tell an answer was dropped)."""
    return html_to_text(str(text(name, **context)))


def _not_kept() -> str:
    """The sentence of ``reload.j2`` telling that unsaved changes could not be stored."""
    with_it = html_to_text(str(macro_html("reload.j2", "action_gone", lost=True)))
    without = html_to_text(str(macro_html("reload.j2", "action_gone", lost=False)))
    return with_it.replace(without, "").strip()


def _seed_actions(org_id: int, letter: str) -> list[Action]:
    token = TOKEN[letter]
    made = [
        make_valid_action(Funder.REGION, intitule=f"{token} Région brouillon"),
        make_valid_action(Funder.ETAT_EMPLOI, intitule=f"{token} État brouillon", justificatif=None),
        make_valid_action(Funder.POLE_EMPLOI, intitule=f"{token} Pôle emploi proposée",
                          status=Status.SUBMITTED, confirmed_at=NOW),
        make_valid_action(Funder.REGION, intitule=f"{token} Région publiée", status=Status.PUBLISHED,
                          confirmed_at=NOW, published_at=NOW, reference_carif=f"CO-{token}-1"),
    ]
    for action in made:
        action.organisation_id = org_id
    return made


async def _build_template(path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    await upgrade(engine)
    factory = SqlUnitOfWorkFactory(engine, FixedClock(TODAY))
    async with factory() as uow:
        ids = {}
        for letter, siret in (("A", "44306184100047"), ("B", "35600000000048")):
            org = make_organisation(nom_organisme=f"Forma {TOKEN[letter]}",
                                    raison_sociale=f"Forma {TOKEN[letter]} SARL", siret=siret)
            ids[letter] = (await uow.organisations.add(org)).id
        for user, letter in ORG_OF.items():
            await uow.members.add(Membership(user_id=user, role=Role.MEMBER, organisation_id=ids[letter]),
                                  chat_id=user)
        await uow.members.add(Membership(user_id=VALIDATOR, role=Role.VALIDATOR, funder=Funder.POLE_EMPLOI),
                              chat_id=VALIDATOR)
        for letter in ("A", "B"):
            repo = uow.all_actions()  # seeded as the staff could: any status
            for action in _seed_actions(ids[letter], letter):
                await repo.add(action)
        await uow.commit()
    await engine.dispose()


def template() -> Path:
    global _TEMPLATE
    if _TEMPLATE is None:
        folder = Path(tempfile.mkdtemp(prefix="formabot-machine-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = folder / "template.db"
        asyncio.run(_build_template(path))
        _TEMPLATE = path
    return _TEMPLATE


# What the machine remembers between steps ----------------------------------------------------------


@dataclass(frozen=True)
class Who:
    kind: str  # "member" | "staff" | "validator"
    user_id: int | None
    organisation_id: int | None = None


@dataclass
class Snapshot:
    actions: dict[int, Action]
    audit_max: int
    outbox_max: int


@dataclass(frozen=True)
class Ack:
    """An answer the bot took: (the action's id, None before its first save; where; the value)."""

    action_id: int | None
    session: int | None  # None: general data
    key: str
    value: Any


@dataclass
class StepLog:
    who: Who | None = None
    rule: str = ""
    seen: dict[int, list[str]] = field(default_factory=dict)  # chat → texts and labels shown


def _content(action: Action) -> dict[str, Any]:
    data = action.model_dump(mode="json", exclude={"version", "updated_at"})
    for session in data["sessions"]:
        session.pop("id", None)
    return data


def _value(draft: dict[str, Any], session: int | None, key: str) -> Any:
    if session is None:
        return draft.get(key)
    sessions = draft.get("sessions") or []
    if session >= len(sessions):
        return None
    return sessions[session].get(key)


def _action_forms(state: DialogState | None) -> list[FormState]:
    """The action forms the member has: the one in progress, and one parked by a fiche edit."""
    if state is None:
        return []
    forms = []
    if state.form is not None and state.form.kind == "action":
        forms.append(state.form)
    if state.parked_form is not None and state.parked_form.kind == "action":
        forms.append(state.parked_form)
    return forms


def _texts(replies: list[Reply]) -> list[str]:
    out = []
    for reply in replies:
        out.append(html_to_text(reply.text))
        out += [b.label for row in reply.buttons for b in row]
        if reply.alert:
            out.append(reply.alert)
    return out


class Invariants(RuleBasedStateMachine):
    """The people of two organisations, the staff and a validator, and the promises they rely on."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="formabot-example-"))
        db = self.folder / "machine.db"
        shutil.copy(template(), db)
        self.runner = asyncio.Runner()
        self.db_engine = create_engine(f"sqlite+aiosqlite:///{db}")
        self.clock = FixedClock(TODAY)
        self.factory = SqlUnitOfWorkFactory(self.db_engine, self.clock)
        self.dialogs = DialogEngine(self.factory, self.clock, staff_ids=(STAFF,))
        self.clients = {uid: DialogClient(self.dialogs, uid) for uid in PEOPLE}
        self.shown: dict[int, list[str]] = {uid: [] for uid in PEOPLE}  # every payload ever shown
        self.acks: dict[int, dict[tuple[int | None, int | None, str], Ack]] = {uid: {} for uid in MEMBERS}
        self.counter = itertools.count(1)
        self.org_ids = self.run(self._org_ids())
        self.step = StepLog()
        self.previous = self.current = self.run(self._snapshot())
        self.lheo_checked: set[tuple[int, int]] = set()

    def teardown(self) -> None:
        try:
            self.run(self.db_engine.dispose())
        finally:
            self.runner.close()
            shutil.rmtree(self.folder, ignore_errors=True)

    def run(self, coro: Any) -> Any:
        return self.runner.run(coro)

    # Reading the world --------------------------------------------------------------------------

    async def _org_ids(self) -> dict[str, int]:
        async with self.factory() as uow:
            ids = {}
            for uid in (A1, B1):
                (membership,) = await uow.memberships(uid)
                assert membership.organisation_id is not None
                ids[ORG_OF[uid]] = membership.organisation_id
            return ids

    async def _snapshot(self) -> Snapshot:
        async with self.factory() as uow:
            stored = await uow.all_actions().list(limit=10_000)
            conn = uow.connection
            from storage.tables import audit

            audit_max = (await conn.execute(select(func.max(audit.c.id)))).scalar() or 0
            outbox_max = (await conn.execute(select(func.max(outbox.c.id)))).scalar() or 0
        return Snapshot({a.id: a for a in stored if a.id is not None}, audit_max, outbox_max)

    async def _state(self, chat_id: int) -> DialogState | None:
        async with self.factory() as uow:
            conversation = await uow.conversations.load(chat_id)
        return DialogState.model_validate(conversation.data) if conversation.data else None

    async def _member_view(self, chat_id: int) -> tuple[DialogState | None, int]:
        """The member's conversation state, and the highest action id (one transaction)."""
        async with self.factory() as uow:
            conversation = await uow.conversations.load(chat_id)
            highest = (await uow.connection.execute(select(func.max(actions_table.c.id)))).scalar() or 0
        return (DialogState.model_validate(conversation.data) if conversation.data else None), highest

    def who(self, uid: int) -> Who:
        if uid in ORG_OF:
            return Who("member", uid, self.org_ids[ORG_OF[uid]])
        if uid == STAFF:
            return Who("staff", uid)
        return Who("validator", uid)

    def letter_of(self, organisation_id: int) -> str:
        return next(letter for letter, oid in self.org_ids.items() if oid == organisation_id)

    def pick(self, which: int, *, organisation: str | None = None) -> Action | None:
        found = sorted(
            (a for a in self.current.actions.values()
             if organisation is None or a.organisation_id == self.org_ids[organisation]),
            key=lambda a: a.id or 0,
        )
        return found[which % len(found)] if found else None

    # Playing one input --------------------------------------------------------------------------

    def begin(self, uid: int | None, rule: str) -> None:
        self.previous = self.current
        self.step = StepLog(self.who(uid) if uid is not None else Who("staff", None), rule)

    def end(self) -> None:
        self.current = self.run(self._snapshot())

    def input(self, uid: int, *, text: str | None = None, payload: str | None = None,
              document: Document | None = None, command: str | None = None) -> list[Reply]:
        client = self.clients[uid]
        before, max_before = self.run(self._member_view(uid)) if uid in ORG_OF else (None, 0)
        if command is not None:
            replies = self.run(client.command(command))
        elif payload is not None:
            replies = self.run(client.press_payload(payload))
        elif document is not None:
            replies = self.run(client.document(document))
        else:
            replies = self.run(client.send(text or ""))
        self.step.seen.setdefault(uid, []).extend(_texts(replies))
        for reply in replies:
            self.shown[uid] += [p for p in reply.payloads if p not in self.shown[uid]]
        if uid in ORG_OF:
            after, max_after = self.run(self._member_view(uid))
            self._track_answers(uid, before, after, replies, max_before, max_after, text=text,
                                payload=payload, document=document)
        return replies

    def _track_answers(self, uid: int, before: DialogState | None, after: DialogState | None,
                       replies: list[Reply], max_before: int, max_after: int, *, text: str | None,
                       payload: str | None, document: Document | None) -> None:
        acks = self.acks[uid]
        forms_before = _action_forms(before)
        shown = "\n".join(_texts(replies))
        # A new action stored by this input: the answers given before its first save are its own.
        if max_after > max_before and any(f.draft.get("id") is None for f in forms_before):
            for k, ack in list(acks.items()):
                if ack.action_id is None:
                    del acks[k]
                    moved = Ack(max_after, ack.session, ack.key, ack.value)
                    acks[(max_after, ack.session, ack.key)] = moved
        # Told: « Quitter » confirmed drops the form's answers, deleting drops the action's,
        # removing a session drops its answers.
        if before is not None and before.form is not None and (
            _told("quit_done") in shown or _not_kept() in shown
        ):
            dropped = before.form.draft.get("id")
            for k in [k for k, a in acks.items() if a.action_id == dropped]:
                del acks[k]
        gone = self.current.actions.get(before.action_id or 0) if before is not None else None
        if gone is not None and _told("deleted", reference=gone.reference) in shown:
            for k in [k for k, a in acks.items() if a.action_id == gone.id]:
                del acks[k]
        if before is not None and before.form is not None and any(
            _told("session_removed", number=n) in shown for n in range(1, 20)
        ):
            dropped = before.form.draft.get("id")
            for k in [k for k, a in acks.items() if a.action_id == dropped and a.session is not None]:
                del acks[k]
        # A conflict shown with both values, and the user kept the stored one.
        if (
            before is not None and before.screen == "merge" and before.form is not None
            and before.form.conflicts and payload is not None and parse_payload(payload)[1] == "theirs"
        ):
            dropped, key = before.form.draft.get("id"), before.form.conflicts[0].get("key")
            for k in [k for k, a in acks.items() if a.action_id == dropped and a.key == key]:
                del acks[k]
        # An answer: what changed in the working copy of the question's form.
        answering = text is not None or document is not None or (
            payload is not None and parse_payload(payload)[1] in ANSWER_VERBS
        )
        if not answering or before is None or before.screen != "question":
            return
        if before.form is None or before.form.kind != "action" or after is None:
            return
        same = [f for f in _action_forms(after) if f.draft.get("id") == before.form.draft.get("id")]
        if not same:
            return
        old, new = before.form.draft, same[0].draft
        action_id = new.get("id")
        for key in set(old) | set(new):
            if key in ("sessions", "version", "updated_at"):
                continue
            if old.get(key) != new.get(key):
                acks[(action_id, None, key)] = Ack(action_id, None, key, new.get(key))
        old_sessions, new_sessions = old.get("sessions") or [], new.get("sessions") or []
        for i, session in enumerate(new_sessions):
            previous = old_sessions[i] if i < len(old_sessions) else {}
            for key, value in session.items():
                if key != "id" and previous.get(key) != value:
                    acks[(action_id, i, key)] = Ack(action_id, i, key, value)

    def press_first(self, uid: int, predicate: Any) -> bool:
        for row in self.clients[uid].keyboard:
            for button in row:
                if predicate(button.payload):
                    self.input(uid, payload=button.payload)
                    return True
        return False

    def current_state(self, uid: int) -> DialogState | None:
        return self.run(self._state(uid))

    def answer_current(self, uid: int, valid: bool) -> bool:
        """Answer the question on screen as a person would; False when no question is asked."""
        state = self.current_state(uid)
        if state is None or state.screen != "question" or state.form is None:
            return False
        spec = spec_of(state.form)
        seq = state.seq
        if not valid:  # typed, even where buttons are offered
            self.input(uid, text=INVALID_SAMPLES.get(spec.key, "???"))
            return True
        if spec.kind is Kind.DOCUMENT:
            n = next(self.counter)
            self.input(uid, document=VALID_DOCUMENTS[spec.key].model_copy(update={"file_id": f"doc-{n}"}))
        elif spec.kind is Kind.YESNO:
            self.input(uid, payload=f"{seq}:y")
        elif spec.kind is Kind.CHOICE:
            self.input(uid, payload=f"{seq}:c:0")
        elif spec.kind is Kind.MULTI_CHOICE:
            if not state.form.partial.get("ticks"):
                self.input(uid, payload=f"{seq}:t:0")
                state = self.current_state(uid)
                assert state is not None
            self.input(uid, payload=f"{state.seq}:ok")
        elif spec.key in ("intitule", "objectif"):
            letter = ORG_OF[uid] if state.form.kind == "action" else "A"
            n = next(self.counter)
            value = f"{TOKEN[letter]} {n} {VALID_SAMPLES[spec.key]}"
            self.input(uid, text=value[:250])
        else:
            self.input(uid, text=VALID_SAMPLES.get(spec.key, "1"))
        return True

    # The rules: the organisations' members ------------------------------------------------------

    @rule(uid=st.sampled_from(PEOPLE), name=st.sampled_from(("menu", "nouvelle", "dates", "annuler", "aide")))
    def command(self, uid: int, name: str) -> None:
        self.begin(uid, f"/{name}")
        self.input(uid, command=name)
        self.end()

    @rule(uid=st.sampled_from(PEOPLE), index=st.integers(0, 60))
    def press_any(self, uid: int, index: int) -> None:
        """A button of the screen the person has in front of them."""
        self.begin(uid, "press_any")
        buttons = [b for row in self.clients[uid].keyboard for b in row
                   if parse_payload(b.payload)[1] not in SKIPPED_VERBS]
        if buttons:
            self.input(uid, payload=buttons[index % len(buttons)].payload)
        self.end()

    @rule(uid=st.sampled_from(PEOPLE), verb=st.sampled_from(DIRECTED_VERBS))
    def press_verb(self, uid: int, verb: str) -> None:
        """The button that does ``verb`` on the current screen, if there is one."""
        self.begin(uid, f"press {verb}")
        self.press_first(uid, lambda p: parse_payload(p)[1] == verb)
        self.end()

    @rule(uid=st.sampled_from(PEOPLE), index=st.integers(0, 10_000))
    def press_old(self, uid: int, index: int) -> None:
        """A button of a screen shown earlier (stale, or still the live one)."""
        self.begin(uid, "press_old")
        shown = [p for p in self.shown[uid] if parse_payload(p)[1] not in SKIPPED_VERBS]
        if shown:
            self.input(uid, payload=shown[index % len(shown)])
        self.end()

    @rule(
        uid=st.sampled_from(PEOPLE),
        verb=st.sampled_from(FORGED_VERBS) | st.text("abcdefgyz:²", max_size=6),
        arg=st.one_of(
            st.integers(-3, 60).map(str),
            st.sampled_from(("", "²", "-1", "9" * 30, "2027-13", "20270231", "S9 2099", "adresse",
                             "draft", "pole-emploi", "staff", "group:99", "1:2:3")),
            st.text("0123456789abcdef:-²", max_size=20),
        ),
        current=st.booleans(),
    )
    def press_forged(self, uid: int, verb: str, arg: str, current: bool) -> None:
        """A payload no screen showed, on the live screen's number (or another one)."""
        self.begin(uid, f"forged {verb}:{arg}")
        state = self.current_state(uid)
        seq = state.seq if state is not None and current else 12345
        data = f"{seq}:{verb}:{arg}" if arg else f"{seq}:{verb}"
        self.input(uid, payload=data.encode()[:64].decode(errors="ignore"))
        self.end()

    @rule(uid=st.sampled_from(PEOPLE),
          data=st.one_of(st.text(max_size=64), st.sampled_from(("g:dates:²", "g:dates:" + "9" * 40,
                                                                 "g:dates:1", "g:dates:5", "g:x", ":", "")),
                         st.integers(0, 40).map(lambda i: f"g:dates:{i}")))
    def press_garbled(self, uid: int, data: str) -> None:
        self.begin(uid, "garbled")
        self.input(uid, payload=data.encode()[:64].decode(errors="ignore"))
        self.end()

    @rule(uid=st.sampled_from(PEOPLE), what=st.sampled_from(TEXTS))
    def type_text(self, uid: int, what: str) -> None:
        self.begin(uid, "text")
        self.input(uid, text=what)
        self.end()

    @rule(uid=st.sampled_from(MEMBERS), valid=st.booleans())
    def answer(self, uid: int, valid: bool) -> None:
        self.begin(uid, f"answer valid={valid}")
        self.answer_current(uid, valid)
        self.end()

    @rule(uid=st.sampled_from(MEMBERS))
    def fill(self, uid: int) -> None:
        """Answer every question with a valid answer until the form leaves its questions."""
        self.begin(uid, "fill")
        self._fill(uid)
        self.end()

    def _fill(self, uid: int) -> None:
        for _ in range(70):
            state = self.current_state(uid)
            if state is None or state.screen != "question" or state.form is None:
                return
            where = (state.form.section, state.form.session_index, state.form.key, state.form.substep)
            self.answer_current(uid, True)
            after = self.current_state(uid)
            if after is None or after.form is None or after.screen != "question":
                return
            if (after.form.section, after.form.session_index, after.form.key, after.form.substep) == where:
                return  # the answer was refused (a rule across fields): the next rule decides

    @rule(uid=st.sampled_from(MEMBERS), funder=st.sampled_from(list(Funder)))
    def create(self, uid: int, funder: Funder) -> None:
        """« Créer une action »: the funder, then every general question, then one session."""
        self.begin(uid, f"create {funder.value}")
        self.input(uid, command="nouvelle")
        if self.press_first(uid, lambda p: p.endswith(f":funder:{funder.value}")):
            self._fill(uid)
            if self.press_first(uid, lambda p: parse_payload(p)[1] == "add"):
                self._fill(uid)
        self.end()

    @rule(uid=st.sampled_from(MEMBERS), which=st.integers(0, 7),
          op=st.sampled_from(("modify", "confirm", "delete", "copy", "dates", "full", None)),
          own=st.booleans())
    def open_action(self, uid: int, which: int, op: str | None, own: bool) -> None:
        """Menu → the action's list → the action → one of its operations."""
        self.begin(uid, f"open {op}")
        letter = ORG_OF[uid] if own else OTHER[ORG_OF[uid]]
        action = self.pick(which, organisation=letter)
        if action is not None and own:
            self._open(uid, action, op)
        elif action is not None:  # the other organisation's action, through forged buttons
            self.input(uid, command="menu")
            for verb, arg in (("list", LISTS[action.status]), ("view", action.id), (op, None)):
                state = self.current_state(uid)
                if state is not None and verb is not None:
                    self.input(uid, payload=f"{state.seq}:{verb}" + ("" if arg is None else f":{arg}"))
        self.end()

    def _open(self, uid: int, action: Action, op: str | None) -> bool:
        """Menu → the action's list → the action (→ the button of ``op``); False if not shown."""
        self.input(uid, command="menu")
        name = LISTS[action.status]
        if not (
            self.press_first(uid, lambda p: p.endswith(f":list:{name}"))
            and self.press_first(uid, lambda p: p.endswith(f":view:{action.id}"))
        ):
            return False
        return op is None or self.press_first(uid, lambda p: p.endswith(f":{op}"))

    @rule(uid=st.sampled_from(MEMBERS), which=st.integers(0, 7), group=st.integers(0, 3),
          index=st.integers(0, 20), valid=st.booleans())
    def edit_draft(self, uid: int, which: int, group: int, index: int, valid: bool) -> None:
        """« ✏ Modifier » on one of the organisation's actions, one field corrected, not saved."""
        self.begin(uid, "edit")
        action = self.pick(which, organisation=ORG_OF[uid])
        if action is not None:
            self._edit_a_field(uid, action, group, index, valid)
        self.end()

    def _edit_a_field(self, uid: int, action: Action, group: int, index: int, valid: bool) -> None:
        """The action's recap (« Modifier »), its group ``group``, a field of it, an answer."""
        if self._open(uid, action, "modify") and self.press_first(uid, lambda p: p.endswith(f":group:{group}")):
            fields = [b.payload for row in self.clients[uid].keyboard for b in row
                      if parse_payload(b.payload)[1] == "f"]
            if fields:
                self.input(uid, payload=fields[index % len(fields)])
                self.answer_current(uid, valid)

    @rule(uid=st.sampled_from(MEMBERS))
    def save(self, uid: int) -> None:
        """« 💾 Sauvegarder » where the member is (or after « Reprendre la saisie » at the menu)."""
        self.begin(uid, "save")
        if not self.press_first(uid, lambda p: parse_payload(p)[1] == "save"):
            self.input(uid, command="menu")
            if self.press_first(uid, lambda p: parse_payload(p)[1] == "resume"):
                self.press_first(uid, lambda p: parse_payload(p)[1] == "save")
        self.end()

    @rule(uid=st.sampled_from(MEMBERS), which=st.integers(0, 7))
    def confirm_action(self, uid: int, which: int) -> None:
        """« ✅ Confirmer » on one of the organisation's actions, then « Oui, je confirme »."""
        self.begin(uid, "confirm action")
        action = self.pick(which, organisation=ORG_OF[uid])
        if (
            action is not None
            and self._open(uid, action, "confirm")
            and self.press_first(uid, lambda p: parse_payload(p)[1] == "confirm")
        ):
            self.press_first(uid, lambda p: parse_payload(p)[1] == "yes")
        self.end()

    def editing(self, uid: int) -> int | None:
        """The id of the stored action the member has in a form (None: none, or a new one)."""
        forms = _action_forms(self.current_state(uid))
        return forms[0].draft.get("id") if forms else None

    @rule(uid=st.sampled_from(MEMBERS),
          what=st.sampled_from(("edit", "confirm", "justify", "delete")),
          group=st.integers(0, 3), index=st.integers(0, 20))
    def colleague(self, uid: int, what: str, group: int, index: int) -> None:
        """Meanwhile, the member's colleague works on the action the member has open."""
        action_id = self.editing(uid)
        mate = next(m for m in MEMBERS if m != uid and ORG_OF[m] == ORG_OF[uid])
        self.begin(mate, f"colleague {what}")
        action = self.current.actions.get(action_id or 0)
        if action is None:
            self.end()
            return
        if what == "edit":
            self._edit_a_field(mate, action, group, index, True)
            self.press_first(mate, lambda p: parse_payload(p)[1] == "save")
        elif what == "confirm":
            if self._open(mate, action, "confirm") and self.press_first(
                mate, lambda p: parse_payload(p)[1] == "confirm"
            ):
                self.press_first(mate, lambda p: parse_payload(p)[1] == "yes")
        elif what == "justify":
            n = next(self.counter)
            self.input(mate, document=VALID_DOCUMENTS["justificatif"].model_copy(update={"file_id": f"doc-{n}"}))
            self.press_first(mate, lambda p: p.endswith(f":pick:{action.id}"))
        elif self._open(mate, action, "delete"):
            self.press_first(mate, lambda p: parse_payload(p)[1] == "yes")
        self.end()

    @rule(which=st.integers(0, 7), busy=st.sampled_from((None, *MEMBERS)))
    def staff_advance(self, which: int, busy: int | None) -> None:
        """The Carif-Oref moves an action one step on (vote, justification, approval, publication):
        any action, or the one a member has open (``busy``)."""
        self.begin(None, "cli advance")
        action = self.pick(which)
        if busy is not None:
            action = self.current.actions.get(self.editing(busy) or 0)
        if action is not None and action.reference:
            for op in ("vote", "justification", "approve", "publish"):
                if self.run(self._cli(op, action.reference)):
                    break
        self.end()

    @rule(uid=st.sampled_from(MEMBERS))
    def confirm(self, uid: int) -> None:
        """From the recap: « Confirmer (valider la proposition) », then « Oui, je confirme »."""
        self.begin(uid, "confirm")
        if self.press_first(uid, lambda p: parse_payload(p)[1] == "confirm"):
            self.press_first(uid, lambda p: parse_payload(p)[1] == "yes")
        self.end()

    @rule(uid=st.sampled_from(MEMBERS), group=st.integers(0, 10), index=st.integers(0, 20))
    def correct(self, uid: int, group: int, index: int) -> None:
        """From the recap: a part, then one of its fields (the question opens)."""
        self.begin(uid, "correct")
        if self.press_first(uid, lambda p: p.endswith(f":group:{group % 4}")):
            fields = [b.payload for row in self.clients[uid].keyboard for b in row
                      if parse_payload(b.payload)[1] == "f"]
            if fields:
                self.input(uid, payload=fields[index % len(fields)])
        self.end()

    @rule(uid=st.sampled_from(MEMBERS), which=st.integers(0, 7),
          dates=st.sampled_from(("du 16/03/2027 au 30/06/2027", "du 01/04/2027 au 15/07/2027",
                                 "du 30/06/2027 au 01/01/2027", "du 01/01/2031 au 02/01/2031",
                                 "16/03/2027")))
    def update_dates(self, uid: int, which: int, dates: str) -> None:
        """/dates → the action → session 1 → the new dates, typed."""
        self.begin(uid, "dates")
        action = self.pick(which, organisation=ORG_OF[uid])
        self.input(uid, command="dates")
        if (
            action is not None
            and self.press_first(uid, lambda p: p.endswith(f":pick:{action.id}"))
            and self.press_first(uid, lambda p: p.endswith(":session:0"))
        ):
            self.input(uid, text=dates)
        self.end()

    @rule(uid=st.sampled_from(PEOPLE), good=st.booleans(), pick=st.integers(0, 50))
    def send_document(self, uid: int, good: bool, pick: int) -> None:
        """A file sent at any moment (the État justification), then an action picked for it."""
        self.begin(uid, "document")
        n = next(self.counter)
        document = (
            VALID_DOCUMENTS["justificatif"].model_copy(update={"file_id": f"doc-{n}"}) if good
            else Document(file_id=f"bad-{n}", file_name="virus.exe", mime_type="application/x-msdownload",
                          size=60_000_000)
        )
        self.input(uid, document=document)
        picks = [b.payload for row in self.clients[uid].keyboard for b in row
                 if parse_payload(b.payload)[1] == "pick"]
        if picks:
            self.input(uid, payload=picks[pick % len(picks)])
        self.end()

    # The rules: the Carif-Oref and the validator ------------------------------------------------

    @rule(which=st.integers(0, 7))
    def staff_open(self, which: int) -> None:
        """The staff type an action's reference at their menu: its full view and operations."""
        self.begin(STAFF, "staff open")
        action = self.pick(which)
        self.input(STAFF, command="menu")
        if action is not None and action.reference:
            self.input(STAFF, text=action.reference)
        self.end()

    @rule(first=st.integers(0, 7), second=st.integers(0, 7))
    def staff_vote(self, first: int, second: int) -> None:
        """« Vote de la Région » in the chat: two references typed (any actions)."""
        self.begin(STAFF, "staff vote")
        self.input(STAFF, command="menu")
        picked = [a.reference for a in (self.pick(first), self.pick(second)) if a and a.reference]
        if picked and self.press_first(STAFF, lambda p: parse_payload(p)[1] == "vote"):
            self.input(STAFF, text="\n".join(picked))
        self.end()

    @rule(which=st.integers(0, 7),
          op=st.sampled_from(("approve", "refuse", "return", "publish", "justification", "vote")))
    def staff_cli(self, which: int, op: str) -> None:
        """The same operations on the command line (``formabot action …``, ``region-vote``)."""
        self.begin(None, f"cli {op}")
        action = self.pick(which)
        if action is not None and action.reference:
            self.run(self._cli(op, action.reference))
        self.end()

    async def _cli(self, op: str, reference: str) -> bool:
        async with self.factory() as uow:
            staff = Actor.staff()
            try:
                if op == "approve":
                    await operations.approve(uow, staff, reference)
                elif op == "refuse":
                    await operations.refuse(uow, staff, reference, "Hors du périmètre du marché.")
                elif op == "return":
                    await operations.return_for_correction(uow, staff, reference, "Revoir les dates.")
                elif op == "publish":
                    await operations.publish(uow, staff, reference, now=self.clock.now())
                elif op == "justification":
                    await operations.mark_justification(uow, staff, reference)
                else:
                    report = await operations.record_region_vote(uow, staff, [reference])
                    if not report.approved:
                        return False
            except DomainError:
                return False
            await uow.commit()
            return True

    @rule(which=st.integers(0, 7), decide=st.sampled_from(("approve", "refuse", None)))
    def validator_open(self, which: int, decide: str | None) -> None:
        """The Pôle emploi validator: its list, an action, « Valider » or « Refuser » (a reason)."""
        self.begin(VALIDATOR, "validator")
        action = self.pick(which)
        self.input(VALIDATOR, command="menu")
        opened = (
            action is not None
            and self.press_first(VALIDATOR, lambda p: p.endswith(":list:pole-emploi"))
            and self.press_first(VALIDATOR, lambda p: p.endswith(f":view:{action.id}"))
        )
        if (
            opened
            and decide is not None
            and self.press_first(VALIDATOR, lambda p: parse_payload(p)[1] == decide)
            and decide == "refuse"
        ):
            self.input(VALIDATOR, text="Le marché ne couvre pas cette formation.")
        self.end()

    # The invariants ---------------------------------------------------------------------------------

    @invariant()
    def stored_actions_change_only_as_allowed(self) -> None:
        before, after = self.previous.actions, self.current.actions
        problems: list[str] = []
        audit = self.run(self._audit_since(self.previous.audit_max))
        for action_id in sorted(set(before) | set(after)):
            old, new = before.get(action_id), after.get(action_id)
            if old is not None and new is not None and new.version < old.version:
                problems.append(f"{new.reference}: version went back from {old.version} to {new.version}")
                continue
            if old is not None and new is not None and old.version == new.version:
                if _content(old) != _content(new):
                    problems.append(f"{new.reference}: changed without a new version")
                continue
            why = self.judge(old, new, audit.get(action_id, []))
            if why is not None:
                problems.append(why)
        assert not problems, self.explain("stored content changed outside the lifecycle", problems)

    @invariant()
    def nothing_of_one_organisation_reaches_another(self) -> None:
        problems: list[str] = []
        refs: dict[str, set[str]] = {"A": set(), "B": set()}
        for action in self.current.actions.values():
            letter = self.letter_of(action.organisation_id)
            for ref in (action.reference, action.reference_carif):
                if ref:
                    refs[letter].add(ref)
        for uid, texts in self.step.seen.items():
            if uid not in ORG_OF:
                continue
            other = OTHER[ORG_OF[uid]]
            forbidden = {TOKEN[other], *refs[other]}
            for shown in texts:
                hits = [f for f in forbidden if f in shown]
                if hits:
                    problems.append(f"{uid} (org {ORG_OF[uid]}) was shown {hits}: {shown[:200]!r}")
        for chat_id, payload in self.run(self._outbox_since(self.previous.outbox_max)):
            org_id = payload.get("organisation_id")
            if chat_id in ORG_OF and org_id is not None and self.org_ids[ORG_OF[chat_id]] != org_id:
                problems.append(f"notification about organisation {org_id} queued for {chat_id}")
            if chat_id == VALIDATOR and payload.get("funder") != Funder.POLE_EMPLOI.value:
                problems.append(f"notification about a {payload.get('funder')} action queued for the validator")
        assert not problems, self.explain("one organisation was shown another's", problems)

    @invariant()
    def every_acknowledged_answer_is_kept(self) -> None:
        problems: list[str] = []
        for uid, acks in self.acks.items():
            if not acks:
                continue
            forms = _action_forms(self.run(self._state(uid)))
            for k, ack in list(acks.items()):
                stored = self.current.actions.get(ack.action_id) if ack.action_id is not None else None
                if stored is not None and _value(stored.model_dump(mode="json"), ack.session, ack.key) == ack.value:
                    del acks[k]  # stored: from now on, a later change is someone's edit
                    continue
                if any(f.draft.get("id") == ack.action_id
                       and _value(f.draft, ack.session, ack.key) == ack.value for f in forms):
                    continue
                problems.append(
                    f"member {uid}: answer {ack.key}"
                    f"{'' if ack.session is None else f' (session {ack.session + 1})'} = {str(ack.value)[:80]!r}"
                    f" of action {ack.action_id} is neither in the working copy nor stored, and the member"
                    " was not told"
                )
                del acks[k]
        assert not problems, self.explain("an acknowledged answer was lost", problems)

    @invariant()
    def published_actions_are_valid_lheo(self) -> None:
        problems: list[str] = []
        organisations = None
        for action in self.current.actions.values():
            if action.status is not Status.PUBLISHED or action.id is None:
                continue
            key = (action.id, action.version)
            if key in self.lheo_checked:
                continue
            if organisations is None:
                organisations = self.run(self._organisations())
            element = build_formation(action, organisations[action.organisation_id], NOW)
            schema = lheo_schema()
            if not schema.validate(element):
                problems.append(f"{action.reference}: {schema.error_log.last_error}")
            self.lheo_checked.add(key)
        assert not problems, self.explain("a published action is not valid LHEO", problems)

    # Judging one change -----------------------------------------------------------------------------

    async def _audit_since(self, audit_max: int) -> dict[int, list[Any]]:
        from storage.tables import audit

        async with self.factory() as uow:
            rows = (await uow.connection.execute(select(audit).where(audit.c.id > audit_max))).all()
        found: dict[int, list[Any]] = {}
        for row in rows:
            if row.action_id is not None:
                found.setdefault(row.action_id, []).append(row)
        return found

    async def _outbox_since(self, outbox_max: int) -> list[tuple[int, dict[str, Any]]]:
        async with self.factory() as uow:
            rows = (await uow.connection.execute(
                select(outbox.c.chat_id, outbox.c.payload).where(outbox.c.id > outbox_max)
            )).all()
        return [(chat, dict(payload)) for chat, payload in rows]

    async def _organisations(self) -> dict[int, Any]:
        async with self.factory() as uow:
            return {oid: await uow.organisations.get(oid) for oid in self.org_ids.values()}

    def judge(self, old: Action | None, new: Action | None, audit: list[Any]) -> str | None:
        """Why this change is not allowed (None when an allowed operation of this step explains it)."""
        who = self.step.who
        assert who is not None
        name = (new or old).reference if (new or old) else "?"  # type: ignore[union-attr]
        member_of = who.kind == "member" and who.organisation_id == (new or old).organisation_id  # type: ignore[union-attr]

        def audited(*kinds: str) -> str | None:
            version = new.version if new is not None else None
            rows = [r for r in audit if r.kind in kinds and r.version == version]
            if not rows:
                return f"{name}: {'/'.join(kinds)} without its audit row (rows: {[r.kind for r in audit]})"
            if any(r.actor_user_id != who.user_id for r in rows):
                return f"{name}: audit row names {[r.actor_user_id for r in rows]}, not {who.user_id}"
            return None

        if old is None:
            assert new is not None
            if not member_of:
                return f"{name}: created by {who} outside its organisation"
            if new.status is Status.DRAFT:
                return audited("created", "saved")
            if new.status is Status.SUBMITTED and not validate_action(new, TODAY):
                return audited("confirmed")
            return f"{name}: created by its organisation as « {new.status.label} »"
        if new is None:
            if member_of and old.status is Status.DRAFT:
                return audited("deleted")
            return f"{name}: « {old.status.label} » deleted by {who}"

        old_c, new_c = _content(old), _content(new)
        changed = sorted(k for k in set(old_c) | set(new_c) if old_c.get(k) != new_c.get(k))
        where = f"{name} (« {old.status.label} » → « {new.status.label} », by {who.kind} {who.user_id}, " \
                f"during {self.step.rule!r}, fields {changed})"
        if member_of:
            if old.justificatif_recu and "justificatif" in changed and new.justificatif_recu:
                return f"{where}: the justification was swapped after the Carif-Oref marked it received"
            protected = [k for k in PROTECTED if k in changed]
            if old.status in EDITABLE and new.status is old.status:
                if protected:
                    return f"{where}: a form changed {protected}"
                return audited("saved", "justification_received")
            if old.status in EDITABLE and new.status is Status.SUBMITTED:
                if protected:
                    return f"{where}: confirming changed {protected}"
                problems = validate_action(new, TODAY)
                if problems:
                    return f"{where}: confirmed while invalid ({problems[0].message})"
                return audited("confirmed")
            if old.status is Status.PUBLISHED and new.status is Status.PUBLISHED and set(changed) <= {"sessions"} \
                    and self._only_session_updates(old_c["sessions"], new_c["sessions"]):
                return audited("session_dates_changed")
            if new.funder.circuit is Circuit.JUSTIFICATION and old.status is not Status.ARCHIVED and changed == ["justificatif"] \
                    and new.status is old.status:
                return audited("justification_received")
            return f"{where}: not an operation its status allows the organisation"
        if who.kind == "staff":
            return self._staff_change(old, new, where, audited, staff=True)
        if who.kind == "validator":
            if old.funder is not Funder.POLE_EMPLOI:
                return f"{where}: a Pôle emploi validator changed another funder's action"
            return self._staff_change(old, new, where, audited, staff=False)
        return f"{where}: changed by someone who may not"

    @staticmethod
    def _only_session_updates(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> bool:
        if len(old) != len(new):
            return False
        return all(a.get(k) == b.get(k) for a, b in zip(old, new, strict=True)
                   for k in set(a) | set(b) if k not in SESSION_UPDATABLE)

    def _staff_change(self, old: Action, new: Action, where: str, audited: Any, *, staff: bool) -> str | None:
        target = _content(new)
        candidates: list[tuple[str, Any]] = [
            ("approved", lambda a: lifecycle.approve(a)),
            ("refused", lambda a: lifecycle.refuse(a, new.refusal_reason or "")),
        ]
        if staff:
            candidates += [
                ("returned", lambda a: lifecycle.return_for_correction(a, new.staff_comment or "")),
                ("published", lambda a: lifecycle.publish(a, new.reference_carif or "", new.published_at)),
                ("justification_received", lambda a: lifecycle.mark_justification(a)),
                ("approved", lambda a: lifecycle.record_vote(a)),
            ]
        for kind, transition in candidates:
            probe = old.model_copy(deep=True)
            try:
                transition(probe)
            except DomainError:
                continue
            if _content(probe) == target:
                return audited(kind)
        return f"{where}: no operation the lifecycle allows gives this content"

    def explain(self, title: str, problems: list[str]) -> str:
        return f"{title} (step {self.step.rule!r}):\n  " + "\n  ".join(problems)


# Bounded for CI: 60 sequences of up to 50 steps, about 60 s on 2 cores when nothing fails (a failure
# adds up to 5 minutes of shrinking). ``HYPOTHESIS_PROFILE=long`` takes the profile's own, much
# larger, numbers (``tests/conftest.py``).
if os.environ.get("HYPOTHESIS_PROFILE") == "long":
    Invariants.TestCase.settings = settings(settings.default, deadline=None)
else:
    Invariants.TestCase.settings = settings(
        settings.default, max_examples=60, stateful_step_count=50, deadline=None
    )
TestInvariants = Invariants.TestCase


# The counter-examples the machine found, replayed step by step (each one a regression test) ----


def replay(*steps: tuple[str, dict[str, Any]]) -> None:
    """Play ``steps`` (rule name, arguments) on a fresh world, checking every invariant after each."""
    machine = Invariants()
    try:
        checks = [machine.stored_actions_change_only_as_allowed,
                  machine.nothing_of_one_organisation_reaches_another,
                  machine.every_acknowledged_answer_is_kept,
                  machine.published_actions_are_valid_lheo]
        for name, kwargs in steps:
            getattr(machine, name)(**kwargs)
            for check in checks:
                check()
    finally:
        machine.teardown()


def test_answers_survive_a_justification_sent_while_editing() -> None:
    # Finding 2: an answer, then the État justification sent from the recap and attached to the
    # same draft; « Confirmer » then meets a newer version and reloads it: the answer is gone.
    replay(
        ("edit_draft", {"uid": A1, "which": 1, "group": 0, "index": 0, "valid": True}),
        ("send_document", {"uid": A1, "good": True, "pick": 0}),
        ("confirm", {"uid": A1}),
    )


def test_a_justification_marked_received_cannot_be_swapped() -> None:
    # Finding 10: the Carif-Oref marks the justification of B's État draft received; a member then
    # sends another file (a PDF, or an .exe of 60 MB: no document check either): it replaced the first.
    for good in (False, True):
        replay(
            ("staff_cli", {"which": 5, "op": "justification"}),
            ("send_document", {"uid": B2, "good": good, "pick": 0}),
        )


def test_a_stale_screen_cannot_rewrite_a_published_action() -> None:
    # Finding 1: member 1 opens « Modifier » on a draft; member 2 confirms it; the Carif-Oref
    # records the Région's vote and publishes it; member 1's old screen saves (the published
    # action is reloaded into the form), changes the title and saves: the public action changed.
    replay(
        ("open_action", {"uid": A1, "which": 0, "op": "modify", "own": True}),
        ("confirm_action", {"uid": A2, "which": 0}),
        ("staff_advance", {"which": 0, "busy": None}),
        ("staff_advance", {"which": 0, "busy": None}),
        ("save", {"uid": A1}),
        ("correct", {"uid": A1, "group": 0, "index": 0}),
        ("answer", {"uid": A1, "valid": True}),
        ("save", {"uid": A1}),
    )


def test_a_forged_quit_on_a_fiche_question_is_refused() -> None:
    # Finding 11: « quit » is not a button of a fiche question; forged, it reached the action recap.
    replay(
        ("command", {"uid": A1, "name": "menu"}),
        ("press_verb", {"uid": A1, "verb": "fiche"}),
        ("press_verb", {"uid": A1, "verb": "f"}),
        ("press_forged", {"uid": A1, "verb": "quit", "arg": "", "current": True}),
    )


def test_garbled_global_buttons_are_refused() -> None:
    # Finding 11: « g:dates:² » (a digit for str.isdigit, not for int) and an integer too large for
    # the database raised before any check.
    replay(
        ("press_garbled", {"uid": A1, "data": "g:dates:²"}),
        ("press_garbled", {"uid": A1, "data": "g:dates:" + "9" * 40}),
    )


def test_modify_again_keeps_the_answers_of_the_new_form() -> None:
    # Found by the machine (a case of finding 2): an answer, then « ✏ Modifier » on the same draft
    # from its view. The unsaved form is saved first, but the new form is the copy read before
    # that save: the next answer then meets « modifiée entre-temps » on save, and is dropped.
    replay(
        ("edit_draft", {"uid": A1, "which": 0, "group": 0, "index": 0, "valid": True}),
        ("edit_draft", {"uid": A1, "which": 0, "group": 0, "index": 0, "valid": True}),
        ("save", {"uid": A1}),
    )
