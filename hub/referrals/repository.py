"""Every query of the referrals domain. Reads start from readable(principal): rows are filtered in SQL."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.principal import Principal
from hub.auth.scopes import Role, Scope
from hub.facilitators.models import Allocation
from hub.referrals.models import IncidentKind, Participant, Referral, Stage, StageEvent


def readable(principal: Principal) -> sa.Select[tuple[Referral]]:
    """The referrals the principal may see, as a statement to build on."""
    return sa.select(Referral).where(readable_condition(principal))


def readable_condition(principal: Principal) -> sa.ColumnElement[bool]:
    if not principal.has_scope(Scope.REFERRALS_READ):
        return sa.false()
    if principal.is_service_staff:
        return sa.true()
    conditions: list[sa.ColumnElement[bool]] = []
    if Role.REFERRER in principal.roles:
        conditions.append(Referral.referring_agency_id == principal.agency_id)
    if Role.FACILITATOR in principal.roles and principal.facilitator_id is not None:
        allocated = sa.select(Allocation.referral_id).where(Allocation.facilitator_id == principal.facilitator_id)
        conditions.append(Referral.id.in_(allocated))
    return sa.or_(*conditions) if conditions else sa.false()


@dataclass(frozen=True)
class ReferralFilter:
    stages: Sequence[Stage] | None = None
    agency_id: uuid.UUID | None = None
    district: str | None = None
    incident_kinds: Sequence[IncidentKind] | None = None
    submitted_from: datetime | None = None
    submitted_to: datetime | None = None


def filtered(principal: Principal, where: ReferralFilter) -> sa.Select[tuple[Referral]]:
    statement = readable(principal)
    if where.stages:
        statement = statement.where(Referral.stage.in_(list(where.stages)))
    if where.agency_id is not None:
        statement = statement.where(Referral.referring_agency_id == where.agency_id)
    if where.district:
        statement = statement.where(sa.func.lower(Referral.district) == where.district.lower())
    if where.incident_kinds:
        statement = statement.where(Referral.incident_kind.in_(list(where.incident_kinds)))
    if where.submitted_from is not None:
        statement = statement.where(Referral.submitted_at >= where.submitted_from)
    if where.submitted_to is not None:
        statement = statement.where(Referral.submitted_at < where.submitted_to)
    return statement


async def by_ids(session: AsyncSession, principal: Principal, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Referral]:
    rows = (await session.execute(readable(principal).where(Referral.id.in_(ids)))).scalars()
    return {row.id: row for row in rows}


async def by_reference(session: AsyncSession, principal: Principal, reference: str) -> Referral | None:
    statement = readable(principal).where(Referral.reference == reference.strip().upper())
    return (await session.execute(statement)).scalar_one_or_none()


async def participants_of(session: AsyncSession, referral_ids: Sequence[uuid.UUID]) -> Sequence[Participant]:
    statement = (
        sa.select(Participant)
        .where(Participant.referral_id.in_(referral_ids))
        .order_by(Participant.referral_id, Participant.position, Participant.id)
    )
    return (await session.execute(statement)).scalars().all()


async def readable_participants(
    session: AsyncSession, principal: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Participant]:
    statement = (
        sa.select(Participant)
        .join(Referral, Referral.id == Participant.referral_id)
        .where(Participant.id.in_(ids), readable_condition(principal))
    )
    return {row.id: row for row in (await session.execute(statement)).scalars()}


async def stage_events_of(session: AsyncSession, referral_ids: Sequence[uuid.UUID]) -> Sequence[StageEvent]:
    statement = (
        sa.select(StageEvent)
        .where(StageEvent.referral_id.in_(referral_ids))
        .order_by(StageEvent.referral_id, StageEvent.at, StageEvent.id)
    )
    return (await session.execute(statement)).scalars().all()
