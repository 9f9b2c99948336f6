"""The business rules of webhook subscriptions and their repair; the only code that writes them from the API.

A partner manages its own subscriptions (the service's staff manage anyone's). Every refusal is a `Refused`
at its input path, and the caller's savepoint rolls back, so a refused change leaves nothing behind.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import UNSET

from hub.auth.principal import Principal
from hub.auth.scopes import Scope
from hub.columns import utcnow
from hub.ids import row_id
from hub.problems import ProblemCode, Refused
from hub.validation import Checker
from hub.webhooks import repository
from hub.webhooks.models import (
    DESCRIPTION_MAX_LENGTH,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEventType,
    WebhookSubscription,
)
from hub.webhooks.sending import new_secret
from hub.webhooks.ssrf import RefusedUrl, UrlPolicy, check_url

if TYPE_CHECKING:
    from hub.webhooks.types import (
        CreateWebhookSubscriptionInput,
        RedeliverWebhookInput,
        ReplayWebhookEventsInput,
        UpdateWebhookSubscriptionInput,
        WebhookSubscriptionInput,
    )

# The right a subscriber needs for each event type: every event is about a referral it must be able to read.
EVENT_SCOPES = {event_type: Scope.REFERRALS_READ for event_type in WebhookEventType}
MAX_SUBSCRIPTIONS = 20
ROTATION_OVERLAP = timedelta(hours=24)
REPLAY_REACH = timedelta(days=30)
SUBSCRIPTION_ID = ("input", "subscriptionId")


@dataclass(frozen=True)
class IssuedSubscription:
    """A subscription and its signing secret, which exists only here: it is never shown again."""

    subscription: WebhookSubscription
    secret: str


async def create_subscription(
    session: AsyncSession, principal: Principal, given: CreateWebhookSubscriptionInput, policy: UrlPolicy
) -> IssuedSubscription:
    """Subscribe the principal's endpoint to the event types chosen; the secret is returned this once."""
    check = Checker()
    description = check.text(given.description, ("input", "description"), DESCRIPTION_MAX_LENGTH)
    event_types = _event_types(check, principal, given.event_types)
    url = await _url(check, given.url, policy)
    check.done()
    await _check_room(session, principal)
    secret = new_secret()
    subscription = WebhookSubscription(
        **_owner(principal), url=url, description=description, event_types=event_types, secret=secret
    )
    session.add(subscription)
    await session.flush()
    return IssuedSubscription(subscription, secret)


def _owner(principal: Principal) -> dict[str, Any]:
    """Who owns a new subscription, and the rights it receives events with: the principal's now."""
    return {
        "agency_id": principal.agency_id,
        "client_id": principal.client_id,
        "user_id": principal.user_id,
        "roles": sorted(r.value for r in principal.roles),
        "scopes": sorted(s.value for s in principal.scopes),
        "facilitator_id": principal.facilitator_id,
    }


def _event_types(check: Checker, principal: Principal, chosen: Sequence[WebhookEventType]) -> list[str]:
    field = ("input", "eventTypes")
    if not chosen:
        check.add(field, "Choose at least one event type.", ProblemCode.REQUIRED)
    missing = sorted({EVENT_SCOPES[WebhookEventType(t)].value for t in chosen} - {s.value for s in principal.scopes})
    if missing:
        check.add(field, f"These events need the scope {', '.join(missing)}, which you lack.", ProblemCode.INVALID)
    return sorted({WebhookEventType(t).value for t in chosen})


async def _url(check: Checker, url: str, policy: UrlPolicy) -> str:
    try:
        return await check_url(url, policy)
    except RefusedUrl as refused:
        check.add(("input", "url"), str(refused), ProblemCode.INVALID)
        return url


async def _check_room(session: AsyncSession, principal: Principal) -> None:
    if principal.is_service_staff:
        return  # the staff's view spans every partner: no quota applies
    count = sa.select(sa.func.count()).select_from(repository.readable(principal).subquery())
    if (await session.execute(count)).scalar_one() >= MAX_SUBSCRIPTIONS:
        raise Refused.one(
            ("input",),
            f"You already have {MAX_SUBSCRIPTIONS} webhook subscriptions: delete one, or widen one's event types.",
            ProblemCode.TOO_MANY,
        )


async def subscription(
    session: AsyncSession, principal: Principal, given: WebhookSubscriptionInput
) -> WebhookSubscription:
    """The subscription the input names, locked, if the principal manages it; NOT_FOUND otherwise."""
    subscription_id = row_id(given.subscription_id, "WebhookSubscription", *SUBSCRIPTION_ID)
    found = await repository.for_update(session, principal, subscription_id)
    if found is None:
        raise Refused.one(
            SUBSCRIPTION_ID, "No webhook subscription with that id exists for you.", ProblemCode.NOT_FOUND
        )
    return found


