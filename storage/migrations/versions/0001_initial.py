"""Initial schema: organisations, members, link codes, actions, sessions, documents, audit,
conversations, processed updates, outbox, job runs.

Revision ID: 0001
Revises:
Create Date: 2025-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ROLE_TARGET = (
    "(role = 'member' AND organisation_id IS NOT NULL AND funder IS NULL)"
    " OR (role = 'validator' AND funder IS NOT NULL AND organisation_id IS NULL)"
    " OR (role = 'staff' AND organisation_id IS NULL AND funder IS NULL)"
)


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("siret", sa.String(14), nullable=True),
        sa.Column("reference_carif", sa.String(50), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_organisations"),
    )
    op.create_index("ix_organisations_siret", "organisations", ["siret"])
    op.create_index("ix_organisations_reference_carif", "organisations", ["reference_carif"])

    op.create_table(
        "members",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("funder", sa.String(32), nullable=True),
        sa.Column("unreachable", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint(ROLE_TARGET, name="ck_members_target_matches_role"),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"],
            name="fk_members_organisation_id_organisations", ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_members"),
        sa.UniqueConstraint("user_id", "organisation_id", name="uq_members_user_id_organisation_id"),
        sa.UniqueConstraint("user_id", "funder", name="uq_members_user_id_funder"),
    )
    op.create_index("ix_members_user_id", "members", ["user_id"])
    op.create_index("ix_members_chat_id", "members", ["chat_id"])
    op.create_index("ix_members_organisation_id", "members", ["organisation_id"])
    op.create_index("ix_members_funder", "members", ["funder"])

    op.create_table(
        "link_codes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("funder", sa.String(32), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS, nullable=True),
        sa.Column("used_by", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(ROLE_TARGET, name="ck_link_codes_target_matches_role"),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"],
            name="fk_link_codes_organisation_id_organisations", ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_link_codes"),
        sa.UniqueConstraint("code_hash", name="uq_link_codes_code_hash"),
    )
    op.create_index("ix_link_codes_organisation_id", "link_codes", ["organisation_id"])

    op.create_table(
        "link_attempts",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_link_attempts"),
    )
    op.create_index("ix_link_attempts_user_id_at", "link_attempts", ["user_id", "at"])

    op.create_table(
        "actions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("funder", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(20), nullable=True),
        sa.Column("reference_carif", sa.String(50), nullable=True),
        sa.Column("reference_ofaa", sa.String(50), nullable=True),
        sa.Column("first_session_start", sa.Date(), nullable=True),
        sa.Column("last_session_end", sa.Date(), nullable=True),
        sa.Column("archive_on", sa.Date(), nullable=True),
        sa.Column("archived_on", sa.Date(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("confirmed_at", TS, nullable=True),
        sa.Column("published_at", TS, nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"],
            name="fk_actions_organisation_id_organisations", ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_actions"),
        sa.UniqueConstraint("reference", name="uq_actions_reference"),
    )
    op.create_index("ix_actions_organisation_id_status", "actions", ["organisation_id", "status"])
    op.create_index("ix_actions_funder_status", "actions", ["funder", "status"])
    op.create_index("ix_actions_status_archive_on", "actions", ["status", "archive_on"])
    op.create_index("ix_actions_reference_carif", "actions", ["reference_carif"])
    op.create_index("ix_actions_reference_ofaa", "actions", ["reference_ofaa"])
    op.create_index("ix_actions_archived_on", "actions", ["archived_on"])

    op.create_table(
        "sessions",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("debut", sa.Date(), nullable=True),
        sa.Column("fin", sa.Date(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"], ["actions.id"], name="fk_sessions_action_id_actions", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sessions"),
    )
    op.create_index("ix_sessions_action_id_position", "sessions", ["action_id", "position"])

    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=True),
        sa.Column("mime", sa.String(127), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("received_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"], ["actions.id"], name="fk_documents_action_id_actions", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_documents"),
        sa.UniqueConstraint("action_id", "file_id", name="uq_documents_action_id_file_id"),
    )

    op.create_table(
        "audit",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor_user_id", sa.BigInteger(), nullable=True),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("snapshot", sa.JSON(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit"),
    )
    op.create_index("ix_audit_action_id_id", "audit", ["action_id", "id"])
    op.create_index("ix_audit_organisation_id", "audit", ["organisation_id"])
    _audit_append_only()

    op.create_table(
        "conversations",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name="pk_conversations"),
    )
    op.create_index("ix_conversations_user_id", "conversations", ["user_id"])

    op.create_table(
        "processed_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("processed_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("update_id", name="pk_processed_updates"),
    )
    op.create_index("ix_processed_updates_processed_at", "processed_updates", ["processed_at"])

    op.create_table(
        "outbox",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("sent_at", TS, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed', 'dead')", name="ck_outbox_status"),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("idempotency_key", name="uq_outbox_idempotency_key"),
    )
    op.create_index("ix_outbox_chat_id", "outbox", ["chat_id"])
    op.create_index("ix_outbox_status_next_attempt_at", "outbox", ["status", "next_attempt_at"])

    op.create_table(
        "job_runs",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("last_run", sa.Date(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_job_runs"),
    )


def _audit_append_only() -> None:
    """The audit trail is never updated nor deleted: the database refuses it."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN RAISE EXCEPTION 'audit is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit"
            " FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_no_{verb.lower()} BEFORE {verb} ON audit"
                " BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_append_only ON audit")
        op.execute("DROP FUNCTION IF EXISTS audit_append_only()")
    for table in (
        "job_runs", "outbox", "processed_updates", "conversations", "audit", "documents",
        "sessions", "actions", "link_attempts", "link_codes", "members", "organisations",
    ):
        op.drop_table(table)
