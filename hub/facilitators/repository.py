"""Every query of the facilitators domain. Reads start from readable(principal): rows are filtered in SQL."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from hub.auth.principal import Principal
from hub.facilitators.models import Allocation, Facilitator, VolunteerHours
from hub.prepared import any_of
from hub.referrals.models import Referral
from hub.referrals.repository import readable_condition


def readable(principal: Principal) -> sa.Select[tuple[Facilitator]]:
    """Service staff see every facilitator; others those allocated to referrals they may see, and themselves."""
    if principal.is_service_staff:
        return sa.select(Facilitator)
    visible = (
        sa.select(Allocation.facilitator_id)
        .join(Referral, Referral.id == Allocation.referral_id)
        .where(readable_condition(principal))
    )
    condition = Facilitator.id.in_(visible)
    if principal.facilitator_id is not None:
        condition = sa.or_(condition, Facilitator.id == principal.facilitator_id)
    return sa.select(Facilitator).where(condition)


async def by_ids(session: AsyncSession, principal: Principal, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Facilitator]:
    rows = (await session.execute(readable(principal).where(Facilitator.id.in_(ids)))).scalars()
    return {row.id: row for row in rows}


def allocated(parameter: str) -> sa.Select[Any]:
    """The facilitators allocated to the referrals whose ids are the ARRAY parameter `parameter`, as read-only
    records (their columns, and the referral's id as `allocated_to`), by referral and in order of allocation. The
    dataloaders read it with the rest of a case (hub/api/loaders.py)."""
    return (
        sa.select(Allocation.referral_id.label("allocated_to"), *Facilitator.__table__.columns)
        .join(Facilitator, Facilitator.id == Allocation.facilitator_id)
        .where(any_of(Allocation.referral_id, parameter))
        .order_by(Allocation.referral_id, Allocation.allocated_at, Facilitator.full_name)
    )


async def by_email(session: AsyncSession, email: str) -> Facilitator | None:
    statement = sa.select(Facilitator).where(sa.func.lower(Facilitator.email) == email.strip().lower())
    return (await session.execute(statement)).scalar_one_or_none()


@dataclass(frozen=True)
class FacilitatorFilter:
    active: bool | None = None
    district: str | None = None
    sensitive_trained: bool | None = None


def filtered(principal: Principal, where: FacilitatorFilter) -> sa.Select[tuple[Facilitator]]:
    statement = readable(principal)
    if where.active is not None:
        statement = statement.where(Facilitator.active == where.active)
    if where.sensitive_trained is not None:
        statement = statement.where(Facilitator.sensitive_trained == where.sensitive_trained)
    if where.district:
        district = sa.func.unnest(Facilitator.districts).table_valued("name")
        same = sa.func.lower(district.c.name) == where.district.strip().lower()
        statement = statement.where(sa.exists(sa.select(1).select_from(district).where(same)))
    return statement


async def names_of(session: AsyncSession, principal: Principal, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Full names by id, of facilitators the principal may see (to resume a list at a cursor)."""
    statement = (
        readable(principal).where(Facilitator.id.in_(ids)).with_only_columns(Facilitator.id, Facilitator.full_name)
    )
    return {row[0]: row[1] for row in (await session.execute(statement)).all()}


async def for_update(session: AsyncSession, principal: Principal, facilitator_id: uuid.UUID) -> Facilitator | None:
    """One facilitator the principal may see, locked until the request ends."""
    statement = readable(principal).where(Facilitator.id == facilitator_id).with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def email_taken(session: AsyncSession, email: str, other_than: uuid.UUID | None) -> bool:
    """Whether another facilitator has this email, compared without regard to case."""
    found = await by_email(session, email)
    return found is not None and found.id != other_than


def _newest_first() -> tuple[sa.UnaryExpression, sa.UnaryExpression]:
    return VolunteerHours.worked_on.desc(), VolunteerHours.id.desc()


async def hours_of(
    session: AsyncSession, facilitator_ids: Sequence[uuid.UUID], after: tuple[date, uuid.UUID] | None, limit: int
) -> Sequence[VolunteerHours]:
    """Up to `limit` entries of each facilitator, newest day first, after the cursor's entry when given."""
    rank = sa.func.row_number().over(partition_by=VolunteerHours.facilitator_id, order_by=_newest_first())
    ranked = sa.select(VolunteerHours, rank.label("rank")).where(VolunteerHours.facilitator_id.in_(facilitator_ids))
    if after is not None:
        seek = sa.tuple_(sa.literal(after[0], sa.Date), sa.literal(after[1], sa.Uuid))
        ranked = ranked.where(sa.tuple_(VolunteerHours.worked_on, VolunteerHours.id) < seek)
    table = ranked.subquery()
    entry = aliased(VolunteerHours, table)
    statement = (
        sa.select(entry)
        .where(table.c.rank <= limit)
        .order_by(table.c.facilitator_id, entry.worked_on.desc(), entry.id.desc())
    )
    return (await session.execute(statement)).scalars().all()


async def total_hours(session: AsyncSession, facilitator_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Decimal]:
    """Every hour each facilitator has logged (facilitators with none are absent)."""
    statement = (
        sa.select(VolunteerHours.facilitator_id, sa.func.sum(VolunteerHours.hours))
        .where(VolunteerHours.facilitator_id.in_(facilitator_ids))
        .group_by(VolunteerHours.facilitator_id)
    )
    return {row[0]: row[1] for row in (await session.execute(statement)).all()}
