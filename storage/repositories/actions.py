"""Actions, scoped: the scope's condition is part of every statement, so an action outside it
behaves as if it did not exist (``get`` → None, ``save`` → ``StaleVersion``, ``delete`` → nothing).

The organisation's scope also enforces the lifecycle: ``add``, ``save`` and ``delete`` compare the
write with the stored row, in the same transaction, and refuse (``ChangeNotAllowed``) whatever
``domain.lifecycle.organisation_change_refusal`` does not allow, so that no screen can store it.
Every write of an action is noted in the transaction, which gives it an audit row at commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, insert, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain import lifecycle
from domain.errors import ChangeNotAllowed, StaleVersion
from domain.funders import Funder
from domain.models import Action, Status
from storage import mapping
from storage.repositories.base import Repository, chunks, upsert_ignore
from storage.tables import actions, documents, sessions
from storage.transaction import Transaction


class SqlActionRepository(Repository):
    """Actions of one scope: an organisation, a funder (read + save), or all (staff)."""

    def __init__(
        self,
        tx: Transaction,
        *,
        organisation_id: int | None = None,
        funder: Funder | None = None,
    ) -> None:
        super().__init__(tx)
        if organisation_id is not None and funder is not None:
            raise ValueError("a scope is an organisation or a funder, not both")
        self.organisation_id = organisation_id
        self.funder = funder

    def _scope(self) -> ColumnElement[bool]:
        if self.organisation_id is not None:
            return actions.c.organisation_id == self.organisation_id
        if self.funder is not None:
            # A validator sees what was proposed to the funder, never an organisation's work in
            # progress (a draft, or an action sent back to it for correction).
            return and_(
                actions.c.funder == self.funder.value,
                actions.c.status.not_in((Status.DRAFT.value, Status.RETURNED.value)),
            )
        return true()

    async def _load(self, where: ColumnElement[bool], *, order: bool = False,
                    offset: int = 0, limit: int | None = None) -> list[Action]:
        stmt = select(actions).where(where, self._scope())
        if order:
            stmt = stmt.order_by(actions.c.id.desc()).offset(offset).limit(limit)
        rows = (await self._conn.execute(stmt)).mappings().all()
        return await load_actions_with_sessions(self._conn, rows)

    async def get(self, action_id: int) -> Action | None:
        found = await self._load(actions.c.id == action_id)
        return found[0] if found else None

    async def by_reference(self, reference: str) -> Action | None:
        """By formabot reference (« FB-000042 », any case) or Carif-Oref reference."""
        ref = reference.strip()
        if not ref:
            return None
        found = await self._load(
            or_(actions.c.reference == ref.upper(), actions.c.reference_carif == ref)
        )
        return found[0] if found else None

    async def list(
        self, status: Status | None = None, *, offset: int = 0, limit: int = 50
    ) -> list[Action]:
        """Newest first."""
        where = true() if status is None else actions.c.status == status.value
        return await self._load(where, order=True, offset=offset, limit=limit)

    async def counts(self) -> dict[Status, int]:
        """Number of actions per status (statuses without any action are absent)."""
        stmt = (
            select(actions.c.status, func.count())
            .where(self._scope())
            .group_by(actions.c.status)
        )
        result = await self._conn.execute(stmt)
        return {Status(status): count for status, count in result.all()}

    async def add(self, action: Action) -> Action:
        """Insert a new action: assigns ``id``, ``reference`` (« FB-000042 ») and timestamps.

        The given object is updated in place and returned.
        """
        if self.funder is not None:
            raise PermissionError("a funder's validators cannot create actions")
        if self.organisation_id is not None and action.organisation_id != self.organisation_id:
            raise PermissionError("the action belongs to another organisation")
        if self.organisation_id is not None:
            lifecycle.ensure_organisation_may_store(None, action, self._tx.clock.today())
        now = self._now()
        action.created_at = action.created_at or now
        action.updated_at = now
        action.reference = None
        values = mapping.action_values(action)
        del values["id"]
        new_id = (
            await self._conn.execute(insert(actions).values(values).returning(actions.c.id))
        ).scalar_one()
        reference = f"FB-{new_id:06d}"
        await self._conn.execute(
            update(actions).where(actions.c.id == new_id).values(reference=reference)
        )
        action.id = new_id
        action.reference = reference
        await self._write_sessions(action, previous=set())
        await self._sync_documents(action, now)
        self._tx.note_action_write(new_id, action.organisation_id, "created")
        return action

    async def save(self, action: Action) -> Action:
        """Store a changed action if its ``version`` is current; bumps it (in place) and returns it.

        Raises ``StaleVersion`` when someone saved first, or when the action is not in the scope.
        Sessions are replaced in the same transaction; the computed dates are recomputed.
        """
        if action.id is None:
            raise ValueError("save() needs an action that was added")
        if self.funder is not None and action.funder is not self.funder:
            raise StaleVersion()
        changed: tuple[str, ...] = ()
        if self.organisation_id is not None:
            stored = await self.get(action.id)
            if stored is None or stored.version != action.version:
                raise StaleVersion()
            lifecycle.ensure_organisation_may_store(stored, action, self._tx.clock.today())
            changed = lifecycle.changes(stored, action)
        now = self._now()
        values = mapping.action_values(action)
        for name in ("id", "organisation_id", "reference", "created_at", "version"):
            del values[name]
        values["updated_at"] = now
        values["version"] = action.version + 1
        result = await self._conn.execute(
            update(actions)
            .where(
                actions.c.id == action.id,
                actions.c.version == action.version,
                self._scope(),
            )
            .values(values)
        )
        if result.rowcount != 1:
            raise StaleVersion()
        previous = set(
            (
                await self._conn.execute(
                    select(sessions.c.id).where(sessions.c.action_id == action.id)
                )
            ).scalars()
        )
        await self._conn.execute(delete(sessions).where(sessions.c.action_id == action.id))
        action.version += 1
        action.updated_at = now
        await self._write_sessions(action, previous=previous)
        await self._sync_documents(action, now)
        self._tx.note_action_write(
            action.id, action.organisation_id, "saved", {"changed": list(changed)} if changed else None
        )
        return action

    async def delete(self, action_id: int) -> None:
        """Delete the action and its sessions and documents (its audit trail stays)."""
        if self.funder is not None:
            raise PermissionError("a funder's validators cannot delete actions")
        stored = await self.get(action_id)
        if stored is None:
            return
        if self.organisation_id is not None:
            reason = lifecycle.refusal(stored, lifecycle.Operation.DELETE)
            if reason is not None:
                raise ChangeNotAllowed(reason, ("deleted",))
        result = await self._conn.execute(
            delete(actions).where(actions.c.id == action_id, self._scope())
        )
        if result.rowcount:
            self._tx.note_action_write(action_id, stored.organisation_id, "deleted",
                                        {"reference": stored.reference})

    async def _write_sessions(self, action: Action, previous: set[int]) -> None:
        """Insert the sessions; a session keeps its id if it was one of this action's."""
        assert action.id is not None
        kept = []
        for position, session in enumerate(action.sessions):
            if session.id is not None and session.id in previous:
                kept.append(mapping.session_values(session, action.id, position))
        if kept:
            await self._conn.execute(insert(sessions), kept)
        for position, session in enumerate(action.sessions):
            if session.id is not None and session.id in previous:
                continue
            values = mapping.session_values(session, action.id, position)
            del values["id"]
            session.id = (
                await self._conn.execute(
                    insert(sessions).values(values).returning(sessions.c.id)
                )
            ).scalar_one()

    async def _sync_documents(self, action: Action, now: datetime) -> None:
        document = action.justificatif
        if document is None or action.id is None:
            return
        stmt = upsert_ignore(self._conn, documents, ("action_id", "file_id")).values(
            action_id=action.id,
            file_id=document.file_id,
            name=document.file_name,
            mime=document.mime_type,
            size=document.size,
            received_at=now,
        )
        await self._conn.execute(stmt)


async def load_actions_with_sessions(
    conn: AsyncConnection, rows: Sequence[Any]
) -> list[Action]:
    """Actions of ``actions`` rows (mappings), with their sessions loaded in one query per chunk."""
    ids = [row["id"] for row in rows]
    by_action: dict[int, list[Any]] = {i: [] for i in ids}
    for chunk in chunks(ids):
        result = await conn.execute(
            select(sessions)
            .where(sessions.c.action_id.in_(chunk))
            .order_by(sessions.c.action_id, sessions.c.position, sessions.c.id)
        )
        for srow in result.mappings():
            by_action[srow["action_id"]].append(srow)
    return [mapping.load_action(row, by_action[row["id"]]) for row in rows]


async def load_actions_by_id(conn: AsyncConnection, ids: Iterable[int]) -> dict[int, Action]:
    """Actions by id, unscoped (the unit of work's own use: audit snapshots, notifications)."""
    wanted = sorted(set(ids))
    found: dict[int, Action] = {}
    for chunk in chunks(wanted):
        rows = (
            await conn.execute(select(actions).where(actions.c.id.in_(chunk)))
        ).mappings().all()
        for action in await load_actions_with_sessions(conn, rows):
            assert action.id is not None
            found[action.id] = action
    return found
