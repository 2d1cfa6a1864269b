"""The fiche organisme is versioned like actions: a save based on an older copy is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from domain.errors import StaleVersion
from domain.models import Organisation
from storage.database import create_engine, upgrade
from storage.uow import SqlUnitOfWorkFactory


async def _stored(factory: SqlUnitOfWorkFactory, organisation_id: int) -> Organisation:
    async with factory() as uow:
        org = await uow.organisations.get(organisation_id)
    assert org is not None
    return org


async def test_a_save_bumps_the_version_and_a_stale_copy_is_refused(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int]
) -> None:
    a, _ = org_ids
    first, second = await _stored(uow_factory, a), await _stored(uow_factory, a)
    assert first.version == second.version == 0
    first.telephone = "05 34 00 00 02"
    async with uow_factory() as uow:
        saved = await uow.organisations.save(first)
        await uow.commit()
    assert saved.version == 1
    second.courriel = "contact@organisme-a.fr"
    async with uow_factory() as uow:
        with pytest.raises(StaleVersion):
            await uow.organisations.save(second)
    stored = await _stored(uow_factory, a)
    assert (stored.version, stored.telephone, stored.courriel) == (1, "05 34 00 00 02", None)


async def test_saving_an_organisation_that_does_not_exist_is_a_lookup_error(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        with pytest.raises(LookupError):
            await uow.organisations.save(Organisation(id=424242, raison_sociale="Personne"))


async def test_the_saves_of_one_organisation_leave_the_other_alone(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int]
) -> None:
    a, b = org_ids
    org = await _stored(uow_factory, a)
    org.telephone = "05 34 00 00 03"
    async with uow_factory() as uow:
        await uow.organisations.save(org)
        await uow.commit()
    other = await _stored(uow_factory, b)
    assert other.version == 0 and other.telephone is None


async def test_migration_0003_gives_existing_organisations_version_0(db_url: str) -> None:
    await upgrade(db_url, "0002")
    engine = create_engine(db_url)
    try:
        now = datetime(2026, 12, 1, tzinfo=UTC)
        async with engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO organisations (siret, data, created_at, updated_at) VALUES (:s, :d, :c, :u)"),
                {"s": "73282932000074", "d": '{"raison_sociale": "Avant 0003"}', "c": now, "u": now},
            )
        await upgrade(engine)
        factory = SqlUnitOfWorkFactory(engine)
        async with factory() as uow:
            org = await uow.organisations.by_siret("73282932000074")
            assert org is not None and org.version == 0 and org.raison_sociale == "Avant 0003"
            org.telephone = "05 61 00 00 00"
            await uow.organisations.save(org)
            await uow.commit()
        async with factory() as uow:
            again = await uow.organisations.by_siret("73282932000074")
        assert again is not None and again.version == 1 and again.telephone == "05 61 00 00 00"
    finally:
        await engine.dispose()


async def test_migration_0004_makes_the_carif_oref_reference_name_one_organisation(db_url: str) -> None:
    await upgrade(db_url, "0003")
    engine = create_engine(db_url)
    insert = text("INSERT INTO organisations (siret, reference_carif, data, created_at, updated_at)"
                  " VALUES (:s, :r, '{}', :c, :c)")
    now = datetime(2026, 12, 1, tzinfo=UTC)
    try:
        async with engine.begin() as conn:  # rows as 0003 left them
            for siret, reference in (("1", "7320143"), ("2", None), ("3", None)):
                await conn.execute(insert, {"s": siret, "r": reference, "c": now})
        await upgrade(engine)
        async with engine.begin() as conn:  # NULL (« pas encore attribuée ») stays allowed on many
            await conn.execute(insert, {"s": "4", "r": None, "c": now})
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(insert, {"s": "5", "r": "7320143", "c": now})
        async with SqlUnitOfWorkFactory(engine)() as uow:
            found = await uow.organisations.by_reference_carif("7320143")
        assert found is not None and found.siret == "1"
    finally:
        await engine.dispose()
