"""The delivery worker: claim due deliveries, sign and send them, record what happened. Run any number of them.

Claiming takes a lease with `FOR UPDATE SKIP LOCKED`, so workers never wait on each other and a worker killed
mid-delivery only delays its deliveries until the lease ends; then another sends them, with the same webhook-id
and body. A failure is retried at about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h (±10%), or
after the Retry-After of a 429 or 503; then the delivery is ABANDONED. Every non-2xx answer is retried this way
(as polar and Saleor do: a 401 after a secret rotation or a 404 during a deploy is usually fixed within hours),
except 410 Gone, which disables the subscription at once. Five days of nothing but failures disable it too, with
a reason its owner can read. One referral's events reach a subscriber in order: an unsettled earlier delivery
holds back the later ones of that referral, never another referral's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import secrets
import signal
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from hub.audit.models import AuditAction
from hub.audit.service import Actor, PendingEntry, append, record
from hub.columns import utcnow
from hub.config import Settings
from hub.db import Database
from hub.webhooks import payloads, repository, sending
from hub.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookSubscription, webhook_id
from hub.webhooks.repository import Claimed
from hub.webhooks.ssrf import UrlPolicy

log = logging.getLogger(__name__)

SCHEDULE = tuple(
    timedelta(seconds=s) for s in (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 14 * 3600, 20 * 3600, 86400)
)
JITTER = 0.1
DISABLE_AFTER = timedelta(days=5)
STOP_GRACE_SECONDS = 5.0
AUDIT_OPERATION = "webhookDelivery"
RECIPIENT_MAX_LENGTH = 500


def retry_delay(attempts: int, retry_after: timedelta | None, rng: random.Random) -> timedelta | None:
    """How long to wait after the `attempts`-th failed attempt; None when the schedule is used up."""
    if attempts > len(SCHEDULE):
        return None
    if retry_after is not None:
        return retry_after
    return SCHEDULE[attempts - 1] * rng.uniform(1 - JITTER, 1 + JITTER)


def signing_secrets(subscription: WebhookSubscription, now: datetime) -> list[str]:
    """The secrets that sign now: the current one, and the previous one for a day after a rotation."""
    previous, expires = subscription.previous_secret, subscription.previous_secret_expires_at
    return [subscription.secret] + ([previous] if previous and expires and expires > now else [])


def worker_name() -> str:
    """A name no other worker has: host, process and a random suffix (it marks the leases this worker holds)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(3)}"


