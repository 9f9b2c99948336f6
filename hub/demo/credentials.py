"""Demo credentials: a service manager's client generated at start, and a token ready to paste."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
import typer

from hub.agencies.models import Agency, AgencyKind
from hub.auth.keys import open_keyring
from hub.auth.models import OAuthClient
from hub.auth.scopes import Role
from hub.auth.server import RegisteredClient
from hub.auth.service import create_client, disable_client
from hub.auth.tokens import AccessTokenGenerator
from hub.config import Settings
from hub.db import Database

DEMO_CLIENT_NAME = "Demo console (generated at start)"


@dataclass(frozen=True)
class DemoCredentials:
    client_id: str
    client_secret: str
    access_token: str
    expires_in: int
    agency: str
    loaded_referrals: int | None


async def seed_demo(database: Database, settings: Settings, *, reuse: bool = False) -> DemoCredentials | None:
    """Load demo data into an empty database (or, with reuse, keep what is there) and issue a demo client.

    None when the database already holds data and reuse is off, or when it has no RJ service agency.
    """
    from hub.demo import load_demo

    async with database.transaction() as session:
        demo = await load_demo(session)
        if demo is None and not reuse:
            return None
        service = (
            await session.execute(sa.select(Agency).where(Agency.kind == AgencyKind.RJ_SERVICE).order_by(Agency.name))
        ).scalar()
        if service is None:
            return None
        previous = await session.execute(
            sa.select(OAuthClient).where(OAuthClient.name == DEMO_CLIENT_NAME, OAuthClient.disabled_at.is_(None))
        )
        for old in previous.scalars():
            await disable_client(session, old)
        issued = await create_client(session, service, DEMO_CLIENT_NAME, {Role.MANAGER})
    keyring = await open_keyring(database, settings.access_token_ttl)
    client = RegisteredClient(row=issued.client, agency_kind=service.kind.value)
    token = AccessTokenGenerator(settings, keyring).generate(
        grant_type="client_credentials", client=client, include_refresh_token=False
    )
    return DemoCredentials(
        client_id=issued.client.client_id,
        client_secret=issued.secret,
        access_token=token["access_token"],
        expires_in=int(token["expires_in"]),
        agency=service.name,
        loaded_referrals=demo.referral_count if demo else None,
    )


def print_demo(credentials: DemoCredentials, settings: Settings) -> None:
    """Print the URL, the client, a token and a curl command that uses it."""
    url = f"{settings.issuer}/graphql"
    if credentials.loaded_referrals is not None:
        typer.echo(f"Loaded demo data: {credentials.loaded_referrals} referrals from a county's partner agencies.")
    query = (
        '{"query":"{ viewer { clientId roles agency { name } } '
        'referrals(first: 3) { edges { node { reference stage } } } }"}'
    )
    typer.echo(
        "\n".join(
            [
                "",
                f"RJ Partner Hub: {url}" + ("   (GraphiQL in a browser)" if not settings.is_production else ""),
                f"Demo client of {credentials.agency} (role MANAGER), generated at this start:",
                f"  client_id:     {credentials.client_id}",
                f"  client_secret: {credentials.client_secret}",
                f"  access token (valid {credentials.expires_in // 60} minutes):",
                f"  {credentials.access_token}",
                "",
                "Try it:",
                f"  curl -s {url} -H 'Content-Type: application/json' \\",
                f"    -H 'Authorization: Bearer {credentials.access_token}' \\",
                f"    -d '{query}'",
                "",
                "A fresh token:",
                f"  curl -s -u {credentials.client_id}:{credentials.client_secret} "
                f"-d grant_type=client_credentials {settings.issuer}/oauth/token",
                "",
            ]
        )
    )
