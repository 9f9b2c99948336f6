"""Every query of the statistics domain: a period's figures in four aggregate statements, whatever the data size.

Statistics are aggregates over every referral, so they do not start from readable(principal): who may ask is
decided on the field (MANAGER and AUDITOR), and no case row ever leaves the database.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub.agencies.models import Agency, AgencyKind
from hub.facilitators.models import VolunteerHours
from hub.referrals.models import (
    POSITIVE_OUTCOMES,
    ContactAttempt,
    DeclineReason,
    Feedback,
    Outcome,
    Participant,
    ParticipantRole,
    Referral,
    Respondent,
    Stage,
    StageEvent,
)

RATE_PLACES = 4
HOURS_PLACES = 2


@dataclass(frozen=True)
class Period:
    """Whole days from `start` (included) to `end` (excluded), in UTC."""

    start: date
    end: date

    @property
    def starts_at(self) -> datetime:
        """The first instant of the period."""
        return datetime.combine(self.start, time.min, tzinfo=UTC)

    @property
    def ends_at(self) -> datetime:
        """The first instant after the period."""
        return datetime.combine(self.end, time.min, tzinfo=UTC)

    def previous(self) -> Period:
        """The period of the same length that ends where this one starts."""
        return Period(self.start - (self.end - self.start), self.start)


@dataclass(frozen=True)
class Totals:
    referrals_received: int
    referrals_accepted: int
    referrals_declined: int
    harmed_parties_contacted: int
    cases_closed: int
    positive_outcomes: int
    participant_satisfaction_rate: float | None
    participant_feedback_count: int
    referrer_recommendation_rate: float | None
    referrer_feedback_count: int
    volunteer_hours: float


@dataclass(frozen=True)
class Figures:
    """A period's figures; each breakdown is ordered by count (highest first), then name."""

    totals: Totals
    by_agency_kind: list[tuple[AgencyKind, int]]
    by_agency: list[tuple[uuid.UUID, int]]
    by_district: list[tuple[str, int]]
    declined_by_reason: list[tuple[DeclineReason, int]]
    closed_by_outcome: list[tuple[Outcome, int]]


def _within(column: Any, period: Period) -> sa.ColumnElement[bool]:
    return sa.and_(column >= period.starts_at, column < period.ends_at)


def _rounded(value: Any, places: int) -> sa.ColumnElement[float]:
    """Rounded in exact decimals first, then handed over as a float."""
    return sa.cast(sa.func.round(value, places), sa.Float)


def _rate(answer: Any, respondent: Respondent) -> sa.ColumnElement[Any]:
    """Share of yes answers among the respondent's answers, rounded; NULL when nobody answered."""
    share = sa.func.avg(sa.cast(answer, sa.Integer)).filter(Feedback.respondent == respondent)
    return _rounded(share, RATE_PLACES)


def _received(period: Period) -> sa.Subquery:
    received = sa.select(sa.func.count().label("referrals_received"))
    return received.where(_within(Referral.submitted_at, period)).subquery("received")


def _decided(period: Period) -> sa.Subquery:
    decided = sa.func.count(sa.distinct(StageEvent.referral_id))
    return (
        sa.select(
            decided.filter(StageEvent.to_stage == Stage.ACCEPTED).label("referrals_accepted"),
            decided.filter(StageEvent.to_stage == Stage.DECLINED).label("referrals_declined"),
        )
        .where(StageEvent.to_stage.in_([Stage.ACCEPTED, Stage.DECLINED]), _within(StageEvent.at, period))
        .subquery("decided")
    )


def _contacted(period: Period) -> sa.Subquery:
    return (
        sa.select(sa.func.count(sa.distinct(ContactAttempt.participant_id)).label("harmed_parties_contacted"))
        .join(Participant, Participant.id == ContactAttempt.participant_id)
        .where(Participant.role == ParticipantRole.HARMED, ContactAttempt.successful.is_(True))
        .where(_within(ContactAttempt.attempted_at, period))
        .subquery("contacted")
    )


def _closed(period: Period) -> sa.Subquery:
    return (
        sa.select(
            sa.func.count().label("cases_closed"),
            sa.func.count().filter(Referral.outcome.in_(sorted(POSITIVE_OUTCOMES))).label("positive_outcomes"),
        )
        .where(Referral.stage == Stage.CLOSED, _within(Referral.closed_at, period))
        .subquery("closed")
    )


