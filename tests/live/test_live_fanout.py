"""Two `hub serve` processes on one database: a change made through either reaches subscribers on both."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractContextManager
from dataclasses import dataclass

import httpx
import pytest

from hub.agencies.models import AgencyKind
from hub.auth.scopes import Role
from hub.config import Settings
from hub.db import Database, drop_database, ensure_database, upgrade, with_database
from hub.ids import global_id
from hub.live.listener import APPLICATION_NAME
from hub.referrals.models import Referral
from tests.factories import create_agency, create_client, create_referral, token_for
from tests.live.wsclient import acknowledged
from tests.referrals.casework import done
from tests.servers import serving as hub_process

PUBLIC_URL = "http://127.0.0.1:8000"  # behind one load balancer, both processes are the same issuer
LISTENING = "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND query ILIKE 'LISTEN%'"


def serving(url: str) -> AbstractContextManager[str]:
    """`hub serve --no-worker` on the database at url, in a process of its own; its base URL."""
    return hub_process(url, "--no-worker", HUB_PUBLIC_URL=PUBLIC_URL)


@dataclass
class Pair:
    a: str
    b: str
    url: str
    referrer: str  # a REFERRER of the agency that made `referral` (its token from process A)
    staff: str  # a COORDINATOR (its token from process B)
    referral: Referral


@pytest.fixture
async def pair(server_url: str, settings: Settings) -> AsyncIterator[Pair]:
    name = f"hub_live_{uuid.uuid4().hex[:8]}"
    await ensure_database(server_url, name)
    url = with_database(server_url, name)
    await asyncio.to_thread(upgrade, url)
    database = Database.connect(url, settings)
    async with database.transaction() as session:
        police = await create_agency(session, AgencyKind.POLICE, "Essex Police")
        rj = await create_agency(session, AgencyKind.RJ_SERVICE, "Essex RJ Service")
        referrer, staff = await create_client(session, police), await create_client(session, rj, {Role.COORDINATOR})
        referral = await create_referral(session, police)
    await database.dispose()
    try:
        with serving(url) as a, serving(url) as b:
            async with httpx.AsyncClient(base_url=a) as on_a, httpx.AsyncClient(base_url=b) as on_b:
                yield Pair(a, b, url, await token_for(on_a, referrer), await token_for(on_b, staff), referral)
    finally:
        await drop_database(server_url, name)


async def listening(url: str, processes: int) -> None:
    """Wait until `processes` hub processes LISTEN for stage changes."""
    import asyncpg

    from hub.db import plain_url

    connection = await asyncpg.connect(plain_url(url))
    try:
        for _ in range(500):
            if await connection.fetchval(LISTENING, APPLICATION_NAME) == processes:
                return
            await asyncio.sleep(0.01)
    finally:
        await connection.close()
    raise AssertionError(f"{processes} hub processes are not listening")


async def change_through(base: str, pair: Pair, name: str, **input: object) -> dict:
    async with httpx.AsyncClient(base_url=base) as http:
        return await done(http, pair.staff, name, referralId=global_id("Referral", pair.referral.id), **input)


async def test_a_change_made_through_either_process_reaches_subscribers_on_both(pair):
    async with acknowledged(pair.a, pair.referrer) as on_a, acknowledged(pair.b, pair.staff) as on_b:
        await on_a.subscribe("case", referralId=global_id("Referral", pair.referral.id))
        await on_b.subscribe("every")
        await listening(pair.url, processes=2)
        await change_through(pair.b, pair, "acceptReferral", version=1)
        heard_first = [await on_a.receive(), await on_b.receive()]
        await change_through(pair.a, pair, "putOnHold", version=2, note="Awaiting the victim's decision.")
        heard_next = [await on_a.receive(), await on_b.receive()]
    changes = [
        [message["payload"]["data"]["referralStageChanged"] for message in heard] for heard in (heard_first, heard_next)
    ]
    moves = [[(change["from"], change["to"], change["referral"]["version"]) for change in heard] for heard in changes]
    assert moves == [[("RECEIVED", "ACCEPTED", 2)] * 2, [("ACCEPTED", "ON_HOLD", 3)] * 2]