async def update_subscription(
    session: AsyncSession, principal: Principal, given: UpdateWebhookSubscriptionInput, policy: UrlPolicy
) -> WebhookSubscription:
    """Change the URL, event types or description; a field left out stays as it is."""
    found = await subscription(session, principal, given)
    check = Checker()
    if given.url is not UNSET and given.url is not None:
        found.url = await _url(check, given.url, policy)
    if given.event_types is not UNSET and given.event_types is not None:
        found.event_types = _event_types(check, principal, given.event_types)
    if given.description is not UNSET:
        found.description = check.text(given.description, ("input", "description"), DESCRIPTION_MAX_LENGTH)
    check.done()
    return await _touched(session, found)


async def _touched(session: AsyncSession, found: WebhookSubscription) -> WebhookSubscription:
    found.updated_at = utcnow()
    await session.flush()
    return found


async def pause(session: AsyncSession, principal: Principal, given: WebhookSubscriptionInput) -> WebhookSubscription:
    """Stop sending for now; events keep being queued and go out, in order, on resume."""
    found = await subscription(session, principal, given)
    found.paused = True
    return await _touched(session, found)


async def resume(session: AsyncSession, principal: Principal, given: WebhookSubscriptionInput) -> WebhookSubscription:
    """Send again: after a pause, or after the hub disabled the subscription (once the endpoint is fixed)."""
    found = await subscription(session, principal, given)
    found.paused = False
    found.disabled_at = found.disabled_reason = found.failing_since = None
    return await _touched(session, found)


async def rotate_secret(
    session: AsyncSession, principal: Principal, given: WebhookSubscriptionInput
) -> IssuedSubscription:
    """A new signing secret, returned this once; the old one still signs too for 24 hours."""
    found = await subscription(session, principal, given)
    now = utcnow()
    secret = new_secret()
    found.previous_secret, found.previous_secret_expires_at = found.secret, now + ROTATION_OVERLAP
    found.secret = secret
    return IssuedSubscription(await _touched(session, found), secret)


async def delete(session: AsyncSession, principal: Principal, given: WebhookSubscriptionInput) -> uuid.UUID:
    """Stop the subscription for good; what was still to be sent is abandoned, and its history is kept."""
    found = await subscription(session, principal, given)
    found.deleted_at = utcnow()
    await _touched(session, found)
    await repository.abandon_outstanding(session, found.id)
    return found.id


async def redeliver(session: AsyncSession, principal: Principal, given: RedeliverWebhookInput) -> WebhookDelivery:
    """Send a delivery again now, with the same webhook-id, number and body, on a fresh retry schedule."""
    field = ("input", "deliveryId")
    found = await repository.delivery_for_update(
        session, principal, row_id(given.delivery_id, "WebhookDelivery", *field)
    )
    if found is None:
        raise Refused.one(field, "No webhook delivery with that id exists for you.", ProblemCode.NOT_FOUND)
    owner, delivery = found
    _require_enabled(owner)
    delivery.status, delivery.next_attempt_at, delivery.attempts = DeliveryStatus.PENDING, utcnow(), 0
    delivery.delivered_at = delivery.lease_owner = delivery.lease_expires_at = None  # a worker's lease is void
    await session.flush()
    return delivery


async def replay(session: AsyncSession, principal: Principal, given: ReplayWebhookEventsInput) -> int:
    """Queue again every event since a time that the subscription wants and may see; how many were queued."""
    found = await subscription(session, principal, given)
    _require_enabled(found)
    now = utcnow()
    since = _since(given.since, now)
    receiver = repository.principal_of(found, await repository.agency_kind(session, found.agency_id))
    return await repository.queue_replay(session, found, receiver, since, now)


def _require_enabled(found: WebhookSubscription) -> None:
    if found.disabled_at is not None:
        raise Refused.one(
            SUBSCRIPTION_ID,
            f"The subscription is disabled ({found.disabled_reason}) Fix the endpoint, then resume it first.",
            ProblemCode.INVALID,
        )


def _since(since: datetime, now: datetime) -> datetime:
    if since.tzinfo is None:
        raise Refused.one(
            ("input", "since"), "Give the time with its offset, e.g. 2026-11-23T09:00:00Z.", ProblemCode.INVALID
        )
    if since < now - REPLAY_REACH or since > now:
        raise Refused.one(
            ("input", "since"),
            f"Replays reach back at most {REPLAY_REACH.days} days, and not into the future.",
            ProblemCode.INVALID,
        )
    return since
