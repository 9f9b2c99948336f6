"""Client administration in GraphQL: register and disable OAuth clients, list them (administrators only)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import strawberry
from strawberry import relay

from hub.agencies.types import AgencyType
from hub.api.context import Info
from hub.api.errors import not_found
from hub.api.mutations import UserError, attempt
from hub.api.pagination import MAX_PAGE_SIZE, Ordering, PageArgs, fetch_page, iso_datetime, to_connection
from hub.api.permissions import Administers
from hub.auth import administration
from hub.auth.administration import DisableClientInput, RegisterClientInput, Registered
from hub.auth.models import OAuthClient
from hub.auth.types import RoleType

_BY_CREATION = Ordering(OAuthClient.created_at, OAuthClient.id, True, lambda c: c.created_at, **iso_datetime())


@strawberry.type(name="OAuthClient", description="A registered partner system or portal. Administrators only.")
class OAuthClientType(relay.Node):
    id: relay.NodeID[str]
    row: strawberry.Private[OAuthClient]
    client_id: str = strawberry.field(description="The OAuth client_id.")
    name: str = strawberry.field(description="Its label.")
    roles: list[RoleType] = strawberry.field(description="Its roles.")  # type: ignore[valid-type]
    scopes: list[str] = strawberry.field(description="The scopes it may ask for.")
    redirect_uris: list[str] = strawberry.field(description="A portal's exact redirect URIs.")
    grant_types: list[str] = strawberry.field(description="The OAuth grants it may use.")
    token_endpoint_auth_method: str = strawberry.field(description="How it authenticates at the token endpoint.")
    rate_limit_per_minute: int | None = strawberry.field(description="Its own GraphQL points a minute, if any.")
    disabled_at: datetime | None = strawberry.field(description="When it was disabled; its tokens stopped then.")
    created_at: datetime = strawberry.field(description="When it was registered.")

    @strawberry.field(description="The agency it acts for.")
    async def agency(self, info: Info) -> AgencyType:
        agency = await info.context.loaders.agency_by_id.load(self.row.agency_id)
        if agency is None:
            raise not_found("agency")
        return AgencyType.from_row(agency)

    @classmethod
    def from_row(cls, row: OAuthClient) -> OAuthClientType:
        return cls(
            id=str(row.id),
            row=row,
            client_id=row.client_id,
            name=row.name,
            roles=list(row.roles),
            scopes=list(row.scopes),
            redirect_uris=list(row.redirect_uris or []),
            grant_types=list(row.grant_types),
            token_endpoint_auth_method=row.token_endpoint_auth_method,
            rate_limit_per_minute=row.rate_limit_per_minute,
            disabled_at=row.disabled_at,
            created_at=row.created_at,
        )


@strawberry.type(description="The result of registerClient.")
class RegisterClientPayload:
    client: OAuthClientType | None = strawberry.field(description="The new client; null when refused.")
    client_secret: str | None = strawberry.field(
        description="Its secret, shown this once (the hub keeps only a hash); null for a public portal."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the client was not registered.")


@strawberry.type(description="The result of disableClient.")
class DisableClientPayload:
    client: OAuthClientType | None = strawberry.field(description="The disabled client; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was disabled.")


@strawberry.type
class ClientMutation:
    @strawberry.mutation(
        description=f"Register an OAuth client for an agency, with roles, scopes and redirect URIs. "
        f"{Administers.__doc__}",
        permission_classes=[Administers],
    )
    async def register_client(self, info: Info, input: RegisterClientInput) -> RegisterClientPayload | None:
        registered, errors = await attempt(info, administration.register_client, input)
        if not isinstance(registered, Registered):
            return RegisterClientPayload(client=None, client_secret=None, user_errors=errors)
        client = OAuthClientType.from_row(registered.client)
        return RegisterClientPayload(client=client, client_secret=registered.secret, user_errors=errors)

    @strawberry.mutation(
        description=f"Disable a client: its tokens stop working at once, not at expiry. {Administers.__doc__}",
        permission_classes=[Administers],
    )
    async def disable_client(self, info: Info, input: DisableClientInput) -> DisableClientPayload | None:
        row, errors = await attempt(info, administration.disable, input)
        return DisableClientPayload(client=OAuthClientType.from_row(row) if row else None, user_errors=errors)


@strawberry.type
class ClientQuery:
    @strawberry.field(
        description=f"Every OAuth client, newest first; at most {MAX_PAGE_SIZE} a page. {Administers.__doc__}",
        permission_classes=[Administers],
    )
    async def clients(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> relay.Connection[OAuthClientType] | None:
        page = await info.context.run(fetch_page, sa.select(OAuthClient), _BY_CREATION, PageArgs(first, after))
        return to_connection(page, _BY_CREATION, OAuthClientType.from_row)