def _feedback(period: Period) -> sa.Subquery:
    return (
        sa.select(
            _rate(Feedback.satisfied, Respondent.PARTICIPANT).label("participant_satisfaction_rate"),
            sa.func.count().filter(Feedback.respondent == Respondent.PARTICIPANT).label("participant_feedback_count"),
            _rate(Feedback.would_recommend, Respondent.REFERRER).label("referrer_recommendation_rate"),
            sa.func.count().filter(Feedback.respondent == Respondent.REFERRER).label("referrer_feedback_count"),
        )
        .where(_within(Feedback.received_at, period))
        .subquery("answered")
    )


def _hours(period: Period) -> sa.Subquery:
    hours = _rounded(sa.func.coalesce(sa.func.sum(VolunteerHours.hours), 0), HOURS_PLACES)
    window = sa.and_(VolunteerHours.worked_on >= period.start, VolunteerHours.worked_on < period.end)
    return sa.select(hours.label("volunteer_hours")).where(window).subquery("worked")


async def totals(session: AsyncSession, period: Period) -> Totals:
    """The period's single-number figures, in one statement of one-row aggregates joined side by side."""
    first, *others = [part(period) for part in (_received, _decided, _contacted, _closed, _feedback, _hours)]
    joined: sa.FromClause = first
    for other in others:
        joined = joined.join(other, sa.true())
    columns = [column for part in (first, *others) for column in part.c]
    return Totals(**(await session.execute(sa.select(*columns).select_from(joined))).one()._asdict())


async def received_by_source(
    session: AsyncSession, period: Period
) -> tuple[list[tuple[AgencyKind, int]], list[tuple[uuid.UUID, int]], list[tuple[str, int]]]:
    """Referrals received, counted by agency kind, by agency and by district in one grouping-sets statement."""
    count = sa.func.count()
    statement = (
        sa.select(Agency.kind, Agency.id, Referral.district, count)
        .join(Agency, Agency.id == Referral.referring_agency_id)
        .where(_within(Referral.submitted_at, period))
        .group_by(sa.func.grouping_sets(sa.tuple_(Agency.kind), sa.tuple_(Agency.id, Agency.name), Referral.district))
        .order_by(count.desc(), Agency.kind, Agency.name, Referral.district)
    )
    rows = (await session.execute(statement)).all()
    # Each row belongs to one grouping set: the columns outside it are NULL, and none of them is NULL in a table.
    kinds = [(kind, n) for kind, _, _, n in rows if kind is not None]
    agencies = [(agency_id, n) for _, agency_id, _, n in rows if agency_id is not None]
    return kinds, agencies, [(district, n) for _, _, district, n in rows if district is not None]


async def declined_by_reason(session: AsyncSession, period: Period) -> list[tuple[DeclineReason, int]]:
    """Referrals declined in the period, counted by the reason recorded on the referral."""
    declined = sa.select(StageEvent.referral_id).where(
        StageEvent.to_stage == Stage.DECLINED, _within(StageEvent.at, period)
    )
    return await _counted_by(session, Referral.decline_reason, Referral.id.in_(declined))


async def closed_by_outcome(session: AsyncSession, period: Period) -> list[tuple[Outcome, int]]:
    """Cases closed in the period, counted by outcome."""
    closed = sa.and_(Referral.stage == Stage.CLOSED, _within(Referral.closed_at, period))
    return await _counted_by(session, Referral.outcome, closed)


async def _counted_by(session: AsyncSession, column: Any, where: sa.ColumnElement[bool]) -> list[tuple[Any, int]]:
    count = sa.func.count()
    statement = (
        sa.select(column, count).where(where, column.is_not(None)).group_by(column).order_by(count.desc(), column)
    )
    return [(value, n) for value, n in (await session.execute(statement)).all()]


async def figures(session: AsyncSession, period: Period) -> Figures:
    """Every figure of the period: four statements, however many referrals there are."""
    by_kind, by_agency, by_district = await received_by_source(session, period)
    return Figures(
        totals=await totals(session, period),
        by_agency_kind=by_kind,
        by_agency=by_agency,
        by_district=by_district,
        declined_by_reason=await declined_by_reason(session, period),
        closed_by_outcome=await closed_by_outcome(session, period),
    )
