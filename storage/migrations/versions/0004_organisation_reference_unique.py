"""The organisation's Carif-Oref reference becomes unique: the staff give it (``formabot org set
ORG --reference-carif X``, the staff chat) and it names one organisation, as on its fiche.

Nothing set it before this revision, so no existing row can hold a duplicate; the plain index is
replaced by a unique one (NULL, « not given yet », stays allowed on any number of rows).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

INDEX = "ix_organisations_reference_carif"  # the name 0001 gave it (storage.tables' convention)

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index(INDEX, table_name="organisations")
    op.create_index(INDEX, "organisations", ["reference_carif"], unique=True)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="organisations")
    op.create_index(INDEX, "organisations", ["reference_carif"], unique=False)
