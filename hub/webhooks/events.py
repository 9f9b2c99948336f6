"""The outbox write: an event row, and one delivery per subscriber that may see the referral, in the change's
transaction.

So a change that rolls back sends nothing, and a change that commits loses nothing: the workers send what is
committed. The rows are written with SQL statements on the change's connection, not through the ORM session: they
are the hub's own plumbing, not case data, so the change's audit entry names the case records it changed, and what
leaves the hub is recorded as a DISCLOSURE when it is delivered (hub/webhooks/worker.py).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub.columns import utcnow
from hub.prepared import Inserts
from hub.referrals.models import Referral, Stage, StageEvent
from hub.webhooks import repository
from hub.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEvent, WebhookEventType

# The specific type of a move, by the stage it goes to; any other move is STAGE_CHANGED.
MOVE_TYPES = {
    Stage.ACCEPTED: WebhookEventType.REFERRAL_ACCEPTED,
    Stage.DECLINED: WebhookEventType.REFERRAL_DECLINED,
    Stage.ON_HOLD: WebhookEventType.ON_HOLD,
    Stage.CLOSED: WebhookEventType.CASE_CLOSED,
}


def type_of_move(stage_from: Stage | None, stage_to: Stage) -> WebhookEventType:
    """The event type of a move between stages: one specific type per move (STAGE_CHANGED for the others)."""
    if stage_from is None:
        return WebhookEventType.REFERRAL_RECEIVED
    if stage_to in MOVE_TYPES:
        return MOVE_TYPES[Stage(stage_to)]
    if stage_from == Stage.ON_HOLD:
        return WebhookEventType.RESUMED
    return WebhookEventType.STAGE_CHANGED


async def emit_move(session: AsyncSession, referral: Referral, move: StageEvent) -> uuid.UUID:
    """Write the outbox event of a recorded stage move (and its deliveries)."""
    stage_from = Stage(move.from_stage) if move.from_stage is not None else None
    kind = type_of_move(stage_from, Stage(move.to_stage))
    return await emit(session, referral, kind, stage_from, Stage(move.to_stage), move.at)


async def emit(
    session: AsyncSession,
    referral: Referral,
    kind: WebhookEventType,
    stage_from: Stage | None,
    stage_to: Stage,
    at: datetime | None = None,
) -> uuid.UUID:
    """Write one event about the referral to the outbox, with a delivery for each subscriber that may see it."""
    event = _event_row(referral, kind, stage_from, stage_to, at or utcnow())
    await _EVENTS.add(session, event)
    subscribers = await repository.subscribers(session, referral.id, kind)
    if subscribers:
        rows = [_delivery_row(event, subscription_id) for subscription_id in subscribers]
        await (await session.connection()).execute(sa.insert(WebhookDelivery), rows)
    return uuid.UUID(str(event["id"]))


# Every change of a case writes one: prepared once (hub.prepared).
_EVENTS = Inserts(WebhookEvent.__table__)


def _event_row(
    referral: Referral, kind: WebhookEventType, stage_from: Stage | None, stage_to: Stage, at: datetime
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "type": kind,
        "referral_id": referral.id,
        "occurred_at": at,
        "reference": referral.reference,
        "agency_reference": referral.agency_reference,
        "stage_from": stage_from,
        "stage_to": stage_to,
        "outcome": referral.outcome if stage_to == Stage.CLOSED else None,
    }


def _delivery_row(event: dict[str, Any], subscription_id: uuid.UUID) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "subscription_id": subscription_id,
        "event_id": event["id"],
        "event_type": event["type"],
        "referral_id": event["referral_id"],
        "status": DeliveryStatus.PENDING,
        "next_attempt_at": event["occurred_at"],
        "created_at": event["occurred_at"],
    }
