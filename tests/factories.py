"""Small create_* helpers that build test data directly (the services under test are exercised over HTTP)."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub.agencies.models import Agency, AgencyKind
from hub.agencies.service import create_agency as service_create_agency
from hub.auth.models import OAuthClient, User
from hub.auth.scopes import Role, Scope
from hub.auth.service import IssuedClient, create_public_client
from hub.auth.service import create_client as service_create_client
from hub.auth.service import create_user as service_create_user
from hub.facilitators.models import Accreditation, Allocation, Facilitator
from hub.referrals.models import IncidentKind, Participant, ParticipantRole, Referral, Stage, StageEvent

_counter = itertools.count(1)


async def create_agency(session: AsyncSession, kind: AgencyKind = AgencyKind.POLICE, name: str | None = None) -> Agency:
    return await service_create_agency(
        session, name or f"{kind.value.title()} agency {next(_counter)}", kind, ["Colchester"]
    )


async def create_client(
    session: AsyncSession,
    agency: Agency,
    roles: set[Role] | None = None,
    scopes: set[Scope] | None = None,
    facilitator: Facilitator | None = None,
) -> IssuedClient:
    return await service_create_client(session, agency, "test client", roles or {Role.REFERRER}, scopes, facilitator)


async def create_referral(
    session: AsyncSession,
    agency: Agency,
    *,
    stage: Stage = Stage.RECEIVED,
    submitted_at: datetime | None = None,
    district: str = "Colchester",
    incident_kind: IncidentKind = IncidentKind.CRIME,
    **fields: Any,
) -> Referral:
    number = (await session.execute(sa.text("SELECT nextval('referral_reference_seq')"))).scalar_one()
    submitted_at = submitted_at or datetime.now(UTC) - timedelta(days=1)
    values: dict[str, Any] = {
        "reference": f"RJ-{submitted_at.year}-{number:06d}",
        "referring_agency_id": agency.id,
        "agency_reference": f"42/{number:06d}/26",
        "referrer_name": "PC Sam Taylor",
        "referrer_email": "sam.taylor@police.example.org",
        "district": district,
        "incident_kind": incident_kind,
        "offence_category": "Criminal damage",
        "reported_to_police": True,
        "responsibility_admitted": True,
        "summary": "Windows of a community hall broken; the person responsible wants to make amends.",
        "stage": stage,
        "content_hash": hashlib.sha256(str(number).encode()).hexdigest(),
        "submitted_at": submitted_at,
        "updated_at": submitted_at,
    }
    values.update(fields)
    referral = Referral(**values)
    session.add(referral)
    await session.flush()
    session.add(StageEvent(referral_id=referral.id, from_stage=None, to_stage=Stage.RECEIVED, at=submitted_at))
    if stage != Stage.RECEIVED:
        moved = submitted_at + timedelta(hours=1)
        session.add(StageEvent(referral_id=referral.id, from_stage=Stage.RECEIVED, to_stage=stage, at=moved))
    await session.flush()
    return referral


async def create_participant(
    session: AsyncSession, referral: Referral, role: ParticipantRole = ParticipantRole.HARMED, **fields: Any
) -> Participant:
    values: dict[str, Any] = {
        "full_name": f"Alex Morgan {next(_counter)}",
        "date_of_birth": date(1980, 5, 17),
        "phone": "07700 900123",
        "email": "alex@example.org",
        "address": "1 High Street, Colchester",
        "interpreter_language": "Polish",
        "position": next(_counter),
    }
    values.update(fields)
    participant = Participant(referral_id=referral.id, role=role, **values)
    session.add(participant)
    await session.flush()
    return participant


async def create_facilitator(session: AsyncSession, referral: Referral | None = None, **fields: Any) -> Facilitator:
    values: dict[str, Any] = {"full_name": f"Jordan Price{next(_counter)}", "accreditation": Accreditation.ACCREDITED}
    values.update(fields)
    facilitator = Facilitator(**values)
    session.add(facilitator)
    await session.flush()
    if referral is not None:
        session.add(Allocation(referral_id=referral.id, facilitator_id=facilitator.id))
        await session.flush()
    return facilitator


async def token_for(http: httpx.AsyncClient, issued: IssuedClient, scope: str | None = None) -> str:
    data = {"grant_type": "client_credentials"}
    if scope is not None:
        data["scope"] = scope
    response = await http.post("/oauth/token", data=data, auth=(issued.client.client_id, issued.secret))
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def graphql(
    http: httpx.AsyncClient, token: str, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _unverified_part(token: str, index: int) -> dict[str, Any]:
    part = token.split(".")[index]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


def unverified_header(token: str) -> dict[str, Any]:
    """A JWT's header, read without checking anything (for assertions only)."""
    return _unverified_part(token, 0)


def unverified_claims(token: str) -> dict[str, Any]:
    """A JWT's claims, read without checking anything (for assertions only)."""
    return _unverified_part(token, 1)


PORTAL_CALLBACK = "https://portal.example.org/callback"
PASSWORD = "correct horse battery staple"


async def create_user(
    session: AsyncSession,
    agency: Agency,
    roles: set[Role] | None = None,
    *,
    email: str | None = None,
    facilitator: Facilitator | None = None,
) -> User:
    """A person of the agency who signs in with PASSWORD."""
    email = email or f"person{next(_counter)}@example.org"
    issued = await service_create_user(
        session, agency, email, roles or {Role.REFERRER}, facilitator=facilitator, password=PASSWORD
    )
    return issued.user


async def create_portal(
    session: AsyncSession, agency: Agency, roles: set[Role] | None = None, redirect_uris: tuple[str, ...] = ()
) -> OAuthClient:
    """A public portal client (PKCE, no secret) of the agency."""
    uris = redirect_uris or (PORTAL_CALLBACK,)
    return await create_public_client(session, agency, "Test portal", roles or {Role.REFERRER}, uris)


@asynccontextmanager
async def serving_partner_and_service(
    database: Any, settings: Any, service_role: Role
) -> AsyncIterator[tuple[httpx.AsyncClient, str, str]]:
    """On a database whose transactions commit (the committed_database fixture): Essex Police with a referrer
    client, Essex RJ Service with a client of `service_role`, and the app serving them. Gives the HTTP client, the
    referrer's token and the service client's."""
    from hub.app import create_app
    from tests.conftest import PUBLIC_URL

    async with database.transaction() as session:
        police = await create_agency(session, AgencyKind.POLICE, "Essex Police")
        rj = await create_agency(session, AgencyKind.RJ_SERVICE, "Essex RJ Service")
        referrer = await create_client(session, police, {Role.REFERRER})
        service = await create_client(session, rj, {service_role})
    app = create_app(settings, database=database)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL) as http:
            yield http, await token_for(http, referrer), await token_for(http, service)
