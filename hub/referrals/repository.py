"""Every query of the referrals domain. Reads start from readable(principal): rows are filtered in SQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.principal import Principal
from hub.auth.scopes import Role, Scope
from hub.db import advisory_lock, records
from hub.facilitators.models import Allocation
from hub.prepared import Bind, Prepared, Shapes, any_of, literal
from hub.referrals.models import (
    AgreementAction,
    Assessment,
    AssessmentOutcome,
    ContactAttempt,
    Feedback,
    IncidentKind,
    OutcomeAgreement,
    Participant,
    Referral,
    Respondent,
    RestorativeSession,
    Stage,
    StageEvent,
)


def readable(principal: Principal, bind: Bind = literal) -> sa.Select[tuple[Referral]]:
    """The referrals the principal may see, as a statement to build on."""
    return sa.select(Referral).where(readable_condition(principal, bind))


def readable_condition(principal: Principal, bind: Bind = literal) -> sa.ColumnElement[bool]:
    """Which referrals the principal may see. The principal's own values (agency, facilitator) go through `bind`
    (hub.prepared: a statement prepared once per kind of principal takes them as parameters)."""
    if not principal.has_scope(Scope.REFERRALS_READ):
        return sa.false()
    if principal.is_service_staff:
        return sa.true()
    conditions: list[sa.ColumnElement[bool]] = []
    if Role.REFERRER in principal.roles:
        conditions.append(Referral.referring_agency_id == bind("agency_id", principal.agency_id, sa.Uuid))
    if Role.FACILITATOR in principal.roles and principal.facilitator_id is not None:
        facilitator = bind("facilitator_id", principal.facilitator_id, sa.Uuid)
        allocated = sa.select(Allocation.referral_id).where(Allocation.facilitator_id == facilitator)
        conditions.append(Referral.id.in_(allocated))
    return sa.or_(*conditions) if conditions else sa.false()


def readable_kind(principal: Principal) -> tuple[bool, bool]:
    """What readable_condition decides that the parameters it binds do not show (hub.prepared.Shapes)."""
    return principal.has_scope(Scope.REFERRALS_READ), principal.is_service_staff


@dataclass(frozen=True)
class ReferralFilter:
    stages: Sequence[Stage] | None = None
    agency_id: uuid.UUID | None = None
    district: str | None = None
    incident_kinds: Sequence[IncidentKind] | None = None
    submitted_from: datetime | None = None
    submitted_to: datetime | None = None


def filtered(principal: Principal, where: ReferralFilter, bind: Bind = literal) -> sa.Select[tuple[Referral]]:
    """The referrals the principal may see that meet every condition given; values through `bind`, as above."""
    return sa.select(Referral).where(*filter_conditions(principal, where, bind))


def filter_conditions(
    principal: Principal, where: ReferralFilter, bind: Bind = literal
) -> list[sa.ColumnElement[bool]]:
    """filtered's conditions: what the principal may see, then each condition given."""
    conditions = [readable_condition(principal, bind)]
    if where.stages:
        stages = bind("stages", list(where.stages), sa.ARRAY(Referral.__table__.c.stage.type))
        conditions.append(Referral.stage == sa.any_(stages))
    if where.agency_id is not None:
        conditions.append(Referral.referring_agency_id == bind("filter_agency_id", where.agency_id, sa.Uuid))
    if where.district:
        district = bind("district", where.district.lower(), sa.Text)
        conditions.append(sa.func.lower(Referral.district) == district)
    if where.incident_kinds:
        kinds = bind("incident_kinds", list(where.incident_kinds), sa.ARRAY(Referral.__table__.c.incident_kind.type))
        conditions.append(Referral.incident_kind == sa.any_(kinds))
    if where.submitted_from is not None:
        submitted_from = bind("submitted_from", where.submitted_from, Referral.__table__.c.submitted_at.type)
        conditions.append(Referral.submitted_at >= submitted_from)
    if where.submitted_to is not None:
        submitted_to = bind("submitted_to", where.submitted_to, Referral.__table__.c.submitted_at.type)
        conditions.append(Referral.submitted_at < submitted_to)
    return conditions


