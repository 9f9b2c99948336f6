"""GraphQL types of the auth domain: the calling principal."""

from __future__ import annotations

import strawberry

from hub.agencies.types import AgencyType
from hub.api.context import Info
from hub.api.errors import not_found
from hub.auth.scopes import Role, Scope

RoleType = strawberry.enum(Role, description="What a principal does in the service; see the role table.")


@strawberry.type(description="Who is calling: the agency, the client or person, and what they may do.")
class Viewer:
    client_id: str = strawberry.field(description="The OAuth client the request came through.")
    subject: str = strawberry.field(description="The token's subject: the client id, or a person's id.")
    roles: list[RoleType] = strawberry.field(description="The principal's roles.")
    scopes: list[str] = strawberry.field(description="The OAuth scopes of the access token.")

    @strawberry.field(description="The agency the principal acts for.")
    async def agency(self, info: Info) -> AgencyType:
        agency = await info.context.loaders.agency_by_id.load(info.context.principal.agency_id)
        if agency is None:
            raise not_found("agency")
        return AgencyType.from_row(agency)


@strawberry.type
class ViewerQuery:
    @strawberry.field(description="The calling principal.")
    def viewer(self, info: Info) -> Viewer:
        principal = info.context.principal
        return Viewer(
            client_id=principal.client_id,
            subject=principal.subject,
            roles=sorted(principal.roles),
            scopes=sorted(s.value for s in principal.scopes if isinstance(s, Scope)),
        )
