"""The repositories of ``domain.ports``, on SQLAlchemy Core statements, one module per aggregate.

Each repository works in one ``storage.transaction.Transaction`` (the connection, the clock, the
staff configured now, the hot statements and the note of each action written), which the unit of
work (``storage.uow``) owns: the repositories never see the unit of work itself.
"""

from storage.repositories.actions import (
    SqlActionRepository,
    load_actions_by_id,
    load_actions_with_sessions,
)
from storage.repositories.audit import SqlAuditRepository, audit_values
from storage.repositories.base import CHUNK, Repository, chunks, dialect_insert, upsert_ignore
from storage.repositories.conversations import (
    CONVERSATION_BY_CHAT,
    CONVERSATION_SWAP,
    SqlConversationRepository,
)
from storage.repositories.jobs import (
    MARK_UPDATE,
    UPDATE_ID_WINDOW,
    SqlJobRunRepository,
    SqlProcessedUpdateRepository,
)
from storage.repositories.members import (
    LINK_CODE_ALPHABET,
    LINK_CODE_LENGTH,
    LINK_CODE_VALIDITY,
    MAX_FAILED_ATTEMPTS_PER_HOUR,
    MEMBERSHIPS_OF_USER,
    SqlLinkCodeRepository,
    SqlMemberRepository,
    hash_code,
    new_code,
    normalise_code,
)
from storage.repositories.organisations import SqlOrganisationRepository
from storage.repositories.outbox import OUTBOX_LEASE, SqlOutboxRepository

__all__ = [
    "CHUNK",
    "CONVERSATION_BY_CHAT",
    "CONVERSATION_SWAP",
    "LINK_CODE_ALPHABET",
    "LINK_CODE_LENGTH",
    "LINK_CODE_VALIDITY",
    "MARK_UPDATE",
    "MAX_FAILED_ATTEMPTS_PER_HOUR",
    "MEMBERSHIPS_OF_USER",
    "OUTBOX_LEASE",
    "UPDATE_ID_WINDOW",
    "Repository",
    "SqlActionRepository",
    "SqlAuditRepository",
    "SqlConversationRepository",
    "SqlJobRunRepository",
    "SqlLinkCodeRepository",
    "SqlMemberRepository",
    "SqlOrganisationRepository",
    "SqlOutboxRepository",
    "SqlProcessedUpdateRepository",
    "audit_values",
    "chunks",
    "dialect_insert",
    "hash_code",
    "load_actions_by_id",
    "load_actions_with_sessions",
    "new_code",
    "normalise_code",
    "upsert_ignore",
]
