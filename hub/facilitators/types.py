"""GraphQL types of the facilitators domain."""

from __future__ import annotations

from collections.abc import Iterable

import strawberry
from strawberry import relay

from hub.api.context import Info
from hub.api.permissions import WorksTheCase
from hub.facilitators.models import Accreditation
from hub.facilitators.models import Facilitator as FacilitatorRow

AccreditationType = strawberry.enum(Accreditation, description="A facilitator's accreditation level.")


@strawberry.type(name="Facilitator", description="A volunteer or staff practitioner who works restorative cases.")
class FacilitatorType(relay.Node):
    id: relay.NodeID[str]
    first_name: str = strawberry.field(description="First name. Readable by everyone who may see the case.")
    full_name: str | None = strawberry.field(
        description="Full name. Service staff and the case's facilitators only.", permission_classes=[WorksTheCase]
    )
    accreditation: AccreditationType = strawberry.field(description="TRAINEE or ACCREDITED.")
    sensitive_trained: bool = strawberry.field(
        description="Trained for sensitive or complex cases (sexual offences, domestic abuse, hate crime, "
        "homicide, a child involved)."
    )
    districts: list[str] = strawberry.field(description="Districts the facilitator works in.")
    active: bool = strawberry.field(description="Whether the facilitator currently takes cases.")

    @classmethod
    def from_row(cls, row: FacilitatorRow) -> FacilitatorType:
        return cls(
            id=str(row.id),
            first_name=row.first_name,
            full_name=row.full_name,
            accreditation=row.accreditation,
            sensitive_trained=row.sensitive_trained,
            districts=list(row.districts),
            active=row.active,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list:
        from hub.api.node import load_many

        return await load_many(info, info.context.loaders.facilitator_by_id, node_ids, cls.from_row)
