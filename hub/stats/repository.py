"""Every query of the statistics domain: a period's figures in four statements over the counts the database keeps
per day (hub/stats/models.py), so a year costs the same at a thousand referrals as at a million.

Statistics are aggregates over every referral, so they do not start from readable(principal): who may ask is
decided on the field (MANAGER and AUDITOR), and no case row ever leaves the database.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub.agencies.models import Agency, AgencyKind
from hub.prepared import Prepared
from hub.referrals.models import POSITIVE_OUTCOMES, DeclineReason, Outcome, Respondent
from hub.stats.models import (
    ClosedCount,
    DeclinedCount,
    FeedbackCount,
    FirstDayCount,
    HoursCount,
    ReceivedCount,
)

RATE_PLACES = 4
HOURS_PLACES = 2


@dataclass(frozen=True)
class Period:
    """Whole days from `start` (included) to `end` (excluded), in UTC."""

    start: date
    end: date

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


# The statements are built once, with the period's days as parameters: building and keying them per request cost
# more CPU than running them.
_START, _END = sa.bindparam("start", type_=sa.Date), sa.bindparam("end", type_=sa.Date)


def _bounds(period: Period) -> dict[str, date]:
    return {"start": period.start, "end": period.end}


def _days(column: Any) -> sa.ColumnElement[bool]:
    return sa.and_(column >= _START, column < _END)


def _total(column: Any, where: sa.ColumnElement[bool] | None = None) -> sa.ColumnElement[int]:
    """A sum of counts (of the rows `where` holds), as an integer: PostgreSQL sums bigints as numeric."""
    total = sa.func.sum(column)
    return sa.cast(total if where is None else total.filter(where), sa.BigInteger)


def _rounded(value: Any, places: int) -> sa.ColumnElement[float]:
    """Rounded in exact decimals first, then handed over as a float."""
    return sa.cast(sa.func.round(value, places), sa.Float)


def _count(column: Any, where: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    """The sum of `column` over the rows `where` holds; 0 when there are none."""
    return sa.func.coalesce(_total(column, where), 0)


def _first_days() -> sa.Subquery:
    # Each referral or party is counted on its first day in the period: the one whose previous day is before it.
    return (
        sa.select(
            _count(FirstDayCount.n, FirstDayCount.figure == "ACCEPTED").label("referrals_accepted"),
            _count(FirstDayCount.n, FirstDayCount.figure == "CONTACTED").label("harmed_parties_contacted"),
        )
        .where(_days(FirstDayCount.day), FirstDayCount.previous < _START)
        .subquery("first_days")
    )


def _rate(column: Any, respondent: Respondent) -> sa.ColumnElement[Any]:
    """Share of `column` among the respondent's answers, rounded; NULL when nobody answered."""
    mine = FeedbackCount.respondent == respondent
    answers = sa.func.nullif(sa.func.sum(FeedbackCount.answers).filter(mine), 0)
    return _rounded(sa.func.sum(column).filter(mine) / answers, RATE_PLACES)


def _feedback() -> sa.Subquery:
    return (
        sa.select(
            _rate(FeedbackCount.yes, Respondent.PARTICIPANT).label("participant_satisfaction_rate"),
            _count(FeedbackCount.answers, FeedbackCount.respondent == Respondent.PARTICIPANT).label(
                "participant_feedback_count"
            ),
            _rate(FeedbackCount.yes, Respondent.REFERRER).label("referrer_recommendation_rate"),
            _count(FeedbackCount.answers, FeedbackCount.respondent == Respondent.REFERRER).label(
                "referrer_feedback_count"
            ),
        )
        .where(_days(FeedbackCount.day))
        .subquery("answered")
    )


def _hours() -> sa.Subquery:
    hours = _rounded(sa.func.coalesce(sa.func.sum(HoursCount.hours), 0), HOURS_PLACES)
    return sa.select(hours.label("volunteer_hours")).where(_days(HoursCount.day)).subquery("worked")


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


def _activity() -> sa.Select:
    """Acceptances, contacts, feedback and hours in one statement of one-row aggregates joined side by side."""
    first, *others = [part() for part in (_first_days, _feedback, _hours)]
    joined: sa.FromClause = first
    for other in others:
        joined = joined.join(other, sa.true())
    columns = [column for part in (first, *others) for column in part.c]
    return sa.select(*columns).select_from(joined)