# Read on every page of cases and every case opened: prepared once per kind of principal (hub.prepared).
_BY_IDS = Shapes(alone=True)
LISTS = Shapes(alone=True)


async def by_ids(session: AsyncSession, principal: Principal, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Referral]:
    def build(bind: Bind) -> sa.Select[Any]:
        ids_given = bind("ids", list(ids), sa.ARRAY(sa.Uuid))
        return records(readable(principal, bind).where(Referral.id == sa.any_(ids_given)))

    def binds(bind: Bind) -> None:  # what build binds, without building the SELECT
        bind("ids", list(ids), sa.ARRAY(sa.Uuid))
        readable_condition(principal, bind)

    return {row.id: row for row in await _BY_IDS.rows(session, readable_kind(principal), build, binds)}


async def by_reference(session: AsyncSession, principal: Principal, reference: str) -> Referral | None:
    statement = readable(principal).where(Referral.reference == reference.strip().upper())
    return (await session.execute(statement)).scalar_one_or_none()


def by_key(key: Any, *then: Any) -> Callable[[str], sa.Select[Any]]:
    """The statement of a dataloader's batch, given the name of its ARRAY parameter: the rows of `key`'s model whose
    `key` is any of the keys given, ordered by `key` and then `then`, as read-only records (hub.db.records)."""
    return lambda parameter: records(sa.select(key.class_).where(any_of(key, parameter)).order_by(key, *then))


# What the dataloaders read of a case, by referral (actions: by agreement). hub/api/loaders.py sends the parts
# one level of a query asks for as one statement (hub.prepared.Together).
CASE_PARTS = {
    "participants": by_key(Participant.referral_id, Participant.position, Participant.id),
    "stage_events": by_key(StageEvent.referral_id, StageEvent.at, StageEvent.id),
    "contact_attempts": by_key(ContactAttempt.referral_id, ContactAttempt.attempted_at, ContactAttempt.id),
    "assessments": by_key(Assessment.referral_id, Assessment.assessed_on, Assessment.recorded_at, Assessment.id),
    "sessions": by_key(RestorativeSession.referral_id, RestorativeSession.scheduled_for, RestorativeSession.id),
    "agreements": by_key(OutcomeAgreement.referral_id),
    "actions": by_key(AgreementAction.agreement_id, AgreementAction.position, AgreementAction.id),
    # The same rows, by the cases whose agreements they belong to: read with the agreements, so that a case's
    # agreement and its actions come in one statement (hub.referrals.loaders.AgreementsWithActions).
    "actions_of_cases": lambda parameter: records(
        sa.select(AgreementAction)
        .join(OutcomeAgreement, OutcomeAgreement.id == AgreementAction.agreement_id)
        .where(any_of(OutcomeAgreement.referral_id, parameter))
        .order_by(AgreementAction.agreement_id, AgreementAction.position, AgreementAction.id)
    ),
    "feedback": by_key(Feedback.referral_id, Feedback.received_at, Feedback.id),
}
_PARTICIPANTS_OF = Prepared(CASE_PARTS["participants"]("keys"), alone=True)


async def participants_of(session: AsyncSession, referral_ids: Sequence[uuid.UUID]) -> Sequence[Participant]:
    return await _PARTICIPANTS_OF.rows(session, keys=list(referral_ids))


async def readable_participants(
    session: AsyncSession, principal: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Participant]:
    statement = (
        sa.select(Participant)
        .join(Referral, Referral.id == Participant.referral_id)
        .where(Participant.id.in_(ids), readable_condition(principal))
    )
    return {row.id: row for row in (await session.execute(records(statement))).all()}


# Reads that changes build on. Service functions call these inside the change's transaction.


async def for_update(session: AsyncSession, principal: Principal, referral_id: uuid.UUID) -> Referral | None:
    """The referral, locked until the change commits, if the principal may see it."""
    statement = readable(principal).where(Referral.id == referral_id).with_for_update(of=Referral)
    return (await session.execute(statement)).scalar_one_or_none()


