"""Thin resolvers of the referrals domain: parse arguments, ask the repository, shape the result."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import strawberry
from strawberry import relay

from hub.api.context import Info
from hub.api.errors import bad_input, not_found
from hub.api.pagination import MAX_PAGE_SIZE, Ordering, PageArgs, fetch_prepared_page, iso_datetime, to_connection
from hub.referrals import repository
from hub.referrals.enums import IncidentKindType, StageType
from hub.referrals.models import Referral
from hub.referrals.types import ReferralType


class ReferralOrderField(StrEnum):
    SUBMITTED_AT = "SUBMITTED_AT"
    UPDATED_AT = "UPDATED_AT"
    REFERENCE = "REFERENCE"


class OrderDirection(StrEnum):
    ASC = "ASC"
    DESC = "DESC"


ReferralOrderFieldType = strawberry.enum(ReferralOrderField, description="What to sort referrals by.")
OrderDirectionType = strawberry.enum(OrderDirection, description="Sort direction.")

_ORDER_COLUMNS = {
    ReferralOrderField.SUBMITTED_AT: (Referral.submitted_at, lambda r: r.submitted_at, iso_datetime()),
    ReferralOrderField.UPDATED_AT: (Referral.updated_at, lambda r: r.updated_at, iso_datetime()),
    ReferralOrderField.REFERENCE: (Referral.reference, lambda r: r.reference, {}),
}


@strawberry.input(description="Narrows the referrals list; every condition given must hold.")
class ReferralFilter:
    stage: list[StageType] | None = strawberry.field(default=None, description="Any of these stages.")
    agency_id: strawberry.ID | None = strawberry.field(default=None, description="The referring agency's id.")
    district: str | None = strawberry.field(default=None, description="The district (case-insensitive).")
    incident_kind: list[IncidentKindType] | None = strawberry.field(
        default=None, description="Any of these incident kinds."
    )
    submitted_from: datetime | None = strawberry.field(default=None, description="Submitted at or after.")
    submitted_to: datetime | None = strawberry.field(default=None, description="Submitted before.")


@strawberry.input(description="How to order the referrals list (default: newest submitted first).")
class ReferralOrder:
    field: ReferralOrderFieldType = ReferralOrderField.SUBMITTED_AT
    direction: OrderDirectionType = OrderDirection.DESC


def _ordering(order: ReferralOrder | None) -> Ordering:
    order = order or ReferralOrder()
    column, value_of, codec = _ORDER_COLUMNS[ReferralOrderField(order.field)]
    return Ordering(column, Referral.id, order.direction == OrderDirection.DESC, value_of, **codec)


def _filter(where: ReferralFilter | None) -> repository.ReferralFilter:
    if where is None:
        return repository.ReferralFilter()
    if where.submitted_from and where.submitted_to and where.submitted_from >= where.submitted_to:
        raise bad_input("filter.submittedFrom must be before filter.submittedTo.")
    agency_id = None
    if where.agency_id is not None:
        from hub.api.node import parse_id

        agency_id = parse_id(where.agency_id, "Agency", "filter.agencyId")
    return repository.ReferralFilter(
        stages=where.stage,
        agency_id=agency_id,
        district=where.district,
        incident_kinds=where.incident_kind,
        submitted_from=where.submitted_from,
        submitted_to=where.submitted_to,
    )


@strawberry.type
class ReferralQuery:
    @strawberry.field(
        description=f"The referrals you may see, newest first unless ordered otherwise; at most {MAX_PAGE_SIZE} "
        "a page. A referrer sees its own agency's referrals; the service's staff see all."
    )
    async def referrals(
        self,
        info: Info,
        filter: ReferralFilter | None = None,
        order_by: ReferralOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> relay.Connection[ReferralType]:
        ordering, principal, where = _ordering(order_by), info.context.principal, _filter(filter)
        page = await info.context.run(
            fetch_prepared_page,
            repository.LISTS,
            repository.readable_kind(principal),
            lambda bind: repository.filtered(principal, where, bind),
            ordering,
            PageArgs(first, after, last, before),
            lambda bind: repository.filter_conditions(principal, where, bind),
        )
        return to_connection(page, ordering, ReferralType.from_row)

    @strawberry.field(
        description="One referral by its hub reference (RJ-YYYY-NNNNNN); NOT_FOUND if you may not see it."
    )
    async def referral(self, info: Info, reference: str) -> ReferralType | None:
        row = await info.context.run(repository.by_reference, info.context.principal, reference)
        if row is None:
            raise not_found("referral")
        return ReferralType.from_row(row)
