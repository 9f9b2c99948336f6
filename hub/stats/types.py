"""GraphQL types of the statistics domain: a period's figures, each defined in its description."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import date

import strawberry

from hub.agencies.types import AgencyKindType, AgencyType
from hub.api.context import Info
from hub.api.errors import not_found
from hub.referrals.enums import DeclineReasonType, OutcomeType
from hub.stats import repository
from hub.stats.repository import Figures, Period

ORDER = "Ordered by count, highest first, then by name."


@strawberry.type(description="Referrals received from one kind of agency.")
class AgencyKindCount:
    agency_kind: AgencyKindType = strawberry.field(description="The kind of the referring agency.")
    count: int = strawberry.field(description="Referrals received from agencies of that kind.")


@strawberry.type(description="Referrals received from one agency.")
class AgencyCount:
    agency_id: strawberry.Private[uuid.UUID]
    count: int = strawberry.field(description="Referrals received from that agency.")

    @strawberry.field(description="The referring agency.")
    async def agency(self, info: Info) -> AgencyType:
        row = await info.context.loaders.agency_by_id.load(self.agency_id)
        if row is None:
            raise not_found("agency")
        return AgencyType.from_row(row)


@strawberry.type(description="Referrals received for one district.")
class DistrictCount:
    district: str = strawberry.field(description="The district, as the referrals name it.")
    count: int = strawberry.field(description="Referrals received for that district.")


@strawberry.type(description="Referrals declined for one reason.")
class DeclineReasonCount:
    reason: DeclineReasonType = strawberry.field(description="The reason recorded when the referral was declined.")
    count: int = strawberry.field(description="Referrals declined in the period for that reason.")


@strawberry.type(description="Cases closed with one outcome.")
class OutcomeCount:
    outcome: OutcomeType = strawberry.field(description="How the cases ended.")
    count: int = strawberry.field(description="Cases closed in the period with that outcome.")


@strawberry.type(
    description="What a restorative justice service's annual report shows, for one period of whole days in UTC: "
    "from `from` (included) to `to` (excluded). Every figure is an aggregate; no case is identified. "
    "Definitions: schema/statistics.md."
)
class ServiceStatistics:
    period: strawberry.Private[Period]
    is_previous: strawberry.Private[bool]
    from_: date = strawberry.field(name="from", description="The first day of the period (included), UTC.")
    to: date = strawberry.field(description="The day after the period's last day (excluded), UTC.")
    referrals_received: int = strawberry.field(description="Referrals submitted in the period.")
    referrals_by_source: list[AgencyKindCount] = strawberry.field(
        description=f"Referrals received, by the kind of the referring agency. {ORDER}"
    )
    referrals_by_agency: list[AgencyCount] = strawberry.field(
        description=f"Referrals received, by referring agency. {ORDER}"
    )
    referrals_by_district: list[DistrictCount] = strawberry.field(
        description=f"Referrals received, by the referral's district. {ORDER}"
    )
    referrals_accepted: int = strawberry.field(
        description="Referrals that moved to ACCEPTED in the period, each counted once, whenever submitted."
    )
    referrals_declined: int = strawberry.field(
        description="Referrals that moved to DECLINED in the period, each counted once, whenever submitted."
    )
    declined_by_reason: list[DeclineReasonCount] = strawberry.field(
        description=f"The referrals declined in the period, by the reason recorded. {ORDER}"
    )
    harmed_parties_contacted: int = strawberry.field(
        description="Harmed parties with at least one successful contact attempt in the period, each counted once "
        '(the service\'s "victims contacted").'
    )
    cases_closed: int = strawberry.field(description="Cases closed (stage CLOSED) in the period, with any outcome.")
    positive_outcomes: int = strawberry.field(
        description="Cases closed in the period as RESOLVED or PARTIALLY_RESOLVED."
    )
    outcomes: list[OutcomeCount] = strawberry.field(description=f"Cases closed in the period, by outcome. {ORDER}")
    participant_satisfaction_rate: float | None = strawberry.field(
        description="Of the participants' feedback answers received in the period, the share that were satisfied: "
        "0 to 1, rounded to 4 decimal places; null when no participant answered."
    )
    participant_feedback_count: int = strawberry.field(
        description="Participants' feedback answers received in the period (the satisfaction rate's denominator)."
    )
    referrer_recommendation_rate: float | None = strawberry.field(
        description="Of the referrers' feedback answers received in the period, the share that would recommend the "
        "service: 0 to 1, rounded to 4 decimal places; null when no referrer answered."
    )
    referrer_feedback_count: int = strawberry.field(
        description="Referrers' feedback answers received in the period (the recommendation rate's denominator)."
    )
    volunteer_hours: float = strawberry.field(
        description="Hours facilitators logged for days worked in the period, rounded to 2 decimal places."
    )

    @strawberry.field(
        description="The same figures for the period of equal length that ends where this one starts, to show "
        "the change; null on the previous period itself."
    )
    async def previous_period(self, info: Info) -> ServiceStatistics | None:
        if self.is_previous:
            return None
        return await ServiceStatistics.load(info, self.period.previous(), is_previous=True)

    @classmethod
    async def load(cls, info: Info, period: Period, *, is_previous: bool = False) -> ServiceStatistics:
        """The period's figures, computed in the database."""
        return cls.from_figures(period, await info.context.run(repository.figures, period), is_previous)

    @classmethod
    def from_figures(cls, period: Period, figures: Figures, is_previous: bool) -> ServiceStatistics:
        """The GraphQL object of figures the repository computed."""
        return cls(
            period=period,
            is_previous=is_previous,
            from_=period.start,
            to=period.end,
            **asdict(figures.totals),
            referrals_by_source=[AgencyKindCount(agency_kind=k, count=n) for k, n in figures.by_agency_kind],
            referrals_by_agency=[AgencyCount(agency_id=a, count=n) for a, n in figures.by_agency],
            referrals_by_district=[DistrictCount(district=d, count=n) for d, n in figures.by_district],
            declined_by_reason=[DeclineReasonCount(reason=r, count=n) for r, n in figures.declined_by_reason],
            outcomes=[OutcomeCount(outcome=o, count=n) for o, n in figures.closed_by_outcome],
        )
