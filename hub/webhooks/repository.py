"""Every query of the webhooks domain. Reads start from the principal: a partner sees its own subscriptions.

Lock order, so that no two transactions wait on each other: a subscription row before its deliveries, and the
audit chain last. Workers claim deliveries with SKIP LOCKED (they never wait on a delivery) and then take only
the per-subscription numbering lock.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from hub.agencies.models import Agency, AgencyKind
from hub.auth.models import OAuthClient, User
from hub.auth.principal import Principal
from hub.auth.scopes import Role, Scope
from hub.db import advisory_lock
from hub.prepared import Prepared
from hub.referrals.models import Referral
from hub.referrals.repository import readable_condition
from hub.webhooks.models import (
    OUTSTANDING,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookEventType,
    WebhookSubscription,
)

Subscription = WebhookSubscription
Delivery = WebhookDelivery


def matching_types(event_types: Sequence[str]) -> set[WebhookEventType]:
    """The event types a subscription receives: STAGE_CHANGED stands for every move between stages."""
    chosen = {WebhookEventType(t) for t in event_types}
    if WebhookEventType.STAGE_CHANGED in chosen:
        chosen |= set(WebhookEventType) - {WebhookEventType.REFERRAL_RECEIVED}
    return chosen


def principal_of(subscription: Subscription, agency_kind: AgencyKind | str) -> Principal:
    """The principal a subscription receives events as: its owner, with the rights it had when it subscribed."""
    user = subscription.user_id
    return Principal(
        agency_id=subscription.agency_id,
        agency_kind=AgencyKind(agency_kind),
        client_id=subscription.client_id,
        subject=str(user) if user is not None else subscription.client_id,
        roles=frozenset(Role(r) for r in subscription.roles),
        scopes=frozenset(Scope(s) for s in subscription.scopes),
        facilitator_id=subscription.facilitator_id,
        user_id=user,
    )


def _live() -> sa.ColumnElement[bool]:
    return sa.and_(Subscription.deleted_at.is_(None), Subscription.disabled_at.is_(None))


def _owner_in_force() -> sa.ColumnElement[bool]:
    client = sa.select(OAuthClient.id).where(
        OAuthClient.client_id == Subscription.client_id, OAuthClient.disabled_at.is_(None)
    )
    person = sa.select(User.id).where(User.id == Subscription.user_id, User.disabled_at.is_(None))
    return sa.and_(client.exists(), sa.or_(Subscription.user_id.is_(None), person.exists()))


# Asked at every change of a case: prepared once (hub.prepared), the event types wanted as a parameter.
_CANDIDATES = Prepared(
    sa.select(*Subscription.__table__.columns, Agency.kind.label("agency_kind"))
    .join(Agency, Agency.id == Subscription.agency_id)
    .where(
        _live(),
        _owner_in_force(),
        Subscription.event_types.overlap(
            sa.cast(sa.bindparam("wanted", type_=postgresql.ARRAY(sa.Text)), postgresql.ARRAY(sa.Text))
        ),
    )
    .order_by(Subscription.id)
)


async def subscribers(session: AsyncSession, referral_id: uuid.UUID, kind: WebhookEventType) -> list[uuid.UUID]:
    """The live subscriptions that want this type of event and whose owner may see the referral."""
    wanted = [kind.value] if kind == WebhookEventType.REFERRAL_RECEIVED else [kind.value, "STAGE_CHANGED"]
    candidates = await _CANDIDATES.rows(session, wanted=wanted)
    if not candidates:
        return []
    conditions = [readable_condition(principal_of(s, s.agency_kind)).label(f"s{i}") for i, s in enumerate(candidates)]
    visible = (await session.execute(sa.select(*conditions).where(Referral.id == referral_id))).one()
    return [s.id for s, seen in zip(candidates, visible, strict=True) if seen]


# --- subscriptions and deliveries as their owners see them ---------------------------------------------------


def owned_by(principal: Principal) -> sa.ColumnElement[bool]:
    """Subscriptions the principal manages: its own (the client's, or the person's), or all for service staff."""
    if principal.is_service_staff:
        return Subscription.deleted_at.is_(None)
    person = Subscription.user_id.is_(None) if principal.user_id is None else Subscription.user_id == principal.user_id
    return sa.and_(Subscription.deleted_at.is_(None), Subscription.client_id == principal.client_id, person)


def readable(principal: Principal) -> sa.Select[tuple[Subscription]]:
    """The subscriptions the principal may see and manage, as a statement to build on."""
    return sa.select(Subscription).where(owned_by(principal))


async def for_update(session: AsyncSession, principal: Principal, subscription_id: uuid.UUID) -> Subscription | None:
    """The subscription, locked until the change commits, if the principal manages it."""
    statement = readable(principal).where(Subscription.id == subscription_id).with_for_update(key_share=True)
    return (await session.execute(statement)).scalar_one_or_none()


async def agency_kind(session: AsyncSession, agency_id: uuid.UUID) -> AgencyKind:
    """The kind of an agency (a subscriber's, for the field rules its payloads follow)."""
    return AgencyKind((await session.execute(sa.select(Agency.kind).where(Agency.id == agency_id))).scalar_one())


def deliveries_of(principal: Principal, subscription_id: uuid.UUID) -> sa.Select[tuple[Delivery]]:
    """The deliveries of one subscription the principal manages, as a statement to build on."""
    mine = sa.select(Subscription.id).where(owned_by(principal), Subscription.id == subscription_id)
    return sa.select(Delivery).where(Delivery.subscription_id == subscription_id, Delivery.subscription_id.in_(mine))


async def delivery_for_update(
    session: AsyncSession, principal: Principal, delivery_id: uuid.UUID
) -> tuple[Subscription, Delivery] | None:
    """A delivery of a subscription the principal manages, and that subscription, both locked (subscription first)."""
    found = (
        await session.execute(sa.select(Delivery.subscription_id).where(Delivery.id == delivery_id))
    ).scalar_one_or_none()
    subscription = await for_update(session, principal, found) if found is not None else None
    if subscription is None:
        return None
    locked = sa.select(Delivery).where(Delivery.id == delivery_id).with_for_update()
    return subscription, (await session.execute(locked)).scalar_one()


async def attempts_of(session: AsyncSession, delivery_ids: Sequence[uuid.UUID]) -> Sequence[WebhookAttempt]:
    """Every attempt of the deliveries, oldest first."""
    statement = (
        sa.select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_(delivery_ids))
        .order_by(WebhookAttempt.delivery_id, WebhookAttempt.attempted_at, WebhookAttempt.id)
    )
    return (await session.execute(statement)).scalars().all()


