"""Organisations (their fiche), with optimistic versions."""

from __future__ import annotations

from sqlalchemy import ColumnElement, bindparam, insert, select, update

from domain.errors import StaleVersion
from domain.models import Organisation
from storage import mapping
from storage.repositories.base import Repository
from storage.tables import organisations

# Statements run often are built once, with named parameters: on SQLite, building a statement and
# computing its cache key cost more than running it.
_ORGANISATION_BY_ID = select(organisations).where(organisations.c.id == bindparam("p_id"))


class SqlOrganisationRepository(Repository):
    async def get(self, organisation_id: int) -> Organisation | None:
        row = (
            await self._conn.execute(_ORGANISATION_BY_ID, {"p_id": organisation_id})
        ).mappings().first()
        return None if row is None else mapping.load_organisation(row)

    async def by_siret(self, siret: str) -> Organisation | None:
        return await self._first(organisations.c.siret == siret.replace(" ", ""))

    async def by_reference_carif(self, reference: str) -> Organisation | None:
        return await self._first(organisations.c.reference_carif == reference)

    async def _first(self, condition: ColumnElement[bool]) -> Organisation | None:
        """The organisation of lowest id meeting ``condition``."""
        row = (
            await self._conn.execute(select(organisations).where(condition).order_by(organisations.c.id))
        ).mappings().first()
        return None if row is None else mapping.load_organisation(row)

    async def add(self, organisation: Organisation) -> Organisation:
        """Insert; assigns ``id`` (in place) and returns the organisation."""
        now = self._now()
        values = mapping.organisation_values(organisation)
        del values["id"]
        values.update(created_at=now, updated_at=now)
        organisation.id = (
            await self._conn.execute(
                insert(organisations).values(values).returning(organisations.c.id)
            )
        ).scalar_one()
        return organisation

    async def save(self, organisation: Organisation) -> Organisation:
        """Store a changed fiche if its ``version`` is current; bumps it (in place) and returns it.

        Raises ``StaleVersion`` when someone saved first (the caller reloads and merges), and
        ``LookupError`` when the organisation does not exist.
        """
        if organisation.id is None:
            raise ValueError("save() needs an organisation that was added")
        values = mapping.organisation_values(organisation)
        del values["id"]
        values["updated_at"] = self._now()
        values["version"] = organisation.version + 1
        result = await self._conn.execute(
            update(organisations)
            .where(organisations.c.id == organisation.id, organisations.c.version == organisation.version)
            .values(values)
        )
        if result.rowcount != 1:
            exists = (
                await self._conn.execute(select(organisations.c.id).where(organisations.c.id == organisation.id))
            ).first()
            if exists is None:
                raise LookupError(f"no organisation {organisation.id}")
            raise StaleVersion()
        organisation.version += 1
        return organisation
