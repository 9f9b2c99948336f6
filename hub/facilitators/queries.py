"""Thin resolvers of the facilitators domain: parse arguments, ask the repository, shape the result."""

from __future__ import annotations

import uuid

import strawberry
from strawberry import relay

from hub.api.context import Info
from hub.api.errors import bad_input
from hub.api.pagination import MAX_PAGE_SIZE, Ordering, PageArgs, decode_cursor, fetch_page, to_connection
from hub.facilitators import repository
from hub.facilitators.models import Facilitator
from hub.facilitators.types import FacilitatorType

# Full name then id. A cursor holds only the id, so it never carries a name the caller may not read
# (referrers see first names only); the name to resume at is looked up through the caller's row filter.
_CURSOR = Ordering(Facilitator.full_name, Facilitator.id, False, lambda row: str(row.id))


@strawberry.input(description="Narrows the facilitators list; every condition given must hold.")
class FacilitatorFilter:
    active: bool | None = strawberry.field(default=None, description="Whether they take cases at present.")
    district: str | None = strawberry.field(default=None, description="Works in this district (case-insensitive).")
    sensitive_trained: bool | None = strawberry.field(
        default=None, description="Whether they are trained for sensitive or complex cases."
    )


def _filter(where: FacilitatorFilter | None) -> repository.FacilitatorFilter:
    if where is None:
        return repository.FacilitatorFilter()
    return repository.FacilitatorFilter(
        active=where.active, district=where.district, sensitive_trained=where.sensitive_trained
    )


async def _by_name(info: Info, args: PageArgs) -> Ordering:
    """The list's order, able to resume at the facilitators the given cursors name."""
    given = [(cursor, name) for cursor, name in ((args.after, "after"), (args.before, "before")) if cursor]
    ids = [decode_cursor(_CURSOR, cursor, name)[1] for cursor, name in given]
    names = await info.context.run(repository.names_of, info.context.principal, ids) if ids else {}

    def name_at(value: str) -> str:
        name = names.get(uuid.UUID(value))
        if name is None:
            raise bad_input("The cursor names a facilitator no longer in this list; start again from the first page.")
        return name

    return Ordering(Facilitator.full_name, Facilitator.id, False, _CURSOR.value_of, decode=name_at)


@strawberry.type
class FacilitatorQuery:
    @strawberry.field(
        description=f"The facilitators you may see, by full name, at most {MAX_PAGE_SIZE} a page. The service's "
        "staff see all; others see the facilitators of the cases they may see (and a facilitator, themself)."
    )
    async def facilitators(
        self,
        info: Info,
        filter: FacilitatorFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> relay.Connection[FacilitatorType]:
        args = PageArgs(first, after, last, before)
        ordering = await _by_name(info, args)
        statement = repository.filtered(info.context.principal, _filter(filter))
        page = await info.context.run(fetch_page, statement, ordering, args)
        return to_connection(page, ordering, FacilitatorType.from_row)