async def abandon_outstanding(session: AsyncSession, subscription_id: uuid.UUID) -> None:
    """Give up every delivery of the subscription not sent yet (it was disabled or deleted)."""
    await session.execute(
        sa.update(Delivery)
        .where(Delivery.subscription_id == subscription_id, Delivery.status.in_(OUTSTANDING))
        .values(status=DeliveryStatus.ABANDONED, next_attempt_at=None, lease_owner=None, lease_expires_at=None)
    )


REPLAY_COLUMNS = [
    "id",
    "subscription_id",
    "event_id",
    "event_type",
    "referral_id",
    "status",
    "next_attempt_at",
    "created_at",
]


def _replayed(subscription: Subscription, receiver: Principal, since: datetime, now: datetime) -> sa.Select:
    """New delivery rows (REPLAY_COLUMNS) for the events since `since` the subscription wants and may see."""
    return (
        sa.select(
            sa.func.gen_random_uuid(),
            sa.literal(subscription.id, sa.Uuid),
            WebhookEvent.id,
            WebhookEvent.type,
            WebhookEvent.referral_id,
            sa.literal(DeliveryStatus.PENDING.value),
            sa.literal(now, sa.DateTime(timezone=True)),
            sa.literal(now, sa.DateTime(timezone=True)),
        )
        .join(Referral, Referral.id == WebhookEvent.referral_id)
        .where(
            WebhookEvent.occurred_at >= since,
            WebhookEvent.type.in_([t.value for t in matching_types(subscription.event_types)]),
            readable_condition(receiver),
        )
        .order_by(WebhookEvent.number)
    )


