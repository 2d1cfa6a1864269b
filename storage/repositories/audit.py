"""The audit trail: one row per stored change of an action, with the full action as JSON."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from domain.models import Action
from domain.ports import AuditEntry
from storage import mapping
from storage.repositories.base import Repository
from storage.tables import audit


class SqlAuditRepository(Repository):
    async def record(
        self,
        actor_user_id: int | None,
        action: Action,
        kind: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Append the full action (JSON snapshot) to its history."""
        await self.record_many([audit_values(actor_user_id, action, kind, details, self._now())])

    async def record_many(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            await self._conn.execute(insert(audit), list(rows))

    async def history(self, action_id: int) -> list[AuditEntry]:
        """Oldest first."""
        result = await self._conn.execute(
            select(audit).where(audit.c.action_id == action_id).order_by(audit.c.id)
        )
        return [
            AuditEntry(
                id=r.id, at=r.at, actor_user_id=r.actor_user_id, action_id=r.action_id,
                kind=r.kind, version=r.version, snapshot=r.snapshot, details=r.details,
            )
            for r in result
        ]

    async def pseudonymise(self, user_id: int, pseudonym: int) -> int:
        """Replace the actor ``user_id`` by ``pseudonym`` (the only change migration 0002 lets
        through the trail's append-only trigger); the number of rows changed."""
        result = await self._conn.execute(
            update(audit).where(audit.c.actor_user_id == user_id).values(actor_user_id=pseudonym)
        )
        return result.rowcount


def audit_values(
    actor_user_id: int | None,
    action: Action | None,
    kind: str,
    details: dict[str, Any] | None,
    now: datetime,
    *,
    action_id: int | None = None,
    organisation_id: int | None = None,
) -> dict[str, Any]:
    return {
        "at": now,
        "actor_user_id": actor_user_id,
        "action_id": action.id if action is not None else action_id,
        "organisation_id": action.organisation_id if action is not None else organisation_id,
        "kind": str(kind),
        "version": action.version if action is not None else None,
        "snapshot": mapping.action_snapshot(action) if action is not None else None,
        "details": details or None,
    }