# A submission's own statements, prepared once (hub.prepared): submitReferral is the partners' busiest write.
_BY_AGENCY_REFERENCE = Prepared(
    records(
        sa.select(Referral).where(
            Referral.referring_agency_id == sa.bindparam("agency_id", type_=sa.Uuid),
            Referral.agency_reference == sa.bindparam("agency_reference"),
        )
    )
)
_NEXT_REFERENCE_NUMBER = Prepared(sa.select(sa.func.nextval("referral_reference_seq").label("number")))


async def lock_agency_reference(session: AsyncSession, agency_id: uuid.UUID, agency_reference: str) -> None:
    """Serialise submissions of one agency reference, so a retried submission never makes two referrals."""
    await advisory_lock(session, f"referral:{agency_id}:{agency_reference}")


async def by_agency_reference(session: AsyncSession, agency_id: uuid.UUID, agency_reference: str) -> Referral | None:
    """The agency's referral under that reference, as a read-only record (hub.db.records), if there is one."""
    return await _BY_AGENCY_REFERENCE.first(session, agency_id=agency_id, agency_reference=agency_reference)


async def next_reference_number(session: AsyncSession) -> int:
    return int((await _NEXT_REFERENCE_NUMBER.first(session)).number)


async def participant_in(
    session: AsyncSession, referral_id: uuid.UUID, participant_id: uuid.UUID
) -> Participant | None:
    statement = sa.select(Participant).where(Participant.id == participant_id, Participant.referral_id == referral_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def latest_assessments(session: AsyncSession, referral_id: uuid.UUID) -> dict[uuid.UUID, AssessmentOutcome]:
    """Each participant's most recent assessment outcome on the case (a case has a handful)."""
    statement = (
        sa.select(Assessment.participant_id, Assessment.outcome)
        .where(Assessment.referral_id == referral_id)
        .order_by(Assessment.assessed_on, Assessment.recorded_at)
    )
    return {row[0]: AssessmentOutcome(row[1]) for row in (await session.execute(statement)).all()}


async def allocated_ids(session: AsyncSession, referral_id: uuid.UUID) -> set[uuid.UUID]:
    statement = sa.select(Allocation.facilitator_id).where(Allocation.referral_id == referral_id)
    return set((await session.execute(statement)).scalars())


async def remove_allocations(session: AsyncSession, referral_id: uuid.UUID, keep: set[uuid.UUID]) -> None:
    statement = sa.delete(Allocation).where(Allocation.referral_id == referral_id)
    if keep:
        statement = statement.where(Allocation.facilitator_id.not_in(keep))
    await session.execute(statement)


async def session_in(session: AsyncSession, referral_id: uuid.UUID, session_id: uuid.UUID) -> RestorativeSession | None:
    statement = sa.select(RestorativeSession).where(
        RestorativeSession.id == session_id, RestorativeSession.referral_id == referral_id
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def agreement_of(session: AsyncSession, referral_id: uuid.UUID) -> OutcomeAgreement | None:
    statement = sa.select(OutcomeAgreement).where(OutcomeAgreement.referral_id == referral_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def actions_of(session: AsyncSession, agreement_id: uuid.UUID) -> Sequence[AgreementAction]:
    statement = (
        sa.select(AgreementAction)
        .where(AgreementAction.agreement_id == agreement_id)
        .order_by(AgreementAction.position, AgreementAction.id)
    )
    return (await session.execute(statement)).scalars().all()


async def action_in(session: AsyncSession, referral_id: uuid.UUID, action_id: uuid.UUID) -> AgreementAction | None:
    statement = (
        sa.select(AgreementAction)
        .join(OutcomeAgreement, OutcomeAgreement.id == AgreementAction.agreement_id)
        .where(AgreementAction.id == action_id, OutcomeAgreement.referral_id == referral_id)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def feedback_exists(
    session: AsyncSession, referral_id: uuid.UUID, respondent: Respondent, participant_id: uuid.UUID | None
) -> bool:
    statement = sa.select(Feedback.id).where(
        Feedback.referral_id == referral_id,
        Feedback.respondent == respondent,
        Feedback.participant_id.is_(None) if participant_id is None else Feedback.participant_id == participant_id,
    )
    return (await session.execute(statement.limit(1))).first() is not None
