"""The tables, as SQLAlchemy 2 declarative models (the migrations in ``storage/migrations`` match them).

Portable types only: ``JSON`` (not JSONB), ``BigInteger`` for Telegram ids, timezone-aware
timestamps stored in UTC (``UtcDateTime``). Every column a query filters or sorts on is a real,
indexed column; the rest of an action's catalogue fields live in its JSON ``data`` column.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Surrogate keys of tables that grow without bound: BIGINT on PostgreSQL, INTEGER on SQLite (where
# only an INTEGER PRIMARY KEY is the auto-incremented rowid).
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp, stored in UTC; read back as an aware UTC ``datetime``.

    A naive value is taken as UTC. SQLite has no time zones: it stores the naive UTC time.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy's documented class attribute
        datetime: UtcDateTime(),
        date: Date(),
        dict[str, Any]: JSON(),
    }


class OrganisationRow(Base):
    """A training organisation: its « fiche organisme » in ``data``, the SIRET indexed."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    siret: Mapped[str | None] = mapped_column(String(14), index=True)
    # Given by the Carif-Oref staff (« formabot org set ORG --reference-carif X », the staff chat):
    # one organisation per reference.
    reference_carif: Mapped[str | None] = mapped_column(String(50), index=True, unique=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    # Compare-and-swap on every save of the fiche (``SqlOrganisationRepository.save``).
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


def _target_matches_role() -> CheckConstraint:
    """A link (or a link code) names what its role needs: an organisation, a funder, or nothing."""
    return CheckConstraint(
        "(role = 'member' AND organisation_id IS NOT NULL AND funder IS NULL)"
        " OR (role = 'validator' AND funder IS NOT NULL AND organisation_id IS NULL)"
        " OR (role = 'staff' AND organisation_id IS NULL AND funder IS NULL)",
        name="target_matches_role",
    )


class MemberRow(Base):
    """One link of a Telegram user: to an organisation (member), a funder (validator), or staff."""

    __tablename__ = "members"
    __table_args__ = (
        _target_matches_role(),
        UniqueConstraint("user_id", "organisation_id"),
        UniqueConstraint("user_id", "funder"),
        Index(None, "organisation_id"),
        Index(None, "funder"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    organisation_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("organisations.id", ondelete="CASCADE")
    )
    funder: Mapped[str | None] = mapped_column(String(32))
    unreachable: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class LinkCodeRow(Base):
    """A single-use link code: only its SHA-256 is stored, never the code itself."""

    __tablename__ = "link_codes"
    __table_args__ = (_target_matches_role(),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    organisation_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    funder: Mapped[str | None] = mapped_column(String(32))
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    used_by: Mapped[int | None] = mapped_column(BigInteger)


class LinkAttemptRow(Base):
    """A failed attempt to redeem a link code (the lock counts them per user over one hour)."""

    __tablename__ = "link_attempts"
    __table_args__ = (Index(None, "user_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class ActionRow(Base):
    """A training action: lifecycle, references and dates as columns; other fields in ``data``."""

    __tablename__ = "actions"
    __table_args__ = (
        Index(None, "organisation_id", "status"),
        Index(None, "funder", "status"),
        Index(None, "status", "archive_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organisation_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=False
    )
    funder: Mapped[str] = mapped_column(String(32), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    reference: Mapped[str | None] = mapped_column(String(20), unique=True)
    reference_carif: Mapped[str | None] = mapped_column(String(50), index=True)
    reference_ofaa: Mapped[str | None] = mapped_column(String(50), index=True)
    first_session_start: Mapped[date | None] = mapped_column(Date)
    last_session_end: Mapped[date | None] = mapped_column(Date)
    archive_on: Mapped[date | None] = mapped_column(Date)
    archived_on: Mapped[date | None] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)


class SessionRow(Base):
    """One session of an action, in the order the organisation entered them (``position``)."""

    __tablename__ = "sessions"
    __table_args__ = (Index(None, "action_id", "position"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    action_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("actions.id", ondelete="CASCADE"), nullable=False
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    debut: Mapped[date | None] = mapped_column(Date)
    fin: Mapped[date | None] = mapped_column(Date)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)


class DocumentRow(Base):
    """A justification document received in the chat for an action."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("action_id", "file_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("actions.id", ondelete="CASCADE"), nullable=False
    )
    file_id: Mapped[str] = mapped_column(String(255), nullable=False)
    name: Mapped[str | None] = mapped_column(String(255))
    mime: Mapped[str | None] = mapped_column(String(127))
    size: Mapped[int | None] = mapped_column(BigInteger)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class AuditRow(Base):
    """The audit trail: append only (database triggers refuse UPDATE and DELETE).

    ``action_id`` has no foreign key on purpose: deleting a draft keeps its history.
    """

    __tablename__ = "audit"
    __table_args__ = (Index(None, "action_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    actor_user_id: Mapped[int | None] = mapped_column(BigInteger)
    action_id: Mapped[int | None] = mapped_column(Integer)
    organisation_id: Mapped[int | None] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    version: Mapped[int | None] = mapped_column(Integer)
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ConversationRow(Base):
    """The dialog state of one chat, written with compare-and-swap on ``version``."""

    __tablename__ = "conversations"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class ProcessedUpdateRow(Base):
    """Telegram update ids already handled (a redelivered update is skipped)."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, index=True)


class OutboxRow(Base):
    """A notification to send; written in the same transaction as the change it tells about."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'failed', 'dead')", name="status"),
        Index(None, "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    chat_id: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    idempotency_key: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class JobRunRow(Base):
    """The last day each scheduled job ran (catch-up after a restart)."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_run: Mapped[date] = mapped_column(Date, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


metadata = Base.metadata
organisations = cast(Table, OrganisationRow.__table__)
members = cast(Table, MemberRow.__table__)
link_codes = cast(Table, LinkCodeRow.__table__)
link_attempts = cast(Table, LinkAttemptRow.__table__)
actions = cast(Table, ActionRow.__table__)
sessions = cast(Table, SessionRow.__table__)
documents = cast(Table, DocumentRow.__table__)
audit = cast(Table, AuditRow.__table__)
conversations = cast(Table, ConversationRow.__table__)
processed_updates = cast(Table, ProcessedUpdateRow.__table__)
outbox = cast(Table, OutboxRow.__table__)
job_runs = cast(Table, JobRunRow.__table__)
