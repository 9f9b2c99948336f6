"""Thin mutations of the agencies domain."""

from __future__ import annotations

import strawberry

from hub.agencies import service
from hub.agencies.inputs import CreateAgencyInput
from hub.agencies.types import AgencyType
from hub.api.context import Info
from hub.api.mutations import UserError, attempt
from hub.api.permissions import Administers


@strawberry.type(description="The result of createAgency.")
class CreateAgencyPayload:
    agency: AgencyType | None = strawberry.field(description="The new agency; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why the agency was not registered.")


@strawberry.type
class AgencyMutation:
    @strawberry.mutation(
        description=f"Register a partner agency (or the RJ service). {Administers.__doc__}",
        permission_classes=[Administers],
    )
    async def create_agency(self, info: Info, input: CreateAgencyInput) -> CreateAgencyPayload | None:
        row, errors = await attempt(info, service.register_agency, input)
        return CreateAgencyPayload(agency=AgencyType.from_row(row) if row else None, user_errors=errors)
