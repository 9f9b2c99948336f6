"""Webhook subscriptions, the outbox of events, one delivery per event and subscriber, and every attempt.

Nothing here is ever deleted: a deleted subscription is marked so, a disabled one keeps its reason, and every
attempt stays as the record of what was sent, when, and what came back.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.auth.scopes import Role, Scope
from hub.columns import enum_field, fk_field, id_field, members_check, text_list_field, timestamp_field
from hub.referrals.models import Outcome, Stage

URL_MAX_LENGTH = 2000
DESCRIPTION_MAX_LENGTH = 200
REASON_MAX_LENGTH = 300
ERROR_MAX_LENGTH = 500
EXCERPT_MAX_LENGTH = 1024


class WebhookEventType(StrEnum):
    """What happened to a referral. A move between stages is exactly one of the types after REFERRAL_RECEIVED."""

    REFERRAL_RECEIVED = "REFERRAL_RECEIVED"
    REFERRAL_ACCEPTED = "REFERRAL_ACCEPTED"
    REFERRAL_DECLINED = "REFERRAL_DECLINED"
    STAGE_CHANGED = "STAGE_CHANGED"
    ON_HOLD = "ON_HOLD"
    RESUMED = "RESUMED"
    CASE_CLOSED = "CASE_CLOSED"


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"  # waiting for its first attempt (or for a redelivery)
    FAILED = "FAILED"  # the last attempt failed; another is scheduled
    DELIVERED = "DELIVERED"  # the endpoint answered 2xx
    ABANDONED = "ABANDONED"  # no more attempts: retries exhausted, or the subscription was disabled or deleted


# Deliveries a worker may still send.
OUTSTANDING = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


class WebhookSubscription(SQLModel, table=True):
    """A partner's endpoint and the events it wants. It receives them as the principal that created it."""

    __tablename__ = "webhook_subscription"
    __table_args__ = (
        members_check("event_types", WebhookEventType, "event_types_known"),
        members_check("roles", Role, "roles_known"),
        members_check("scopes", Scope, "scopes_known"),
        sa.CheckConstraint("cardinality(event_types) >= 1", name="has_an_event_type"),
        sa.CheckConstraint(f"length(url) <= {URL_MAX_LENGTH}", name="url_length"),
        sa.CheckConstraint("url ~ '^https?://'", name="url_http"),
        sa.CheckConstraint("secret LIKE 'whsec_%'", name="secret_format"),
        sa.CheckConstraint(
            "(previous_secret IS NULL) = (previous_secret_expires_at IS NULL)", name="previous_secret_expires"
        ),
        sa.CheckConstraint("(disabled_at IS NULL) = (disabled_reason IS NULL)", name="disabled_has_reason"),
        sa.Index("ix_webhook_subscription_owner", "client_id", "created_at", "id"),
    )

    id: uuid.UUID = id_field()
    agency_id: uuid.UUID = fk_field("agency.id")
    # The owner: the OAuth client and, for a person signed in through a portal, the person.
    client_id: str = Field(sa_column=sa.Column(sa.String(100), sa.ForeignKey("oauth_client.client_id"), nullable=False))
    user_id: uuid.UUID | None = fk_field("user_account.id", nullable=True, index=False)
    # The owner's rights when it subscribed: events are filtered and shaped for them, as its queries are.
    roles: list[str] = text_list_field()
    scopes: list[str] = text_list_field()
    facilitator_id: uuid.UUID | None = fk_field("facilitator.id", nullable=True, index=False)
    url: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    description: str | None = Field(default=None, sa_column=sa.Column(sa.String(DESCRIPTION_MAX_LENGTH)))
    event_types: list[str] = text_list_field()
    # The signing secrets (never shown again after creation or rotation, never logged). After a rotation the
    # previous secret signs too, until it expires.
    secret: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    previous_secret: str | None = Field(default=None, sa_column=sa.Column(sa.String(100), nullable=True))
    previous_secret_expires_at: datetime | None = timestamp_field(nullable=True, default_now=False)
    paused: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False, server_default="false"))
    disabled_at: datetime | None = timestamp_field(nullable=True, default_now=False)
    disabled_reason: str | None = Field(default=None, sa_column=sa.Column(sa.String(REASON_MAX_LENGTH)))
    # Since when every attempt has failed (null after a success): five days of it disables the subscription.
    failing_since: datetime | None = timestamp_field(nullable=True, default_now=False)
    deleted_at: datetime | None = timestamp_field(nullable=True, default_now=False)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()