class Worker:
    """One delivery worker. `clock` is the time it schedules by (tests move it; signatures use the real time)."""

    def __init__(
        self,
        database: Database,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utcnow,
        client: httpx.AsyncClient | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.database, self.settings, self.clock = database, settings, clock
        self.name = worker_name()
        self.policy = UrlPolicy.of(settings)
        self.client = client or sending.new_client()
        self.rng = rng or random.Random()  # noqa: S311  (jitter, not security)

    async def run_once(self) -> int:
        """Claim what is due, send it all at once, record each result; how many deliveries were attempted."""
        claimed = await self.claim()
        await asyncio.gather(*(self.deliver(one) for one in claimed))
        return len(claimed)

    async def claim(self) -> list[Claimed]:
        """Lease up to a batch of due deliveries; number and build the bodies of those never sent."""
        now = self.clock()
        lease_until = now + timedelta(seconds=self.settings.webhook_lease_seconds)
        async with self.database.transaction() as session:
            batch = self.settings.webhook_batch_size
            deliveries = await repository.claim_due(session, self.name, now, lease_until, batch)
            if not deliveries:
                return []
            claimed = await repository.sending_context(session, deliveries)
            await _number(session, [c for c in claimed if c.delivery.body is None])
            return claimed

    async def deliver(self, claimed: Claimed) -> None:
        """Send one claimed delivery and record the attempt."""
        subscription, delivery = claimed.subscription, claimed.delivery
        assert delivery.body is not None  # built when claimed
        message = sending.Message(
            subscription.url, webhook_id(delivery.event_id), delivery.body, signing_secrets(subscription, self.clock())
        )
        started = self.clock()
        try:
            result = await sending.post(self.client, message, self.policy, self.settings.webhook_timeout_seconds)
        except Exception as error:  # a fault of the hub's, not the endpoint's: recorded, and retried like one
            log.warning("webhook worker %s: sending failed (%s)", self.name, type(error).__name__)
            result = sending.AttemptResult(None, 0, f"The hub could not send it ({type(error).__name__}).", sent=False)
        await self.record(claimed, result, started)

    async def record(self, claimed: Claimed, result: sending.AttemptResult, started: datetime) -> None:
        """Write the attempt, settle the delivery if this worker still holds it, and audit the disclosure."""
        now = self.clock()
        async with self.database.transaction() as session:
            subscription = await repository.lock_subscription(session, claimed.subscription.id)
            delivery = await repository.leased_delivery(session, claimed.delivery.id, self.name)
            session.add(_attempt(claimed.delivery.id, result, started))
            if delivery is not None:
                await self._settle(session, subscription, delivery, result, now)
            if result.sent:
                await _record_disclosure(session, claimed)

    async def _settle(
        self,
        session: AsyncSession,
        subscription: WebhookSubscription,
        delivery: WebhookDelivery,
        result: sending.AttemptResult,
        now: datetime,
    ) -> None:
        delivery.lease_owner = delivery.lease_expires_at = None
        if result.succeeded:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = DeliveryStatus.DELIVERED, now, None
            subscription.failing_since = None
            return
        subscription.failing_since = subscription.failing_since or now
        reason = _why_disable(subscription, result, now)
        if reason is not None:
            await disable(session, subscription, reason, now)
            return
        wait = retry_delay(delivery.attempts, result.retry_after, self.rng)
        delivery.status = DeliveryStatus.FAILED if wait is not None else DeliveryStatus.ABANDONED
        delivery.next_attempt_at = now + wait if wait is not None else None

    async def release(self) -> None:
        """Give back the leases this worker holds, so others take its deliveries at once."""
        async with self.database.transaction() as session:
            await repository.release_leases(session, self.name)

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set; poll when there is nothing to do; release leases on the way out."""
        log.info("webhook worker %s started", self.name)
        try:
            while not stop.is_set():
                busy = await self._round()
                if not busy:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), self.settings.webhook_poll_seconds)
        finally:
            await self.release()
            await self.client.aclose()
            log.info("webhook worker %s stopped", self.name)

    async def _round(self) -> int:
        try:
            return await self.run_once()
        except Exception as error:  # the database went away, say: try again after a pause
            log.warning("webhook worker %s: round failed (%s)", self.name, type(error).__name__)
            return 0


def _why_disable(subscription: WebhookSubscription, result: sending.AttemptResult, now: datetime) -> str | None:
    stamp = now.strftime("%Y-%m-%d %H:%M UTC")
    if result.status_code == 410:
        return f"The endpoint answered 410 Gone at {stamp}, so deliveries stopped."
    since = subscription.failing_since
    if since is not None and now - since >= DISABLE_AFTER:
        return f"Every delivery failed from {since.strftime('%Y-%m-%d %H:%M UTC')} to {stamp}, so deliveries stopped."
    return None


async def disable(session: AsyncSession, subscription: WebhookSubscription, reason: str, now: datetime) -> None:
    """Stop delivering to the subscription, with the reason its owner reads; what was still due is abandoned."""
    subscription.disabled_at, subscription.disabled_reason, subscription.updated_at = now, reason, now
    await session.flush()
    await repository.abandon_outstanding(session, subscription.id)


async def _number(session: AsyncSession, unsent: Sequence[Claimed]) -> None:
    """Give each never-sent delivery its subscription's next running number and its body, in delivery order."""
    by_subscription: dict = {}
    for one in sorted(unsent, key=lambda c: (c.subscription.id, c.delivery.position or 0)):
        by_subscription.setdefault(one.subscription.id, []).append(one)
    for subscription_id, group in by_subscription.items():  # sorted: numbering locks are taken in one order
        numbers = await repository.next_sequences(session, subscription_id, len(group))
        for one, number in zip(group, numbers, strict=True):
            receiver = repository.principal_of(one.subscription, one.agency_kind)
            one.delivery.sequence = number
            one.delivery.body = payloads.build(one.event, receiver, number)
    await session.flush()


def _attempt(delivery_id: uuid.UUID, result: sending.AttemptResult, started: datetime) -> WebhookAttempt:
    return WebhookAttempt(
        delivery_id=delivery_id,
        attempted_at=started,
        status_code=result.status_code,
        duration_ms=result.duration_ms,
        error=result.error,
        response_excerpt=result.excerpt,
    )


async def _record_disclosure(session: AsyncSession, claimed: Claimed) -> None:
    """The audit trail's DISCLOSURE entry: which referral's fields went to which subscriber, under which id."""
    subscription, delivery = claimed.subscription, claimed.delivery
    assert delivery.body is not None
    recipient = f"webhook subscription {subscription.id} of client {subscription.client_id}: {subscription.url}"
    entry = PendingEntry(
        action=AuditAction.DISCLOSURE,
        operation=AUDIT_OPERATION,
        records=[record("Referral", delivery.referral_id, payloads.field_names(delivery.body))],
        actor=Actor(None, None),
        request_id=webhook_id(delivery.event_id),
        recipient=recipient[:RECIPIENT_MAX_LENGTH],
    )
    await append(session, entry)


@asynccontextmanager
async def running(worker: Worker) -> AsyncIterator[None]:
    """Run the worker in the background while the block runs; on the way out let it finish its round (a few
    seconds at most), then cancel it."""
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        yield
    finally:
        stop.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), STOP_GRACE_SECONDS)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def run_until_signalled(database: Database, settings: Settings) -> None:
    """`hub worker`: deliver until SIGTERM or SIGINT, then stop gracefully (leases released)."""
    signalled = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, signalled.set)
    async with running(Worker(database, settings)):
        await signalled.wait()


def alongside(app: Starlette, settings: Settings) -> Starlette:
    """`hub serve`: run a worker in the app's process, started and stopped with the app (on its database)."""
    started_with = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Starlette) -> AsyncIterator[None]:
        async with started_with(application):
            async with running(Worker(application.state.hub.database, settings)):
                yield

    app.router.lifespan_context = lifespan
    return app
