"""Action ⇄ rows: every field round-trips exactly, in memory and through both databases."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import archiving
from domain.funders import Circuit, Funder
from domain.models import Action, Document, Session, Status
from domain.values import Address, Contact
from storage import mapping
from storage.uow import SqlUnitOfWorkFactory
from tests.factories import make_organisation, make_session, make_valid_action


def _through_json(values: dict[str, Any]) -> dict[str, Any]:
    return {**values, "data": json.loads(json.dumps(values["data"]))}


def _roundtrip(action: Action) -> Action:
    action_id = action.id or 1
    row = _through_json(mapping.action_values(action))
    session_rows = [
        _through_json(mapping.session_values(s, action_id, i)) for i, s in enumerate(action.sessions)
    ]
    return mapping.load_action(row, session_rows)


@pytest.mark.parametrize("funder", list(Funder))
def test_complete_action_round_trips(funder: Funder) -> None:
    action = make_valid_action(
        funder,
        id=42,
        reference="FB-000042",
        reference_carif="14_AF_0000123",
        reference_ofaa="OFAA-9",
        status=Status.PUBLISHED,
        version=3,
        created_at=datetime(2027, 1, 2, 9, 30, tzinfo=UTC),
        updated_at=datetime(2027, 1, 3, 9, 30, tzinfo=UTC),
        confirmed_at=datetime(2027, 1, 3, 10, 0, tzinfo=UTC),
        published_at=datetime(2027, 1, 4, 10, 0, tzinfo=UTC),
        archived_on=date(2027, 9, 13),
        copied_from=7,
        staff_comment="Formacode à revoir",
        prix_total=Decimal("4500.50"),
    )
    for i, session in enumerate(action.sessions, start=1):
        session.id = 100 + i
    loaded = _roundtrip(action)
    assert loaded == action
    assert isinstance(loaded.prix_total, Decimal) and str(loaded.prix_total) == "4500.50"
    assert isinstance(loaded.lieu_formation, Address)
    assert isinstance(loaded.contact_formation, Contact)
    assert loaded.formacodes == ("42752", "42745")
    if funder.circuit is Circuit.JUSTIFICATION:
        assert isinstance(loaded.justificatif, Document)


def test_columns_hold_what_queries_filter_on() -> None:
    action = make_valid_action(Funder.AGEFIPH, id=5, status=Status.SUBMITTED)
    values = mapping.action_values(action)
    assert values["funder"] == "agefiph" and values["status"] == "submitted"
    assert values["first_session_start"] == date(2027, 3, 15)
    assert values["last_session_end"] == date(2027, 12, 17)
    assert values["archive_on"] == date(2027, 9, 13)
    assert "intitule" in values["data"] and "status" not in values["data"]
    assert "sessions" not in values["data"]


def test_unknown_stored_field_is_ignored() -> None:
    action = make_valid_action(Funder.REGION, id=1)
    row = _through_json(mapping.action_values(action))
    row["data"]["removed_field"] = "old"
    assert mapping.load_action(row, []).intitule == action.intitule


def test_organisation_round_trips() -> None:
    organisation = make_organisation(reference_carif="OF_123")
    row = _through_json(mapping.organisation_values(organisation))
    assert mapping.load_organisation(row) == organisation


# Random actions ----------------------------------------------------------------------------------

texts = st.none() | st.text(max_size=60)
dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
addresses = st.builds(
    Address,
    lignes=st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=4).map(tuple),
    code_postal=st.from_regex(r"\A[0-9]{5}\Z"),
    ville=st.text(min_size=1, max_size=20),
)
contacts = st.builds(Contact, nom=st.text(min_size=1, max_size=20), prenom=texts, telephone=texts,
                     courriel=texts)
codes = st.none() | st.lists(st.from_regex(r"\A[0-9]{5}\Z"), max_size=5).map(tuple)
timestamps = st.none() | st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=2))]),
)
sessions_st = st.lists(
    st.builds(
        Session,
        id=st.none() | st.integers(1, 10**9),
        debut=st.none() | dates,
        fin=st.none() | dates,
        adresse_inscription=st.none() | addresses,
        inscription_debut=st.none() | dates,
        etat_recrutement=st.none() | st.sampled_from(["1", "2", "3"]),
        places=st.none() | st.integers(1, 99999),
        modalites_inscription=texts,
    ),
    max_size=4,
)
random_actions = st.builds(
    Action,
    id=st.none() | st.integers(1, 10**6),
    organisation_id=st.integers(1, 10**6),
    funder=st.sampled_from(list(Funder)),
    status=st.sampled_from(list(Status)),
    version=st.integers(0, 1000),
    reference=texts,
    created_at=timestamps,
    published_at=timestamps,
    archived_on=st.none() | dates,
    intitule=texts,
    contenu=texts,
    certifiante=st.none() | st.booleans(),
    formacodes=codes,
    publics=codes,
    parcours=st.none() | st.sampled_from(["1", "2", "3"]),
    entrees_sorties=st.none() | st.sampled_from(["0", "1"]),
    lieu_formation=st.none() | addresses,
    contact_formation=st.none() | contacts,
    heures_centre=st.none() | st.integers(0, 99999),
    prix_total=st.none() | st.decimals(allow_nan=False, allow_infinity=False, places=2,
                                        min_value=0, max_value=10**7),
    numero_bon_commande=st.none() | st.integers(1, 10),
    justificatif=st.none() | st.builds(Document, file_id=st.text(min_size=1, max_size=30),
                                       size=st.none() | st.integers(0, 10**9)),
    sessions=sessions_st,
)


@settings(max_examples=200, deadline=None)
@given(random_actions)
def test_random_action_round_trips(action: Action) -> None:
    assert _roundtrip(action) == action


@settings(max_examples=300, deadline=None)
@given(
    entrees_sorties=st.none() | st.sampled_from(["0", "1"]),
    parcours=st.none() | st.sampled_from(["1", "2", "3"]),
    spans=st.lists(st.tuples(st.none() | dates, st.none() | dates), max_size=4),
)
def test_archive_on_matches_domain_policy(
    entrees_sorties: str | None, parcours: str | None, spans: list[tuple[date | None, date | None]]
) -> None:
    action = Action(
        organisation_id=1, funder=Funder.REGION, entrees_sorties=entrees_sorties, parcours=parcours,
        sessions=[Session(debut=d, fin=f) for d, f in spans],
    )
    assert mapping.compute_archive_on(action) == archiving.archive_date(action)


def test_archive_on_boundaries() -> None:
    fixed = make_valid_action(Funder.REGION, sessions=[
        make_session(date(2027, 3, 15), date(2027, 6, 30)),
        make_session(date(2027, 9, 13), date(2027, 12, 17)),
    ])
    assert mapping.compute_archive_on(fixed) == date(2027, 9, 13)
    permanent = fixed.model_copy(update={"entrees_sorties": "1"})
    assert mapping.compute_archive_on(permanent) == date(2027, 12, 18)
    modular = fixed.model_copy(update={"parcours": "3"})
    assert mapping.compute_archive_on(modular) == date(2027, 12, 18)
    assert mapping.compute_archive_on(fixed.model_copy(update={"sessions": []})) is None


# Through the database -------------------------------------------------------------------------------


@pytest.mark.parametrize("funder", list(Funder))
async def test_action_round_trips_through_database(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int], funder: Funder
) -> None:
    org = org_ids[0]
    action = make_valid_action(
        funder,
        organisation_id=org,
        status=Status.PUBLISHED,
        reference_carif="14_AF_1",
        confirmed_at=datetime(2027, 1, 3, 11, 0, tzinfo=timezone(timedelta(hours=1))),
        published_at=datetime(2027, 1, 4, 10, 0, tzinfo=UTC),
        prix_total=Decimal("0.10"),
        intitule="Cuisinier·ère « collectivités » — niveau 3 ✓",
    )
    expected = action.model_copy(deep=True)
    async with uow_factory() as uow:
        saved = await uow.all_actions().add(action)
        await uow.commit()
    assert saved.id is not None and saved.reference == f"FB-{saved.id:06d}"
    async with uow_factory() as uow:
        loaded = await uow.actions_for_organisation(org).get(saved.id)
    assert loaded == saved
    # Apart from what storage assigns, it is the action given.
    assert loaded is not None
    assigned = {"id", "reference", "created_at", "updated_at", "sessions"}
    assert loaded.model_dump(exclude=assigned) == expected.model_dump(exclude=assigned)
    assert [s.model_dump(exclude={"id"}) for s in loaded.sessions] == [
        s.model_dump(exclude={"id"}) for s in expected.sessions
    ]
    assert all(s.id is not None for s in loaded.sessions)


async def test_organisation_round_trips_through_database(uow_factory: SqlUnitOfWorkFactory) -> None:
    organisation = make_organisation(id=None)
    async with uow_factory() as uow:
        await uow.organisations.add(organisation)
        await uow.commit()
    assert organisation.id is not None
    async with uow_factory() as uow:
        assert await uow.organisations.get(organisation.id) == organisation
        assert await uow.organisations.by_siret("732 829 320 00074") == organisation
        organisation.site_web = None
        await uow.organisations.save(organisation)
        await uow.commit()
    async with uow_factory() as uow:
        loaded = await uow.organisations.get(organisation.id)
    assert loaded is not None and loaded.site_web is None
