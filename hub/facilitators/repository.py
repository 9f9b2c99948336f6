"""Every query of the facilitators domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.principal import Principal
from hub.facilitators.models import Allocation, Facilitator
from hub.referrals.models import Referral
from hub.referrals.repository import readable_condition


def readable(principal: Principal) -> sa.Select[tuple[Facilitator]]:
    """Service staff see every facilitator; others only those allocated to referrals they may see."""
    if principal.is_service_staff:
        return sa.select(Facilitator)
    visible = (
        sa.select(Allocation.facilitator_id)
        .join(Referral, Referral.id == Allocation.referral_id)
        .where(readable_condition(principal))
    )
    return sa.select(Facilitator).where(Facilitator.id.in_(visible))


async def by_ids(session: AsyncSession, principal: Principal, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Facilitator]:
    rows = (await session.execute(readable(principal).where(Facilitator.id.in_(ids)))).scalars()
    return {row.id: row for row in rows}


async def allocated_to(
    session: AsyncSession, referral_ids: Sequence[uuid.UUID]
) -> Sequence[tuple[uuid.UUID, Facilitator]]:
    statement = (
        sa.select(Allocation.referral_id, Facilitator)
        .join(Facilitator, Facilitator.id == Allocation.facilitator_id)
        .where(Allocation.referral_id.in_(referral_ids))
        .order_by(Allocation.referral_id, Allocation.allocated_at, Facilitator.full_name)
    )
    return [(row[0], row[1]) for row in (await session.execute(statement)).all()]
