"""webhooks: subscriptions, the outbox of events, one delivery per event and subscriber, and every attempt

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 12:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "REFERRAL_RECEIVED",
                "REFERRAL_ACCEPTED",
                "REFERRAL_DECLINED",
                "STAGE_CHANGED",
                "ON_HOLD",
                "RESUMED",
                "CASE_CLOSED",
                name="webhook_event_type",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("agency_reference", sa.String(length=100), nullable=False),
        sa.Column(
            "stage_from",
            sa.Enum(
                "RECEIVED",
                "DECLINED",
                "ACCEPTED",
                "ALLOCATED",
                "CONTACT",
                "ASSESSMENT",
                "PREPARATION",
                "RESTORATIVE_PROCESS",
                "AGREEMENT_MONITORING",
                "ON_HOLD",
                "CLOSED",
                name="stage_from",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column(
            "stage_to",
            sa.Enum(
                "RECEIVED",
                "DECLINED",
                "ACCEPTED",
                "ALLOCATED",
                "CONTACT",
                "ASSESSMENT",
                "PREPARATION",
                "RESTORATIVE_PROCESS",
                "AGREEMENT_MONITORING",
                "ON_HOLD",
                "CLOSED",
                name="stage_to",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "outcome",
            sa.Enum(
                "RESOLVED",
                "PARTIALLY_RESOLVED",
                "WITHDRAWN_BY_HARMED_PARTY",
                "WITHDRAWN_BY_RESPONSIBLE_PARTY",
                "WITHDRAWN_BY_REFERRER",
                "UNSUITABLE",
                "NO_CONTACT",
                name="outcome",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.CheckConstraint("stage_from IS DISTINCT FROM stage_to", name="changes_stage"),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    op.create_index("ix_webhook_event_occurred", "webhook_event", ["occurred_at", "number"], unique=False)
    op.create_index(op.f("ix_webhook_event_referral_id"), "webhook_event", ["referral_id"], unique=False)
    op.create_table(
        "webhook_subscription",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("roles", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("scopes", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("facilitator_id", sa.Uuid(), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("event_types", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("previous_secret", sa.String(length=100), nullable=True),
        sa.Column("previous_secret_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paused", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_reason", sa.String(length=300), nullable=True),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "event_types <@ ARRAY['REFERRAL_RECEIVED', 'REFERRAL_ACCEPTED', 'REFERRAL_DECLINED', 'STAGE_CHANGED', 'ON_HOLD', 'RESUMED', 'CASE_CLOSED']::text[]",
            name="event_types_known",
        ),
        sa.CheckConstraint(
            "roles <@ ARRAY['REFERRER', 'FACILITATOR', 'COORDINATOR', 'MANAGER', 'AUDITOR']::text[]", name="roles_known"
        ),
        sa.CheckConstraint(
            "scopes <@ ARRAY['referrals:read', 'referrals:write', 'casework', 'facilitators:manage', 'statistics:read', 'audit:read', 'webhooks:manage', 'admin']::text[]",
            name="scopes_known",
        ),
        sa.CheckConstraint("secret LIKE 'whsec_%'", name="secret_format"),
        sa.CheckConstraint("url ~ '^https?://'", name="url_http"),
        sa.CheckConstraint("(disabled_at IS NULL) = (disabled_reason IS NULL)", name="disabled_has_reason"),
        sa.CheckConstraint(
            "(previous_secret IS NULL) = (previous_secret_expires_at IS NULL)", name="previous_secret_expires"
        ),
        sa.CheckConstraint("cardinality(event_types) >= 1", name="has_an_event_type"),
        sa.CheckConstraint("length(url) <= 2000", name="url_length"),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["oauth_client.client_id"],
        ),
        sa.ForeignKeyConstraint(["facilitator_id"], ["facilitator.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_webhook_subscription_agency_id"), "webhook_subscription", ["agency_id"], unique=False)
    op.create_index(
        "ix_webhook_subscription_owner", "webhook_subscription", ["client_id", "created_at", "id"], unique=False
    )
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column(
            "event_type",
            sa.Enum(
                "REFERRAL_RECEIVED",
                "REFERRAL_ACCEPTED",
                "REFERRAL_DECLINED",
                "STAGE_CHANGED",
                "ON_HOLD",
                "RESUMED",
                "CASE_CLOSED",
                name="webhook_event_type",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING",
                "FAILED",
                "DELIVERED",
                "ABANDONED",
                name="delivery_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sequence", sa.BigInteger(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("(status = 'DELIVERED') = (delivered_at IS NOT NULL)", name="delivered_at_set"),
        sa.CheckConstraint(
            "(status IN ('PENDING', 'FAILED')) = (next_attempt_at IS NOT NULL)", name="outstanding_is_scheduled"
        ),
        sa.CheckConstraint("(lease_owner IS NULL) = (lease_expires_at IS NULL)", name="lease_complete"),
        sa.CheckConstraint("(sequence IS NULL) = (body IS NULL)", name="numbered_when_built"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        sa.CheckConstraint("sequence IS NULL OR sequence >= 1", name="sequence_positive"),
        sa.ForeignKeyConstraint(["event_id"], ["webhook_event.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["subscription_id"], ["webhook_subscription.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("position"),
        sa.UniqueConstraint("subscription_id", "sequence"),
    )
    op.create_index(
        "ix_webhook_delivery_due",
        "webhook_delivery",
        ["next_attempt_at", "position"],
        unique=False,
        postgresql_where=sa.text("status IN ('PENDING', 'FAILED')"),
    )
    op.create_index(op.f("ix_webhook_delivery_event_id"), "webhook_delivery", ["event_id"], unique=False)
    op.create_index(
        "ix_webhook_delivery_listing", "webhook_delivery", ["subscription_id", "created_at", "id"], unique=False
    )
    op.create_index(
        "ix_webhook_delivery_order", "webhook_delivery", ["subscription_id", "referral_id", "position"], unique=False
    )
    op.create_table(
        "webhook_attempt",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("status_code", sa.SmallInteger(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("response_excerpt", sa.Text(), nullable=True),
        sa.CheckConstraint("duration_ms >= 0", name="duration_not_negative"),
        sa.CheckConstraint("length(response_excerpt) <= 1024", name="excerpt_length"),
        sa.ForeignKeyConstraint(["delivery_id"], ["webhook_delivery.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_webhook_attempt_delivery", "webhook_attempt", ["delivery_id", "attempted_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_webhook_attempt_delivery", table_name="webhook_attempt")
    op.drop_table("webhook_attempt")
    op.drop_index("ix_webhook_delivery_order", table_name="webhook_delivery")
    op.drop_index("ix_webhook_delivery_listing", table_name="webhook_delivery")
    op.drop_index(op.f("ix_webhook_delivery_event_id"), table_name="webhook_delivery")
    op.drop_index(
        "ix_webhook_delivery_due",
        table_name="webhook_delivery",
        postgresql_where=sa.text("status IN ('PENDING', 'FAILED')"),
    )
    op.drop_table("webhook_delivery")
    op.drop_index("ix_webhook_subscription_owner", table_name="webhook_subscription")
    op.drop_index(op.f("ix_webhook_subscription_agency_id"), table_name="webhook_subscription")
    op.drop_table("webhook_subscription")
    op.drop_index(op.f("ix_webhook_event_referral_id"), table_name="webhook_event")
    op.drop_index("ix_webhook_event_occurred", table_name="webhook_event")
    op.drop_table("webhook_event")
