"""Thin resolvers of the agencies domain."""

from __future__ import annotations

import strawberry
from strawberry import relay

from hub.agencies import repository
from hub.agencies.models import Agency
from hub.agencies.types import AgencyType
from hub.api.context import Info
from hub.api.pagination import MAX_PAGE_SIZE, Ordering, PageArgs, fetch_page, to_connection

_BY_NAME = Ordering(Agency.name, Agency.id, False, lambda a: a.name)


@strawberry.type
class AgencyQuery:
    @strawberry.field(description=f"Every agency in the hub, by name; at most {MAX_PAGE_SIZE} a page.")
    async def agencies(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> relay.Connection[AgencyType]:
        statement = repository.readable(info.context.principal)
        page = await info.context.run(fetch_page, statement, _BY_NAME, PageArgs(first, after, last, before))
        return to_connection(page, _BY_NAME, AgencyType.from_row)
