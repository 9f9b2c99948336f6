"""Fixtures of the webhook tests: a loopback receiver, an app that may send to it, and a worker on a test clock."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette

from hub.agencies.models import AgencyKind
from hub.app import create_app
from hub.auth.scopes import Role
from hub.columns import utcnow
from hub.config import Settings
from hub.db import Database
from hub.webhooks.worker import Worker
from tests.conftest import PUBLIC_URL
from tests.factories import create_agency, create_client, graphql, token_for
from tests.referrals.casework import done
from tests.referrals.test_process import SUBMISSION
from tests.webhooks.receiver import Receiver, running_receiver

CREATE = """
mutation Create($input: CreateWebhookSubscriptionInput!) {
  createWebhookSubscription(input: $input) {
    secret subscription { id url eventTypes status } userErrors { field message code }
  }
}
"""


class Clock:
    """The worker's time: the real time plus however far a test has moved it on."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, **amount: float) -> None:
        self.offset += timedelta(**amount)


@pytest.fixture(scope="session")
def hook_settings(settings: Settings) -> Settings:
    """Loopback endpoints allowed (HUB_WEBHOOK_ALLOW_PRIVATE_NETWORKS=1), short timeouts, one delivery a round (the
    test's single connection runs one statement at a time)."""
    changes = {
        "webhook_allow_private_networks": True,
        "webhook_timeout_seconds": 1.0,
        "webhook_lease_seconds": 5.0,
        "webhook_batch_size": 1,
    }
    return settings.model_copy(update=changes)


@pytest.fixture
async def hook_app(hook_settings: Settings, database: Database) -> AsyncIterator[Starlette]:
    application = create_app(hook_settings, database=database)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def hook_http(hook_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=hook_app), base_url=PUBLIC_URL) as client:
        yield client


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def worker(database: Database, hook_settings: Settings, clock: Clock) -> AsyncIterator[Worker]:
    worker = Worker(database, hook_settings, clock=clock, rng=random.Random(7))
    yield worker
    await worker.client.aclose()


@pytest.fixture
async def world(hook_http: httpx.AsyncClient, session) -> dict[str, Any]:
    """A police force and a prison that refer, and the RJ service's co-ordinator."""
    police = await create_agency(session, AgencyKind.POLICE, "Essex Police")
    prison = await create_agency(session, AgencyKind.PRISON, "HMP Chelmsford")
    rj = await create_agency(session, AgencyKind.RJ_SERVICE, "Essex RJ Service")
    police_client = await create_client(session, police, {Role.REFERRER})
    return {
        "police": police,
        "police_client": police_client,
        "referrer": await token_for(hook_http, police_client),
        "other_referrer": await token_for(hook_http, await create_client(session, police, {Role.REFERRER})),
        "prison": await token_for(hook_http, await create_client(session, prison, {Role.REFERRER})),
        "staff": await token_for(hook_http, await create_client(session, rj, {Role.COORDINATOR})),
        "auditor": await token_for(hook_http, await create_client(session, rj, {Role.AUDITOR})),
    }


async def subscribe(
    http: httpx.AsyncClient, token: str, url: str, event_types: list[str] | None = None
) -> tuple[str, str]:
    """Create a subscription that must succeed: its id and its secret."""
    given = {"url": url, "eventTypes": event_types or ["REFERRAL_RECEIVED", "STAGE_CHANGED"]}
    result = await graphql(http, token, CREATE, {"input": given})
    assert "errors" not in result, result
    created = result["data"]["createWebhookSubscription"]
    assert created["userErrors"] == [], created["userErrors"]
    return created["subscription"]["id"], created["secret"]


async def submit(http: httpx.AsyncClient, token: str, agency_reference: str = "42/123456/26") -> dict[str, Any]:
    """Submit the standard referral under the given agency reference: the referral as returned."""
    return await done(http, token, "submitReferral", **{**SUBMISSION, "agencyReference": agency_reference})


async def accept(http: httpx.AsyncClient, staff: str, referral: dict[str, Any]) -> dict[str, Any]:
    return await done(http, staff, "acceptReferral", referralId=referral["id"], version=referral["version"])


async def drain(worker: Worker, rounds: int = 50) -> int:
    """Run the worker until nothing is due; how many attempts it made."""
    made = 0
    for _ in range(rounds):
        attempted = await worker.run_once()
        if not attempted:
            return made
        made += attempted
    raise AssertionError("the worker still had work after many rounds")


async def deliveries(session, **where: Any) -> list[Any]:
    """The delivery rows, oldest first (status, attempts, sequence ...)."""
    rows = await session.execute(sa.text("SELECT * FROM webhook_delivery ORDER BY position"))
    return [row for row in rows.mappings() if all(row[k] == v for k, v in where.items())]