async def queue_replay(
    session: AsyncSession, subscription: Subscription, receiver: Principal, since: datetime, now: datetime
) -> int:
    """Queue again, in the order they happened, every event since `since` the subscription wants and may see."""
    rows = _replayed(subscription, receiver, since, now)
    result = await session.execute(sa.insert(Delivery).from_select(REPLAY_COLUMNS, rows).returning(Delivery.id))
    return len(result.all())


# --- what the delivery workers do ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    """A delivery a worker holds the lease of, with what it needs to send it."""

    delivery: Delivery
    event: WebhookEvent
    subscription: Subscription
    agency_kind: AgencyKind


def _due(now: datetime) -> list[sa.ColumnElement[bool]]:
    earlier = aliased(Delivery)
    held_back = sa.exists().where(
        earlier.subscription_id == Delivery.subscription_id,
        earlier.referral_id == Delivery.referral_id,
        earlier.position < Delivery.position,
        earlier.status.in_(OUTSTANDING),
    )
    return [
        Delivery.status.in_(OUTSTANDING),
        Delivery.next_attempt_at <= now,
        sa.or_(Delivery.lease_expires_at.is_(None), Delivery.lease_expires_at <= now),
        Subscription.paused.is_(False),
        _live(),
        _owner_in_force(),  # a disabled client's endpoint gets nothing more, not even what was queued
        ~held_back,  # one referral's events go in order: an earlier one not yet settled holds this one back
    ]


async def claim_due(
    session: AsyncSession, owner: str, now: datetime, lease_until: datetime, limit: int
) -> list[Delivery]:
    """Take the lease of up to `limit` due deliveries no other worker holds, oldest due first."""
    statement = (
        sa.select(Delivery)
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .where(*_due(now))
        .order_by(Delivery.next_attempt_at, Delivery.position)
        .limit(limit)
        .with_for_update(of=Delivery, skip_locked=True)
    )
    deliveries = list((await session.execute(statement)).scalars())
    for delivery in deliveries:
        delivery.lease_owner, delivery.lease_expires_at = owner, lease_until
        delivery.attempts += 1
    await session.flush()
    return deliveries


async def sending_context(session: AsyncSession, deliveries: Sequence[Delivery]) -> list[Claimed]:
    """Each claimed delivery with its event, its subscription and the subscriber's agency kind."""
    statement = (
        sa.select(Delivery.id, WebhookEvent, Subscription, Agency.kind)
        .join(WebhookEvent, WebhookEvent.id == Delivery.event_id)
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .join(Agency, Agency.id == Subscription.agency_id)
        .where(Delivery.id.in_([d.id for d in deliveries]))
    )
    found = {row[0]: row[1:] for row in (await session.execute(statement)).all()}
    return [Claimed(d, *found[d.id]) for d in deliveries]


async def next_sequences(session: AsyncSession, subscription_id: uuid.UUID, count: int) -> list[int]:
    """The subscription's next `count` running numbers; held until the transaction ends, so none is given twice."""
    await advisory_lock(session, f"webhook-sequence:{subscription_id}")
    last = (
        await session.execute(
            sa.select(sa.func.max(Delivery.sequence)).where(Delivery.subscription_id == subscription_id)
        )
    ).scalar_one()
    start = (last or 0) + 1
    return list(range(start, start + count))


async def lock_subscription(session: AsyncSession, subscription_id: uuid.UUID) -> Subscription:
    """The subscription, locked until the transaction ends (before any of its deliveries: the lock order)."""
    statement = sa.select(Subscription).where(Subscription.id == subscription_id).with_for_update(key_share=True)
    return (await session.execute(statement)).scalar_one()


async def leased_delivery(session: AsyncSession, delivery_id: uuid.UUID, owner: str) -> Delivery | None:
    """The delivery, locked, if this worker still holds its lease."""
    statement = sa.select(Delivery).where(Delivery.id == delivery_id, Delivery.lease_owner == owner).with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def release_leases(session: AsyncSession, owner: str) -> int:
    """Let other workers take at once what this worker held but did not finish."""
    result = await session.execute(
        sa.update(Delivery)
        .where(Delivery.lease_owner == owner)
        .values(lease_owner=None, lease_expires_at=None)
        .returning(Delivery.id)
    )
    return len(result.all())
