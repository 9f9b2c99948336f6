"""Thin resolvers of the statistics domain: check the period, compute its figures in the database."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from hub.api.context import Info
from hub.api.errors import bad_input
from hub.api.permissions import ReadsStatistics
from hub.stats.repository import Period
from hub.stats.types import ServiceStatistics

MAX_YEARS = 5


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return date(day.year + years, 3, 1)


def period_of(start: date, end: date) -> Period:
    """The period [start, end), refused with BAD_USER_INPUT unless it is 1 day to 5 years long."""
    if start >= end:
        raise bad_input("`from` must be before `to`.")
    if end > _years_after(start, MAX_YEARS):
        raise bad_input(f"`to` must be at most {MAX_YEARS} years after `from`.")
    period = Period(start, end)
    try:
        period.previous()
    except OverflowError:
        raise bad_input("`from` is too early: the period before it would start before the year 1.") from None
    return period


@strawberry.type
class StatisticsQuery:
    @strawberry.field(
        description="The service's figures for a period of whole days (UTC), `from` included and `to` excluded, "
        f"at most {MAX_YEARS} years long, with the previous period's for the change. MANAGER and AUDITOR only: "
        "anyone else gets null and a FORBIDDEN error.",
        permission_classes=[ReadsStatistics],
    )
    async def service_statistics(
        self,
        info: Info,
        from_: Annotated[date, strawberry.argument(name="from", description="The period's first day (included).")],
        to: Annotated[date, strawberry.argument(description="The day after the period's last day (excluded).")],
    ) -> ServiceStatistics | None:
        return await ServiceStatistics.load(info, period_of(from_, to))
