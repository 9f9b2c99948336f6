"""case work: facilitator clients

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("oauth_client", sa.Column("facilitator_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_oauth_client_facilitator_id_facilitator"),
        "oauth_client",
        "facilitator",
        ["facilitator_id"],
        ["id"],
        ondelete="RESTRICT",
    )
    op.create_check_constraint(
        op.f("ck_oauth_client_facilitator_acts_as_one"),
        "oauth_client",
        "facilitator_id IS NULL OR 'FACILITATOR' = ANY(roles)",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_oauth_client_facilitator_acts_as_one"), "oauth_client", type_="check")
    op.drop_constraint(op.f("fk_oauth_client_facilitator_id_facilitator"), "oauth_client", type_="foreignkey")
    op.drop_column("oauth_client", "facilitator_id")
