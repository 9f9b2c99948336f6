"""Client administration through the API: the service's administrators register and disable OAuth clients.

The rules are those of hub/auth/service.py (the command line uses the same ones); this module turns their
refusals into problems at input paths and takes the client's agency by its global id.
"""

from __future__ import annotations

from dataclasses import dataclass

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

import hub.auth.types  # noqa: F401  (registers Role with Strawberry)
from hub.agencies import repository as agencies
from hub.agencies.models import Agency
from hub.auth import repository
from hub.auth.models import OAuthClient
from hub.auth.principal import Principal
from hub.auth.scopes import Role, Scope
from hub.auth.service import ClientError, IssuedClient, create_client, create_public_client, disable_client
from hub.ids import row_id
from hub.problems import ProblemCode, Refused
from hub.validation import Checker


@strawberry.input(description="An OAuth client to register for an agency.")
class RegisterClientInput:
    agency_id: strawberry.ID = strawberry.field(description="The agency the client acts for.")
    name: str = strawberry.field(description="A label, e.g. the partner system's name (up to 200 characters).")
    roles: list[Role] = strawberry.field(description="Its roles (COORDINATOR and MANAGER only for the RJ service).")
    scopes: list[str] | None = strawberry.field(
        default=None, description="Limit it to these scopes (default: everything its roles allow)."
    )
    redirect_uris: list[str] = strawberry.field(
        default_factory=list,
        description="For a portal: the exact redirect URIs of its sign-in (https; http only for localhost).",
    )
    public: bool = strawberry.field(
        default=False, description="A browser portal without a secret (PKCE only); needs redirect URIs."
    )
    rate_limit_per_minute: int | None = strawberry.field(
        default=None, description="Its own GraphQL points a minute (default: the hub's HUB_RATE_LIMIT_PER_MINUTE)."
    )


@strawberry.input(description="A client to disable: it gets no new tokens, and its tokens stop working at once.")
class DisableClientInput:
    client_id: str = strawberry.field(description="The client's OAuth client_id.")


@dataclass(frozen=True)
class Registered:
    client: OAuthClient
    secret: str | None


async def register_client(session: AsyncSession, principal: Principal, given: RegisterClientInput) -> Registered:
    """Register a client for an agency; its secret (if it has one) exists only in this answer."""
    agency_id = row_id(given.agency_id, "Agency", "input", "agencyId")
    agency = (await agencies.by_ids(session, [agency_id])).get(agency_id)
    if agency is None:
        raise Refused.one(("input", "agencyId"), "No agency with that id exists.", ProblemCode.NOT_FOUND)
    scopes = _scopes(given.scopes)
    if given.rate_limit_per_minute is not None and not 10 <= given.rate_limit_per_minute <= 10_000_000:
        raise Refused.one(
            ("input", "rateLimitPerMinute"), "Give 10 to 10 000 000 points a minute.", ProblemCode.INVALID
        )
    try:
        issued = await _create(session, agency, given, scopes)
    except ClientError as error:
        raise Refused.one(("input",), f"{str(error)[:1].upper()}{str(error)[1:]}.", ProblemCode.INVALID) from None
    issued.client.rate_limit_per_minute = given.rate_limit_per_minute
    await session.flush()
    return Registered(issued.client, issued.secret or None)


async def _create(
    session: AsyncSession, agency: Agency, given: RegisterClientInput, scopes: set[Scope] | None
) -> IssuedClient:
    check = Checker()
    name = check.text(given.name, ("input", "name"), 200, required=True)
    check.done()
    roles = {Role(r) for r in given.roles}
    if given.public:
        client = await create_public_client(session, agency, name or "", roles, given.redirect_uris, scopes)
        return IssuedClient(client, "")  # a public client has no secret
    return await create_client(session, agency, name or "", roles, scopes, redirect_uris=given.redirect_uris)


def _scopes(given: list[str] | None) -> set[Scope] | None:
    if given is None:
        return None
    known = {s.value for s in Scope}
    for index, scope in enumerate(given):
        if scope not in known:
            raise Refused.one(
                ("input", "scopes", index),
                f"{scope!r} is not a scope of this hub; use one of {', '.join(sorted(known))}.",
                ProblemCode.INVALID,
            )
    return {Scope(s) for s in given}


async def disable(session: AsyncSession, principal: Principal, given: DisableClientInput) -> OAuthClient:
    """Disable a client: no new tokens, and every token it holds is refused from the next request on."""
    client = await repository.client_by_client_id(session, given.client_id.strip())
    if client is None:
        raise Refused.one(("input", "clientId"), "No client has that client_id.", ProblemCode.NOT_FOUND)
    if client.disabled_at is None:
        await disable_client(session, client)
    return client
