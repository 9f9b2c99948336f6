"""The referrals domain's subscription: stage changes of the cases the caller may see, as they are committed.

Every event is read for the subscriber as a request of its own: the case through the row filter (a case the
subscriber may not see is skipped), its fields through the same field rules as queries, on a fresh session.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry

from hub.api.context import Info
from hub.api.errors import ErrorCode, ProtocolError, not_found
from hub.api.node import parse_id
from hub.live.connection import LiveContext
from hub.live.listener import FELL_BEHIND, Interrupted, Subscriber
from hub.live.notices import StageChange
from hub.referrals.enums import StageType
from hub.referrals.models import Referral
from hub.referrals.types import ReferralType


@strawberry.type(name="ReferralStageChange", description="A case moved from one stage to another.")
class ReferralStageChange:
    referral: ReferralType = strawberry.field(
        description="The case as it is when the change is delivered (it may have moved on since)."
    )
    from_: StageType = strawberry.field(name="from", description="The stage it left.")
    to: StageType = strawberry.field(description="The stage it moved to.")
    at: datetime = strawberry.field(description="When it moved.")

    @classmethod
    def of(cls, referral: Referral, change: StageChange) -> ReferralStageChange:
        return cls(referral=ReferralType.from_row(referral), from_=change.stage_from, to=change.stage_to, at=change.at)


@strawberry.type
class ReferralSubscription:
    @strawberry.subscription(
        description="Each stage change of a case you may see, as it is committed: of the referral given, or of "
        "every referral you may see when referralId is omitted. NOT_FOUND for a referral you may not see. Over "
        "the WebSocket (graphql-transport-ws) only. The subscription ends with an error when changes may have "
        "been missed (the hub lost its database connection, or you fell behind): subscribe again and re-read."
    )
    async def referral_stage_changed(
        self, info: Info, referral_id: strawberry.ID | None = None
    ) -> AsyncGenerator[ReferralStageChange, None]:
        context = info.context
        assert isinstance(context, LiveContext) and context.listener is not None  # WebSocketOperations sees to it
        context.name_reads("referralStageChanged")
        try:
            followed = await _followed(context, referral_id) if referral_id is not None else None
        finally:
            await context.end_event()  # no session is held while waiting for changes
        subscriber = await context.listener.subscribe(followed)
        return _changes(context, subscriber)


async def _followed(context: LiveContext, referral_id: str) -> uuid.UUID:
    """The referral's row id, if the caller may see it; NOT_FOUND otherwise."""
    row_id = parse_id(referral_id, "Referral", "referralId")
    if await context.loaders.referral_by_id.load(row_id) is None:
        raise not_found("referral")
    return row_id


async def _changes(context: LiveContext, subscriber: Subscriber) -> AsyncGenerator[ReferralStageChange, None]:
    """The changes the subscriber may see, each read afresh; an error when changes may have been missed."""
    assert context.listener is not None
    try:
        while True:
            change = await subscriber.next()
            referral = await context.loaders.referral_by_id.load(change.referral_id)
            if referral is not None:
                yield ReferralStageChange.of(referral, change)
            await context.end_event()
    except Interrupted as interruption:
        raise _ended(str(interruption)) from None
    finally:
        context.listener.unsubscribe(subscriber)
        await context.end_event()


def _ended(reason: str) -> ProtocolError:
    code = ErrorCode.RATE_LIMITED if reason == FELL_BEHIND else ErrorCode.INTERNAL
    return ProtocolError(
        code, f"The subscription ended ({reason}), so changes may have been missed. Subscribe again and re-read."
    )