class WebhookEvent(SQLModel, table=True):
    """The outbox: one row per thing that happened to a referral, written in the transaction that made it happen."""

    __tablename__ = "webhook_event"
    __table_args__ = (
        sa.CheckConstraint("stage_from IS DISTINCT FROM stage_to", name="changes_stage"),
        sa.Index("ix_webhook_event_occurred", "occurred_at", "number"),
    )

    id: uuid.UUID = id_field()
    # Grows with every event; replays send events in this order.
    number: int | None = Field(
        default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(always=True), nullable=False, unique=True)
    )
    type: WebhookEventType = enum_field(WebhookEventType)
    referral_id: uuid.UUID = fk_field("referral.id")
    occurred_at: datetime = timestamp_field()
    # The referral as the event left it (references never change; stage and outcome do).
    reference: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    agency_reference: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    stage_from: Stage | None = enum_field(Stage, nullable=True, default=None, name="stage_from")
    stage_to: Stage = enum_field(Stage, name="stage_to")
    outcome: Outcome | None = enum_field(Outcome, nullable=True, default=None)


class WebhookDelivery(SQLModel, table=True):
    """One event for one subscription: sent until the endpoint answers 2xx or the hub gives up."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        sa.UniqueConstraint("subscription_id", "sequence"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        sa.CheckConstraint("sequence IS NULL OR sequence >= 1", name="sequence_positive"),
        sa.CheckConstraint("(sequence IS NULL) = (body IS NULL)", name="numbered_when_built"),
        sa.CheckConstraint("(lease_owner IS NULL) = (lease_expires_at IS NULL)", name="lease_complete"),
        sa.CheckConstraint("(status = 'DELIVERED') = (delivered_at IS NOT NULL)", name="delivered_at_set"),
        sa.CheckConstraint(
            "(status IN ('PENDING', 'FAILED')) = (next_attempt_at IS NOT NULL)", name="outstanding_is_scheduled"
        ),
        # Workers look for due deliveries; the order rule looks for an earlier one of the same referral.
        sa.Index(
            "ix_webhook_delivery_due",
            "next_attempt_at",
            "position",
            postgresql_where=sa.text("status IN ('PENDING', 'FAILED')"),
        ),
        sa.Index("ix_webhook_delivery_order", "subscription_id", "referral_id", "position"),
        sa.Index("ix_webhook_delivery_listing", "subscription_id", "created_at", "id"),
    )

    id: uuid.UUID = id_field()
    # Creation order: one referral's events reach a subscriber in this order.
    position: int | None = Field(
        default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(always=True), nullable=False, unique=True)
    )
    subscription_id: uuid.UUID = fk_field("webhook_subscription.id", index=False)
    event_id: uuid.UUID = fk_field("webhook_event.id")
    # The event's type and referral, copied here for the order rule and the listings.
    event_type: WebhookEventType = enum_field(WebhookEventType)
    referral_id: uuid.UUID = fk_field("referral.id", index=False)
    status: DeliveryStatus = enum_field(DeliveryStatus, default=DeliveryStatus.PENDING)
    # Attempts since it was (re)queued: where it is in the retry schedule.
    attempts: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    next_attempt_at: datetime | None = timestamp_field(nullable=True, default_now=False)
    lease_owner: str | None = Field(default=None, sa_column=sa.Column(sa.String(100), nullable=True))
    lease_expires_at: datetime | None = timestamp_field(nullable=True, default_now=False)
    # Given when first sent: the subscription's running number, and the exact body signed and sent every time.
    sequence: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, nullable=True))
    body: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    created_at: datetime = timestamp_field()
    delivered_at: datetime | None = timestamp_field(nullable=True, default_now=False)


def webhook_id(event_id: uuid.UUID) -> str:
    """The `webhook-id` of an event: the same on every retry, redelivery and replay, so receivers can deduplicate."""
    return f"msg_{event_id.hex}"


class WebhookAttempt(SQLModel, table=True):
    """One try at sending a delivery: when, what came back, how long it took."""

    __tablename__ = "webhook_attempt"
    __table_args__ = (
        sa.CheckConstraint("duration_ms >= 0", name="duration_not_negative"),
        sa.CheckConstraint(f"length(response_excerpt) <= {EXCERPT_MAX_LENGTH}", name="excerpt_length"),
        sa.Index("ix_webhook_attempt_delivery", "delivery_id", "attempted_at"),
    )

    id: uuid.UUID = id_field()
    delivery_id: uuid.UUID = fk_field("webhook_delivery.id", index=False)
    attempted_at: datetime = timestamp_field()
    status_code: int | None = Field(default=None, sa_column=sa.Column(sa.SmallInteger, nullable=True))
    duration_ms: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    error: str | None = Field(default=None, sa_column=sa.Column(sa.String(ERROR_MAX_LENGTH), nullable=True))
    response_excerpt: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
