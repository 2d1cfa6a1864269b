"""The audit trail stays append-only, except for one change: replacing a person's Telegram id by
a pseudonym when they ask to be forgotten (``formabot member forget``, ``storage/privacy.py``).

An UPDATE of ``audit`` is allowed only when it changes ``actor_user_id`` from a Telegram id
(positive) to a pseudonym (negative) and leaves every other column as it was; a pseudonym can never
be changed again, and DELETE is still refused. Same message as before: « audit is append-only ».

PostgreSQL compares the whole row except ``actor_user_id`` (``to_jsonb(row) - 'actor_user_id'``),
so a column added later is covered too. SQLite names the columns: a migration that adds a column
to ``audit`` must add it to ``SQLITE_SAME_ROW`` (and recreate the trigger).

Revision ID: 0002
Revises: 0001
Create Date: 2026-06-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AUDIT_COLUMNS_BUT_ACTOR = (
    "id", "at", "action_id", "organisation_id", "kind", "version", "snapshot", "details",
)
SQLITE_SAME_ROW = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in AUDIT_COLUMNS_BUT_ACTOR)

POSTGRES_PSEUDONYMISE_ONLY = """
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
        AND COALESCE(OLD.actor_user_id > 0 AND NEW.actor_user_id < 0, false)
        AND (to_jsonb(NEW) - 'actor_user_id') = (to_jsonb(OLD) - 'actor_user_id')
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit is append-only';
END $$
"""

POSTGRES_STRICT = """
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit is append-only'; END $$
"""

# COALESCE: a NULL actor (a system change) makes the condition NULL, which must refuse too.
SQLITE_PSEUDONYMISE_ONLY = (
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
    " WHEN NOT COALESCE(OLD.actor_user_id > 0 AND NEW.actor_user_id < 0 AND "
    + SQLITE_SAME_ROW
    + ", 0) BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END"
)

SQLITE_STRICT = (
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_PSEUDONYMISE_ONLY)  # the trigger of 0001 calls this function
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_no_update")
        op.execute(SQLITE_PSEUDONYMISE_ONLY)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_STRICT)
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_no_update")
        op.execute(SQLITE_STRICT)
