"""Fixtures of the live-update tests: a hub served by uvicorn in the test's event loop, on a committed database.

Notices go out only when a transaction commits, so these tests cannot run inside the usual rolled-back
transaction: like tests/referrals/test_concurrency.py they get a migrated database of their own.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from hub.agencies.models import AgencyKind
from hub.app import create_app
from hub.auth.scopes import Role
from hub.config import Settings
from hub.db import Database, upgrade
from hub.ids import global_id
from hub.referrals.models import ParticipantRole
from hub.referrals.models import Referral as ReferralRow
from tests.factories import create_agency, create_client, create_participant, create_referral, token_for

INIT_TIMEOUT = 0.5


@dataclass
class Live:
    """A running hub and what the tests act with."""

    base: str
    app: Starlette
    database: Database
    http: httpx.AsyncClient
    referrer: str  # a REFERRER of Essex Police, which referred `referral`
    stranger: str  # a REFERRER of Kent Police, which referred `other`
    staff: str  # a COORDINATOR of the RJ service
    referral: ReferralRow
    other: ReferralRow

    def id_of(self, row: ReferralRow) -> str:
        return global_id("Referral", row.id)

    async def subscribers(self, count: int) -> None:
        """Wait until the hub holds `count` subscriptions (a subscription is live once it is held)."""
        listener = self.app.state.hub.listener
        for _ in range(500):
            if len(listener.subscribers) == count:
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"{len(listener.subscribers)} subscriptions are held, not {count}")


@asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[str]:
    """Serve the app over real HTTP and WebSocket on a free loopback port; its base URL."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False, timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listening]))
    try:
        while not server.started:
            assert not task.done(), "the server stopped while starting"
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{listening.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        listening.close()


async def _seed(database: Database) -> dict:
    async with database.transaction() as session:
        essex = await create_agency(session, AgencyKind.POLICE, "Essex Police")
        kent = await create_agency(session, AgencyKind.POLICE, "Kent Police")
        rj = await create_agency(session, AgencyKind.RJ_SERVICE, "Essex RJ Service")
        referral = await create_referral(session, essex)
        await create_participant(session, referral, ParticipantRole.HARMED)
        return {
            "referrer": await create_client(session, essex, {Role.REFERRER}),
            "stranger": await create_client(session, kent, {Role.REFERRER}),
            "staff": await create_client(session, rj, {Role.COORDINATOR}),
            "referral": referral,
            "other": await create_referral(session, kent),
        }


@pytest.fixture
async def live(empty_database: str, settings: Settings) -> AsyncIterator[Live]:
    await asyncio.to_thread(upgrade, empty_database)
    database = Database.connect(empty_database, settings)
    seeded = await _seed(database)
    app = create_app(settings.model_copy(update={"ws_init_timeout": INIT_TIMEOUT}), database=database)
    async with app.router.lifespan_context(app), serving(app) as base, httpx.AsyncClient(base_url=base) as http:
        tokens = {name: await token_for(http, seeded[name]) for name in ("referrer", "stranger", "staff")}
        yield Live(base, app, database, http, **tokens, referral=seeded["referral"], other=seeded["other"])
    await database.dispose()
