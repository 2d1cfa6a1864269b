"""Forged button payloads, generated: on every screen a member or staff can reach, any payload
(the screen's own number with any verb and any argument — digits Python reads as digits, numbers
past any database integer, field keys, text — or a global one) never raises, never logs at ERROR,
and nothing the organisation wrote (its fiche's e-mail, phone, contact) reaches the logs as the
bot writes them (``bot.logs.JsonFormatter``)."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable, Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.logs import JsonFormatter
from dialogs.engine import DialogEngine
from dialogs.testing import DialogClient
from domain.clock import FixedClock
from domain.funders import Funder
from domain.models import Contact, Document, Status
from domain.ports import Membership, Role
from tests.dialogs.support import TODAY
from tests.factories import make_organisation, make_valid_action
from tests.fakes import FakeUnitOfWork, Store
from tests.labels import label

EMAIL = "zephirine.secrete@forma-sud.fr"
PHONE = "05 61 42 42 42"
CONTACT_NAME = "Zéphirine-Confidentielle"
TITLE = "Intitulé-Très-Personnel-77"
MEMBER, STAFF = 7001, 9001

Journey = Callable[[DialogClient, int], Awaitable[None]]


async def _question(c: DialogClient, _: int) -> None:
    await c.command("nouvelle")
    await c.press("Région")


async def _fiche_question(c: DialogClient, _: int) -> None:
    await c.command("menu")
    await c.press(label("fiche"))
    await c.press(next(label for label in c.labels if label.startswith("Téléphone")))


async def _recap(c: DialogClient, action_id: int) -> None:
    await c.command("menu")
    await c.press("En cours de création (1)")
    await c.press_payload(next(p for p in _payloads(c) if p.endswith(f":view:{action_id}")))
    await c.press_payload(next(p for p in _payloads(c) if p.endswith(":modify")))


async def _quit_ask(c: DialogClient, action_id: int) -> None:
    await _recap(c, action_id)
    await c.press_payload(next(p for p in _payloads(c) if p.endswith(":quit")))


async def _view(c: DialogClient, action_id: int) -> None:
    await c.command("menu")
    await c.press("En cours de création (1)")
    await c.press_payload(next(p for p in _payloads(c) if p.endswith(f":view:{action_id}")))


async def _menu(c: DialogClient, _: int) -> None:
    await c.command("menu")


async def _dates(c: DialogClient, _: int) -> None:
    await c.command("dates")


async def _justif_pick(c: DialogClient, _: int) -> None:
    await c.command("menu")
    await c.document(Document(file_id="F1", file_name="convention.pdf", mime_type="application/pdf", size=10))


async def _staff_view(c: DialogClient, _: int) -> None:
    await c.command("menu")
    await c.press("Confirmées (1)")
    await c.press_payload(next(p for p in _payloads(c) if ":view:" in p))


JOURNEYS: dict[str, tuple[int, Journey]] = {
    "menu": (MEMBER, _menu),
    "question": (MEMBER, _question),
    "fiche question": (MEMBER, _fiche_question),
    "recap": (MEMBER, _recap),
    "quit_ask": (MEMBER, _quit_ask),
    "view": (MEMBER, _view),
    "dates": (MEMBER, _dates),
    "justif_pick": (MEMBER, _justif_pick),
    "staff_view": (STAFF, _staff_view),
}

VERBS = ("quit", "save", "done", "keep", "skip", "back", "view", "pick", "pg", "c", "t", "d", "sm", "sc",
         "cal", "ok", "y", "n", "f", "group", "session", "edit", "rm", "add", "list", "q", "org",
         "dates", "yes", "no", "confirm", "delete", "modify", "copy", "print", "publish", "approve",
         "refuse", "justif", "vote", "document", "menu", "cancel", "funder", "noop", "fiche")  # fmt: skip
ARGS = st.one_of(
    st.none(),
    st.sampled_from(["0", "1", "7", "²", "١٢", "-1", "+1", " 1", "1_0", "99999999999999999999", "2147483648",
                     "intitule", "telephone", "contenu", "2027-13", "20270231", "20270315", "S9 2099",
                     "draft", "published", "submitted", "justif", "region", "x:y"]),
    st.integers(0, 10**30).map(str),
    st.text(max_size=20),
)


def _payloads(c: DialogClient) -> list[str]:
    return [b.payload for row in c.keyboard for b in row]


def _seq(c: DialogClient) -> str:
    return next((p.split(":")[0] for p in _payloads(c) if p.split(":")[0].isdigit()), "0")


@st.composite
def _forged(draw: st.DrawFn) -> Callable[[str], str]:
    head = draw(st.sampled_from(["seq", "seq", "seq", "g", "²", "-1", "99999999999999999999"]))
    verb = draw(st.one_of(st.sampled_from(VERBS), st.text(max_size=8)))
    arg = draw(ARGS)
    tail = verb if arg is None else f"{verb}:{arg}"
    return lambda seq: f"{seq if head == 'seq' else head}:{tail}"


class _Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.stream = io.StringIO()
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.stream.write(self.format(record) + "\n")
        if record.levelno >= logging.ERROR:
            self.errors.append(record.getMessage())


async def _play(journey: str, forged: list[Callable[[str], str]]) -> _Captured:
    store = Store()
    org = make_organisation(
        nom_organisme="Forma Sud", courriel=EMAIL, telephone=PHONE,
        contact=Contact(nom=CONTACT_NAME, prenom="Claire", telephone=PHONE, courriel=EMAIL),
    )
    store.organisations[store.next_id] = org.model_copy(update={"id": store.next_id})
    org_id = store.next_id
    store.next_id += 1
    store.memberships.append(Membership(user_id=MEMBER, role=Role.MEMBER, organisation_id=org_id))
    engine = DialogEngine(lambda **_: FakeUnitOfWork(store), FixedClock(TODAY), staff_ids=(STAFF,))
    async with FakeUnitOfWork(store) as uow:
        repo = uow.actions_for_organisation(org_id)
        draft = await repo.add(make_valid_action(Funder.ETAT_EMPLOI, organisation_id=org_id, intitule=TITLE))
        await repo.add(make_valid_action(Funder.AGEFIPH, organisation_id=org_id, status=Status.SUBMITTED))
        await uow.commit()
    assert draft.id is not None
    user, walk = JOURNEYS[journey]
    client = DialogClient(engine, user)
    await walk(client, draft.id)
    captured = _Captured()
    root = logging.getLogger()
    level = root.level
    root.addHandler(captured)
    root.setLevel(logging.DEBUG)
    try:
        for make in forged:
            await client.press_payload(make(_seq(client)))  # never raises
            assert "Un incident" not in client.text
        # The screen shown after them still works: its first real button is answered.
        if client.keyboard:
            await client.press_payload(_payloads(client)[0])
    finally:
        root.removeHandler(captured)
        root.setLevel(level)
    return captured


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(journey=st.sampled_from(sorted(JOURNEYS)), forged=st.lists(_forged(), min_size=1, max_size=4))
def test_forged_payloads_on_every_screen_never_raise_nor_log_personal_data(
    journey: str, forged: list[Callable[[str], str]]
) -> None:
    captured = asyncio.run(_play(journey, forged))
    assert captured.errors == []
    output = captured.stream.getvalue()
    for secret in (EMAIL, PHONE, CONTACT_NAME, TITLE):
        assert secret not in output


def test_every_journey_reaches_its_screen() -> None:
    async def reach(journey: str) -> str:
        captured = await _play(journey, [])
        return captured.stream.getvalue()

    for journey in JOURNEYS:
        asyncio.run(reach(journey))