_ACTIVITY = Prepared(_activity(), alone=True)


async def activity(session: AsyncSession, period: Period) -> _Activity:
    """The period's single-number figures (see _activity)."""
    return _Activity(**(await _ACTIVITY.first(session, **_bounds(period)))._asdict())


@dataclass(frozen=True)
class Received:
    total: int
    by_agency_kind: list[tuple[AgencyKind, int]]
    by_agency: list[tuple[uuid.UUID, int]]
    by_district: list[tuple[str, int]]


def _received() -> sa.Select:
    """Referrals received, in total and counted by agency kind, by agency and by district, in one statement.

    The days' counts are added up by (agency, district), a few hundred groups at most; the grouping sets then
    add those up again, so the three breakdowns cost one pass over the period's days.
    """
    pairs = (
        sa.select(ReceivedCount.agency_id, ReceivedCount.district, _total(ReceivedCount.n).label("n"))
        .where(_days(ReceivedCount.day))
        .group_by(ReceivedCount.agency_id, ReceivedCount.district)
        .having(sa.func.sum(ReceivedCount.n) > 0)
        .cte("pairs")
    )
    count = _total(pairs.c.n)
    return (
        sa.select(Agency.kind, Agency.id, pairs.c.district, count)
        .join_from(pairs, Agency, Agency.id == pairs.c.agency_id)
        .group_by(
            sa.func.grouping_sets(
                sa.tuple_(), sa.tuple_(Agency.kind), sa.tuple_(Agency.id, Agency.name), pairs.c.district
            )
        )
        .order_by(count.desc(), Agency.kind, Agency.name, pairs.c.district)
    )


_RECEIVED = Prepared(_received(), alone=True)


async def received(session: AsyncSession, period: Period) -> Received:
    """The period's referrals received (see _received)."""
    rows = await _RECEIVED.rows(session, **_bounds(period))
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


def _counted_by(table: type[DeclinedCount | ClosedCount], key: Any) -> sa.Select:
    """A period's count by `key`, highest first, then by key; keys that add up to nothing are left out."""
    count = _total(table.n)
    return (
        sa.select(key, count)
        .where(_days(table.day))
        .group_by(key)
        .having(sa.func.sum(table.n) > 0)
        .order_by(count.desc(), key)
    )


_DECLINED = Prepared(_counted_by(DeclinedCount, DeclinedCount.reason), alone=True)
_CLOSED = Prepared(_counted_by(ClosedCount, ClosedCount.outcome), alone=True)


async def _counts(session: AsyncSession, statement: Prepared, period: Period) -> list[tuple[Any, int]]:
    return [(value, n) for value, n in await statement.rows(session, **_bounds(period))]


async def declined(session: AsyncSession, period: Period) -> list[tuple[DeclineReason, int]]:
    """Referrals declined in the period (a referral is declined once), counted by the reason recorded."""
    return await _counts(session, _DECLINED, period)


async def closed_by_outcome(session: AsyncSession, period: Period) -> list[tuple[Outcome, int]]:
    """Cases closed in the period, counted by outcome (a CLOSED referral always has one)."""
    return await _counts(session, _CLOSED, period)


_NO_TIMEOUT = sa.text("SET LOCAL statement_timeout = 0")


async def recount(session: AsyncSession) -> tuple[int, int]:
    """Recount every per-day count from the records (migration 0008's statistic_rebuild); the referrals received
    and the days they came in on, for the operator."""
    await session.execute(_NO_TIMEOUT)  # seconds a million referrals: the recount must not be cut off
    await session.execute(sa.text("SELECT statistic_rebuild()"))
    statement = sa.select(sa.func.coalesce(_total(ReceivedCount.n), 0), sa.func.count(sa.distinct(ReceivedCount.day)))
    received, days = (await session.execute(statement.where(ReceivedCount.n != 0))).one()
    return received, days


async def figures(session: AsyncSession, period: Period) -> Figures:
    """Every figure of the period: four statements over the days' counts, however many referrals. The counts are
    the committed changes' (the triggers that keep them run at commit)."""
    came_in = await received(session, period)
    done = await activity(session, period)
    by_reason = await declined(session, period)
    outcomes = await closed_by_outcome(session, period)
    totals = Totals(
        referrals_received=came_in.total,
        referrals_declined=sum(n for _, n in by_reason),
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
