"""GraphQL types of the agencies domain."""

from __future__ import annotations

from collections.abc import Iterable

import strawberry
from strawberry import relay

from hub.agencies.models import Agency as AgencyRow
from hub.agencies.models import AgencyKind
from hub.api.context import Info

AgencyKindType = strawberry.enum(AgencyKind, description="What kind of organisation an agency is.")


@strawberry.type(name="Agency", description="A partner agency that refers cases, or the RJ service itself.")
class AgencyType(relay.Node):
    id: relay.NodeID[str]
    name: str = strawberry.field(description="The agency's name, unique in the hub.")
    kind: AgencyKindType = strawberry.field(description="The kind of agency (police, prison, council, ...).")
    districts: list[str] = strawberry.field(description="The districts the agency covers, if it names any.")

    @classmethod
    def from_row(cls, row: AgencyRow) -> AgencyType:
        return cls(id=str(row.id), name=row.name, kind=row.kind, districts=list(row.districts))

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list:
        from hub.api.node import load_many

        return await load_many(info, info.context.loaders.agency_by_id, node_ids, cls.from_row)
