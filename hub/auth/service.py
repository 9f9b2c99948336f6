"""The business rules of OAuth clients; the only code that writes them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from hub.agencies.models import Agency
from hub.auth.models import OAuthClient
from hub.auth.passwords import hash_secret, new_secret
from hub.auth.scopes import SERVICE_ROLES, Role, Scope, scopes_for
from hub.columns import utcnow
from hub.facilitators.models import Facilitator


class ClientError(Exception):
    """A client cannot be created as asked; the message says why."""


@dataclass(frozen=True)
class IssuedClient:
    """A new client and its secret, which exists only here: the database keeps just its hash."""

    client: OAuthClient
    secret: str


def _check_roles(agency: Agency, roles: set[Role]) -> None:
    if not roles:
        raise ClientError("give at least one role")
    if roles & SERVICE_ROLES and agency.kind != "RJ_SERVICE":
        names = " and ".join(sorted(r.value for r in roles & SERVICE_ROLES))
        raise ClientError(f"the role {names} is only for the RJ service's own agency, not for {agency.name!r}")


async def create_client(
    session: AsyncSession,
    agency: Agency,
    name: str,
    roles: set[Role],
    scopes: set[Scope] | None = None,
    facilitator: Facilitator | None = None,
) -> IssuedClient:
    """Register a client-credentials client for the agency; its scopes default to everything its roles allow."""
    _check_roles(agency, roles)
    if facilitator is not None and Role.FACILITATOR not in roles:
        raise ClientError("only a client with the FACILITATOR role may act for a facilitator")
    allowed = scopes_for(roles)
    if scopes:
        refused = scopes - allowed
        if refused:
            names = ", ".join(sorted(s.value for s in refused))
            raise ClientError(f"the roles given do not allow the scopes: {names}")
    granted = scopes or allowed
    secret = new_secret()
    client = OAuthClient(
        client_id=f"hub_{secrets.token_urlsafe(12)}",
        name=name.strip() or agency.name,
        agency_id=agency.id,
        secret_hash=hash_secret(secret),
        roles=sorted(r.value for r in roles),
        scopes=sorted(s.value for s in granted),
        facilitator_id=facilitator.id if facilitator else None,
    )
    session.add(client)
    await session.flush()
    return IssuedClient(client, secret)


async def disable_client(session: AsyncSession, client: OAuthClient) -> None:
    """Stop the client getting new tokens."""
    client.disabled_at = utcnow()
    session.add(client)
    await session.flush()
