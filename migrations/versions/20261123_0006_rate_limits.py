"""rate limits: token buckets shared by every hub process, and a per-client limit

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 13:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_bucket",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("granted", sa.Boolean(), server_default="true", nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_bucket")),
        prefixes=["UNLOGGED"],
    )
    op.add_column("oauth_client", sa.Column("rate_limit_per_minute", sa.Integer(), nullable=True))
    op.create_check_constraint(
        op.f("ck_oauth_client_rate_limit_positive"),
        "oauth_client",
        "rate_limit_per_minute IS NULL OR rate_limit_per_minute > 0",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_oauth_client_rate_limit_positive"), "oauth_client", type_="check")
    op.drop_column("oauth_client", "rate_limit_per_minute")
    op.drop_table("rate_bucket")
