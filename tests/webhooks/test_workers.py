"""Workers on a committed database: a `hub worker` process killed with SIGKILL mid-delivery loses nothing (another
delivers after the lease ends, with the same webhook-id and body) and SIGTERM stops one cleanly; concurrent workers
send each delivery once; `hub serve` runs one alongside the app; a stopping worker gives its leases back."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest
import sqlalchemy as sa

from hub.agencies.models import Agency, AgencyKind
from hub.app import create_app
from hub.auth.principal import Principal
from hub.auth.scopes import Role, scopes_for
from hub.db import Database, upgrade
from hub.referrals.models import Stage
from hub.webhooks import service
from hub.webhooks.events import emit
from hub.webhooks.models import WebhookEventType
from hub.webhooks.ssrf import UrlPolicy
from hub.webhooks.types import CreateWebhookSubscriptionInput
from hub.webhooks.worker import Worker, alongside
from tests.factories import create_agency, create_client, create_referral
from tests.webhooks.receiver import Received, Reply, running_receiver

LEASE_SECONDS = 3


@pytest.fixture
async def committed(empty_database, settings):
    """A migrated database of its own, where every transaction commits (so worker processes see it)."""
    await asyncio.to_thread(upgrade, empty_database)
    database = Database.connect(empty_database, settings)
    yield empty_database, database
    await database.dispose()


async def queue_one_event(database: Database, url: str) -> uuid.UUID:
    """A partner subscribed to url, and one committed REFERRAL_RECEIVED for it; the event's id."""
    async with database.transaction() as session:
        police = await create_agency(session, AgencyKind.POLICE, "Essex Police")
        client = (await create_client(session, police, {Role.REFERRER})).client
        roles = frozenset({Role.REFERRER})
        owner = Principal(police.id, AgencyKind.POLICE, client.client_id, client.client_id, roles, scopes_for(roles))
        given = CreateWebhookSubscriptionInput(url=url, event_types=[WebhookEventType.REFERRAL_RECEIVED])
        await service.create_subscription(session, owner, given, UrlPolicy(allow_private=True, require_https=False))
        referral = await create_referral(session, police)
        return await emit(session, referral, WebhookEventType.REFERRAL_RECEIVED, None, Stage.RECEIVED)


def start_worker(url: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "HUB_WEBHOOK_ALLOW_PRIVATE_NETWORKS": "1",
        "HUB_WEBHOOK_TIMEOUT_SECONDS": "2",
        "HUB_WEBHOOK_LEASE_SECONDS": str(LEASE_SECONDS),
        "HUB_WEBHOOK_POLL_SECONDS": "0.1",
    }
    command = [sys.executable, "-m", "hub", "worker"]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


async def wait_for(condition, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.05)


async def test_a_worker_killed_mid_delivery_loses_nothing(committed):
    url, database = committed
    release = threading.Event()
    with running_receiver() as receiver:
        first_hangs = [True]

        def answer(request: Received) -> Reply:
            hang, first_hangs[0] = first_hangs[0], False
            return Reply(hold=release) if hang else Reply()

        receiver.answer = answer
        event_id = await queue_one_event(database, receiver.url)
        doomed = start_worker(url)
        try:
            await wait_for(receiver.arrived.is_set)  # the first worker is mid-delivery: the endpoint hangs
            doomed.kill()
            doomed.communicate(timeout=10)
        finally:
            release.set()
        killed_at = time.monotonic()
        survivor = start_worker(url)
        try:
            await wait_for(lambda: len(receiver.requests) == 2)
            waited = time.monotonic() - killed_at
        finally:
            survivor.send_signal(signal.SIGTERM)
            output, _ = survivor.communicate(timeout=15)
    assert survivor.returncode == 0, output
    assert "stopped" in output
    first, second = receiver.requests
    assert first.webhook_id == second.webhook_id == f"msg_{event_id.hex}"
    assert first.body == second.body
    assert waited >= LEASE_SECONDS - 1  # the survivor waited for the lease to end
    async with database.transaction() as session:
        row = (await session.execute(sa.text("SELECT status, attempts, lease_owner FROM webhook_delivery"))).one()
        assert tuple(row) == ("DELIVERED", 2, None)
        codes = (await session.execute(sa.text("SELECT status_code FROM webhook_attempt"))).scalars().all()
        assert codes == [200]  # the killed worker never got to record its attempt


async def queue_events(database: Database, url: str, count: int) -> None:
    """A subscription to url and `count` committed events, each about its own referral."""
    await queue_one_event(database, url)
    async with database.transaction() as session:
        police_id = (await session.execute(sa.text("SELECT id FROM agency"))).scalar_one()
        police = await session.get(Agency, police_id)
        for _ in range(count - 1):
            referral = await create_referral(session, police)
            await emit(session, referral, WebhookEventType.REFERRAL_RECEIVED, None, Stage.RECEIVED)


async def test_concurrent_workers_send_each_delivery_once_numbered_without_gaps(committed, settings):
    _, database = committed
    hooks = settings.model_copy(update={"webhook_allow_private_networks": True, "webhook_batch_size": 4})
    with running_receiver() as receiver:
        await queue_events(database, receiver.url, 24)
        workers = [Worker(database, hooks) for _ in range(3)]
        try:
            while sum(await asyncio.gather(*(w.run_once() for w in workers))):
                pass
        finally:
            for worker in workers:
                await worker.client.aclose()
    ids = [r.webhook_id for r in receiver.requests]
    assert len(ids) == len(set(ids)) == 24
    assert sorted(r.payload["data"]["sequence"] for r in receiver.requests) == list(range(1, 25))


async def test_hub_serve_runs_a_worker_with_the_app(committed, settings):
    _, database = committed
    hooks = settings.model_copy(update={"webhook_allow_private_networks": True, "webhook_poll_seconds": 0.05})
    with running_receiver() as receiver:
        await queue_one_event(database, receiver.url)
        app = alongside(create_app(hooks, database=database), hooks)
        async with app.router.lifespan_context(app):
            await wait_for(lambda: len(receiver.requests) == 1, 10)
    async with database.transaction() as session:
        assert (await session.execute(sa.text("SELECT status FROM webhook_delivery"))).scalar_one() == "DELIVERED"


async def test_a_stopping_worker_gives_its_leases_back(committed, settings):
    _, database = committed
    hooks = settings.model_copy(update={"webhook_allow_private_networks": True})
    await queue_one_event(database, "http://127.0.0.1:9/never")
    worker = Worker(database, hooks)
    (claimed,) = await worker.claim()
    assert claimed.delivery.lease_owner == worker.name
    await worker.release()
    await worker.client.aclose()
    async with database.transaction() as session:
        owner = (await session.execute(sa.text("SELECT lease_owner FROM webhook_delivery"))).scalar_one()
    assert owner is None
