"""Every query of the statistics domain: a period's figures in four aggregate statements, whatever the data size.

Statistics are aggregates over every referral, so they do not start from readable(principal): who may ask is
decided on the field (MANAGER and AUDITOR), and no case row ever leaves the database.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
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


def _accepted(period: Period) -> sa.Subquery:
    # Distinct first, then count: a referral accepted again after a hold is one referral.
    accepted = (
        sa.select(StageEvent.referral_id)
        .where(StageEvent.to_stage == Stage.ACCEPTED, _within(StageEvent.at, period))
        .distinct()
        .subquery("accepted_referrals")
    )
    return sa.select(sa.func.count().label("referrals_accepted")).select_from(accepted).subquery("accepted")


def _contacted(period: Period) -> sa.Subquery:
    # Harmed parties with a successful attempt, as a semi-join: each person is counted once without a DISTINCT
    # over every attempt. The bare column (not `IS true`) lets the partial index of successful attempts apply.
    attempted = sa.exists().where(
        ContactAttempt.participant_id == Participant.id,
        ContactAttempt.successful,
        _within(ContactAttempt.attempted_at, period),
    )
    return (
        sa.select(sa.func.count().label("harmed_parties_contacted"))
        .where(Participant.role == ParticipantRole.HARMED, attempted)
        .subquery("contacted")
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


@dataclass(frozen=True)
class _Activity:
    """The single-number figures that are not a sum of a breakdown."""

    referrals_accepted: int
    harmed_parties_contacted: int
    participant_satisfaction_rate: float | None
    participant_feedback_count: int
    referrer_recommendation_rate: float | None
    referrer_feedback_count: int
    volunteer_hours: float


async def activity(session: AsyncSession, period: Period) -> _Activity:
    """Acceptances, contacts, feedback and hours in one statement of one-row aggregates joined side by side."""
    first, *others = [part(period) for part in (_accepted, _contacted, _feedback, _hours)]
    joined: sa.FromClause = first
    for other in others:
        joined = joined.join(other, sa.true())
    columns = [column for part in (first, *others) for column in part.c]
    return _Activity(**(await session.execute(sa.select(*columns).select_from(joined))).one()._asdict())


@dataclass(frozen=True)
class Received:
    total: int
    by_agency_kind: list[tuple[AgencyKind, int]]
    by_agency: list[tuple[uuid.UUID, int]]
    by_district: list[tuple[str, int]]


async def received(session: AsyncSession, period: Period) -> Received:
    """Referrals received, in total and counted by agency kind, by agency and by district, in one statement.

    The referrals are counted once by (agency, district), a few hundred groups at most; the grouping sets then
    add those counts up, so the three breakdowns cost one pass over the period's referrals.
    """
    pairs = (
        sa.select(Referral.referring_agency_id, Referral.district, sa.func.count().label("n"))
        .where(_within(Referral.submitted_at, period))
        .group_by(Referral.referring_agency_id, Referral.district)
        .cte("pairs")
    )
    count = sa.cast(sa.func.sum(pairs.c.n), sa.BigInteger)
    statement = (
        sa.select(Agency.kind, Agency.id, pairs.c.district, count)
        .join_from(pairs, Agency, Agency.id == pairs.c.referring_agency_id)
        .group_by(
            sa.func.grouping_sets(
                sa.tuple_(), sa.tuple_(Agency.kind), sa.tuple_(Agency.id, Agency.name), pairs.c.district
            )
        )
        .order_by(count.desc(), Agency.kind, Agency.name, pairs.c.district)
    )
    rows = (await session.execute(statement)).all()
    # Each row belongs to one grouping set: the columns outside it are NULL, and none of them is NULL in a table.
    # The empty set (every column NULL) is the total: its sum is NULL when nothing was received.
    total = next(
        (n or 0 for kind, agency_id, district, n in rows if (kind, agency_id, district) == (None, None, None)), 0
    )
    return Received(
        total=total,
        by_agency_kind=[(kind, n) for kind, _, _, n in rows if kind is not None],
        by_agency=[(agency_id, n) for _, agency_id, _, n in rows if agency_id is not None],
        by_district=[(district, n) for _, _, district, n in rows if district is not None],
    )


async def declined(session: AsyncSession, period: Period) -> tuple[int, list[tuple[DeclineReason, int]]]:
    """Referrals declined in the period: how many, and counted by the reason recorded on the referral."""
    referrals = (
        sa.select(StageEvent.referral_id)
        .where(StageEvent.to_stage == Stage.DECLINED, _within(StageEvent.at, period))
        .distinct()
        .subquery("declined_referrals")
    )
    # The reason is read among declined referrals only (a DECLINED referral has one), so the join reads the small
    # end of the (stage, closed_at) index; a referral without a reason still counts in the total.
    reasons = (
        sa.select(Referral.id, Referral.decline_reason).where(Referral.stage == Stage.DECLINED).subquery("reasons")
    )
    count = sa.func.count()
    statement = (
        sa.select(reasons.c.decline_reason, count)
        .select_from(referrals)
        .outerjoin(reasons, reasons.c.id == referrals.c.referral_id)
        .group_by(reasons.c.decline_reason)
        .order_by(count.desc(), reasons.c.decline_reason)
    )
    rows = (await session.execute(statement)).all()
    return sum(n for _, n in rows), [(reason, n) for reason, n in rows if reason is not None]


async def closed_by_outcome(session: AsyncSession, period: Period) -> list[tuple[Outcome, int]]:
    """Cases closed in the period, counted by outcome (a CLOSED referral always has one)."""
    count = sa.func.count()
    statement = (
        sa.select(Referral.outcome, count)
        .where(Referral.stage == Stage.CLOSED, _within(Referral.closed_at, period), Referral.outcome.is_not(None))
        .group_by(Referral.outcome)
        .order_by(count.desc(), Referral.outcome)
    )
    return [(outcome, n) for outcome, n in (await session.execute(statement)).all()]


# Settings for this transaction only: the figures hash hundreds of thousands of ids, which spill to disk in the
# default 4MB, and compiling the statements with JIT costs more than it saves on a scan of index entries.
_FOR_AGGREGATES = sa.text("SELECT set_config('work_mem', '64MB', true), set_config('jit', 'off', true)")


async def figures(session: AsyncSession, period: Period) -> Figures:
    """Every figure of the period: four aggregate statements (after the settings), however many referrals."""
    await session.execute(_FOR_AGGREGATES)
    came_in = await received(session, period)
    done = await activity(session, period)
    declined_count, by_reason = await declined(session, period)
    outcomes = await closed_by_outcome(session, period)
    totals = Totals(
        referrals_received=came_in.total,
        referrals_declined=declined_count,
        cases_closed=sum(n for _, n in outcomes),
        positive_outcomes=sum(n for outcome, n in outcomes if outcome in POSITIVE_OUTCOMES),
        **asdict(done),
    )
    return Figures(
        totals=totals,
        by_agency_kind=came_in.by_agency_kind,
        by_agency=came_in.by_agency,
        by_district=came_in.by_district,
        declined_by_reason=by_reason,
        closed_by_outcome=outcomes,
    )
