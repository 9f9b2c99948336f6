"""GraphQL types and inputs of webhook subscriptions and deliveries. Secrets are never a field: they are returned
once, by the mutation that makes them."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum

import strawberry
from strawberry.scalars import JSON

from hub.ids import global_id
from hub.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEventType,
    WebhookSubscription,
    webhook_id,
)

WebhookEventTypeType = strawberry.enum(
    WebhookEventType,
    name="WebhookEventType",
    description="What happened to a referral. REFERRAL_RECEIVED: a referral was submitted. Every move between "
    "stages is exactly one of: REFERRAL_ACCEPTED, REFERRAL_DECLINED, ON_HOLD, RESUMED (off hold, back to the stage "
    "it left), CASE_CLOSED, or STAGE_CHANGED (any other move, e.g. ALLOCATED to CONTACT). Subscribing to "
    "STAGE_CHANGED brings every move, each under its own type. Each needs the scope referrals:read.",
)
DeliveryStatusType = strawberry.enum(
    DeliveryStatus,
    name="WebhookDeliveryStatus",
    description="PENDING: waiting to be sent; FAILED: the last attempt failed and another is scheduled; "
    "DELIVERED: the endpoint answered 2xx; ABANDONED: no more attempts (retries used up, or the subscription "
    "was disabled or deleted).",
)


class SubscriptionStatus(StrEnum):
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    DISABLED = "DISABLED"


SubscriptionStatusType = strawberry.enum(
    SubscriptionStatus,
    name="WebhookSubscriptionStatus",
    description="ACTIVE: events are sent; PAUSED: by its owner, events wait and go out on resume; DISABLED: by "
    "the hub (410 Gone, or five days of failures, see disabledReason), events are not kept for it.",
)


def _status(row: WebhookSubscription) -> SubscriptionStatus:
    if row.disabled_at is not None:
        return SubscriptionStatus.DISABLED
    return SubscriptionStatus.PAUSED if row.paused else SubscriptionStatus.ACTIVE


@strawberry.type(
    name="WebhookSubscription",
    description="An endpoint of a partner that receives signed events (Standard Webhooks) about the referrals "
    "its owner may see, shaped by the same rules as its queries. Readable by its owner and the RJ service's staff.",
)
class WebhookSubscriptionType:
    id: strawberry.ID = strawberry.field(description="The subscription's global id.")
    url: str = strawberry.field(description="Where events are POSTed.")
    description: str | None = strawberry.field(description="What the owner calls it.")
    event_types: list[WebhookEventTypeType] = strawberry.field(  # type: ignore[valid-type]
        description="The event types it receives."
    )
    status: SubscriptionStatusType = strawberry.field(description="Whether events are sent.")  # type: ignore[valid-type]
    disabled_at: datetime | None = strawberry.field(description="When the hub disabled it, if it did.")
    disabled_reason: str | None = strawberry.field(description="Why the hub disabled it; resume it once fixed.")
    failing_since: datetime | None = strawberry.field(
        description="Since when every attempt has failed (null when the last attempt succeeded); five days of it "
        "disable the subscription."
    )
    previous_secret_expires_at: datetime | None = strawberry.field(
        description="After a rotation: until when the previous secret signs too."
    )
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def from_row(cls, row: WebhookSubscription) -> WebhookSubscriptionType:
        return cls(
            id=strawberry.ID(global_id("WebhookSubscription", row.id)),
            url=row.url,
            description=row.description,
            event_types=[WebhookEventType(t) for t in row.event_types],
            status=_status(row),
            disabled_at=row.disabled_at,
            disabled_reason=row.disabled_reason,
            failing_since=row.failing_since,
            previous_secret_expires_at=row.previous_secret_expires_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@strawberry.type(name="WebhookAttempt", description="One try at sending a delivery.")
class WebhookAttemptType:
    attempted_at: datetime = strawberry.field(description="When it was tried.")
    status_code: int | None = strawberry.field(description="The HTTP status the endpoint answered; null if none.")
    duration_ms: int = strawberry.field(description="How long it took, in milliseconds.")
    error: str | None = strawberry.field(description="What went wrong when there was no answer (or it was refused).")
    response_excerpt: str | None = strawberry.field(description="The first kilobyte of the endpoint's answer.")

    @classmethod
    def from_row(cls, row: WebhookAttempt) -> WebhookAttemptType:
        return cls(
            attempted_at=row.attempted_at,
            status_code=row.status_code,
            duration_ms=row.duration_ms,
            error=row.error,
            response_excerpt=row.response_excerpt,
        )


@strawberry.type(name="WebhookDelivery", description="One event for one subscription, with every attempt to send it.")
class WebhookDeliveryType:
    id: strawberry.ID = strawberry.field(description="The delivery's global id (for redeliverWebhook).")
    webhook_id: str = strawberry.field(
        description="The webhook-id header: the same on every retry, redelivery and replay of the event."
    )
    event_type: WebhookEventTypeType = strawberry.field(description="What happened.")  # type: ignore[valid-type]
    referral_id: strawberry.ID = strawberry.field(description="The global id of the referral it is about.")
    sequence: int | None = strawberry.field(
        description="The subscription's running number of this delivery (1, 2, 3 ...), given when first sent; a "
        "number you never received is a delivery still being retried or abandoned."
    )
    status: DeliveryStatusType = strawberry.field(description="Where it stands.")  # type: ignore[valid-type]
    next_attempt_at: datetime | None = strawberry.field(description="When it is tried next, while outstanding.")
    created_at: datetime = strawberry.field(description="When it was queued.")
    delivered_at: datetime | None = strawberry.field(description="When the endpoint accepted it.")
    payload: JSON | None = strawberry.field(description="The body as sent (null until first sent).")
    attempts: list[WebhookAttemptType] = strawberry.field(description="Every attempt, oldest first.")

    @classmethod
    def from_row(cls, row: WebhookDelivery, attempts: list[WebhookAttempt]) -> WebhookDeliveryType:
        return cls(
            id=strawberry.ID(global_id("WebhookDelivery", row.id)),
            webhook_id=webhook_id(row.event_id),
            event_type=row.event_type,
            referral_id=strawberry.ID(global_id("Referral", row.referral_id)),
            sequence=row.sequence,
            status=row.status,
            next_attempt_at=row.next_attempt_at,
            created_at=row.created_at,
            delivered_at=row.delivered_at,
            payload=json.loads(row.body) if row.body is not None else None,
            attempts=[WebhookAttemptType.from_row(a) for a in attempts],
        )


@strawberry.input(description="A new webhook subscription.")
class CreateWebhookSubscriptionInput:
    url: str = strawberry.field(
        description="Where to POST events: https (plain http only outside production), a host that resolves to "
        "public addresses only, no credentials, at most 2000 characters."
    )
    event_types: list[WebhookEventTypeType] = strawberry.field(  # type: ignore[valid-type]
        description="The event types to receive (at least one)."
    )
    description: str | None = strawberry.field(default=None, description="A label (up to 200 characters).")


@strawberry.input(description="Names one webhook subscription.")
class WebhookSubscriptionInput:
    subscription_id: strawberry.ID = strawberry.field(description="The subscription's id.")


@strawberry.input(description="Changes to a subscription: only the fields given change.")
class UpdateWebhookSubscriptionInput(WebhookSubscriptionInput):
    url: str | None = strawberry.field(default=strawberry.UNSET, description="A new URL, checked as on create.")
    event_types: list[WebhookEventTypeType] | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description="The new event types (future events only)."
    )
    description: str | None = strawberry.field(default=strawberry.UNSET, description="A new label; null removes it.")


@strawberry.input(description="Names one delivery to send again.")
class RedeliverWebhookInput:
    delivery_id: strawberry.ID = strawberry.field(description="The delivery's id (from webhookDeliveries).")


@strawberry.input(description="Send again the events of a period.")
class ReplayWebhookEventsInput(WebhookSubscriptionInput):
    since: datetime = strawberry.field(
        description="Replay events that happened at or after this time (at most 30 days ago), with its offset."
    )
