"""statistics indexes: a year's figures from index-only scans at a million referrals

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_referral_submitted", table_name="referral")
    op.create_index(
        "ix_referral_submitted",
        "referral",
        ["submitted_at", "id"],
        unique=False,
        postgresql_include=["referring_agency_id", "district"],
    )
    # Supersedes ix_referral_stage: stage is its first column.
    op.drop_index("ix_referral_stage", table_name="referral")
    op.create_index(
        "ix_referral_stage_closed_at",
        "referral",
        ["stage", "closed_at"],
        unique=False,
        postgresql_include=["outcome", "decline_reason", "id"],
    )
    op.create_index("ix_participant_role_id", "participant", ["role", "id"], unique=False)
    op.create_index(
        "ix_stage_event_to_stage_at",
        "stage_event",
        ["to_stage", "at"],
        unique=False,
        postgresql_include=["referral_id"],
    )
    op.create_index(
        "ix_contact_attempt_attempted_at",
        "contact_attempt",
        ["attempted_at"],
        unique=False,
        postgresql_include=["participant_id"],
        postgresql_where=sa.text("successful"),
    )
    op.create_index(
        "ix_feedback_received_at",
        "feedback",
        ["received_at"],
        unique=False,
        postgresql_include=["respondent", "satisfied", "would_recommend"],
    )


def downgrade() -> None:
    op.drop_index("ix_feedback_received_at", table_name="feedback")
    op.drop_index("ix_contact_attempt_attempted_at", table_name="contact_attempt")
    op.drop_index("ix_stage_event_to_stage_at", table_name="stage_event")
    op.drop_index("ix_participant_role_id", table_name="participant")
    op.drop_index("ix_referral_stage_closed_at", table_name="referral")
    op.create_index("ix_referral_stage", "referral", ["stage"], unique=False)
    op.drop_index("ix_referral_submitted", table_name="referral")
    op.create_index("ix_referral_submitted", "referral", ["submitted_at", "id"], unique=False)
