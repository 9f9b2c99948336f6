"""Failures: retried on the schedule (or after Retry-After), in order per referral, without holding back other
referrals; 410 disables at once, five days of failures disable too, and the owner can read why."""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import sqlalchemy as sa

from hub.webhooks.worker import SCHEDULE, retry_delay
from tests.factories import graphql
from tests.webhooks.conftest import accept, deliveries, drain, submit, subscribe
from tests.webhooks.receiver import Reply

SUBSCRIPTIONS = "{ webhookSubscriptions { edges { node { id status disabledAt disabledReason failingSince } } } }"
RESUME = """
mutation Resume($input: WebhookSubscriptionInput!) {
  resumeWebhookSubscription(input: $input) { subscription { status disabledReason } userErrors { code } }
}
"""


def test_the_schedule_is_about_5s_5min_30min_2h_5h_10h_14h_20h_24h_then_nothing():
    rng = random.Random(1)
    hours = [round(retry_delay(n, None, rng).total_seconds() / 3600, 1) for n in range(1, 10)]  # type: ignore[union-attr]
    assert [step.total_seconds() for step in SCHEDULE] == [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]
    for n, step in enumerate(SCHEDULE, start=1):
        wait = retry_delay(n, None, rng)
        assert wait is not None and step * 0.9 <= wait <= step * 1.1
    assert hours[-1] >= 21.6
    assert retry_delay(10, None, rng) is None
    assert retry_delay(3, timedelta(seconds=42), rng) == timedelta(seconds=42)


async def test_a_receiver_down_for_a_while_gets_every_event_in_order(hook_http, world, receiver, worker, clock):
    await subscribe(hook_http, world["staff"], receiver.url)
    cases = [await submit(hook_http, world["referrer"], f"42/00000{n}/26") for n in range(2)]
    for case in cases:
        await accept(hook_http, world["staff"], case)
    receiver.fail_first(7)
    for step in SCHEDULE[:4]:  # down for about 2.5 hours
        await drain(worker)
        clock.advance(seconds=step.total_seconds() * 1.2)
    await drain(worker)
    succeeded = receiver.requests[7:]
    assert len(succeeded) == 4
    for case in cases:
        mine = [r.payload["type"] for r in succeeded if r.reference == case["reference"]]
        assert mine == ["REFERRAL_RECEIVED", "REFERRAL_ACCEPTED"]
    assert sorted(r.payload["data"]["sequence"] for r in succeeded) == [1, 2, 3, 4]


async def test_one_failing_event_holds_back_its_referral_only(hook_http, world, receiver, worker, clock, session):
    await subscribe(hook_http, world["staff"], receiver.url)
    stuck, flowing = [await submit(hook_http, world["referrer"], f"42/00001{n}/26") for n in range(2)]
    receiver.answer = lambda r: Reply(500) if r.reference == stuck["reference"] else Reply()
    await accept(hook_http, world["staff"], stuck)
    await accept(hook_http, world["staff"], flowing)
    await drain(worker)
    arrived = [(r.reference, r.payload["type"]) for r in receiver.requests]
    assert (flowing["reference"], "REFERRAL_ACCEPTED") in arrived
    assert (stuck["reference"], "REFERRAL_ACCEPTED") not in arrived  # held behind its failing REFERRAL_RECEIVED
    receiver.answer = lambda r: Reply()
    clock.advance(seconds=6)
    await drain(worker)
    mine = [r.payload["type"] for r in receiver.requests if r.reference == stuck["reference"]]
    assert mine == ["REFERRAL_RECEIVED", "REFERRAL_RECEIVED", "REFERRAL_ACCEPTED"]
    assert {row["status"] for row in await deliveries(session)} == {"DELIVERED"}
    assert len({r.webhook_id for r in receiver.requests if r.reference == stuck["reference"]}) == 2


async def test_retry_after_is_honoured_and_the_schedule_ends_in_abandon(
    hook_http, world, receiver, worker, clock, session
):
    await subscribe(hook_http, world["referrer"], receiver.url, ["REFERRAL_RECEIVED"])
    await submit(hook_http, world["referrer"])
    receiver.answer = lambda r: Reply(429, {"Retry-After": "120"})
    await drain(worker)
    (row,) = await deliveries(session)
    assert row["status"] == "FAILED"
    assert timedelta(seconds=119) < row["next_attempt_at"] - clock() <= timedelta(seconds=120)
    receiver.answer = lambda r: Reply(404)  # retried too, on the schedule (as polar and Saleor do)
    clock.advance(seconds=121)
    await drain(worker)
    for step in SCHEDULE[1:]:
        clock.advance(seconds=step.total_seconds() * 1.11)
        await drain(worker)
    (row,) = await deliveries(session)
    assert (row["status"], row["attempts"], row["next_attempt_at"]) == ("ABANDONED", 10, None)
    assert len(receiver.requests) == 10


async def test_410_disables_the_subscription_at_once_and_resume_enables_it(hook_http, world, receiver, worker, session):
    subscription_id, _ = await subscribe(hook_http, world["referrer"], receiver.url)
    referral = await submit(hook_http, world["referrer"])
    receiver.answer = lambda r: Reply(410)
    await drain(worker)
    await accept(hook_http, world["staff"], referral)  # nothing is queued for a disabled subscription
    assert await drain(worker) == 0
    (node,) = await _subscriptions(hook_http, world["referrer"])
    assert node["status"] == "DISABLED" and node["disabledReason"].startswith("The endpoint answered 410 Gone")
    assert [row["status"] for row in await deliveries(session)] == ["ABANDONED"]
    resumed = await graphql(hook_http, world["referrer"], RESUME, {"input": {"subscriptionId": subscription_id}})
    assert resumed["data"]["resumeWebhookSubscription"]["subscription"] == {"status": "ACTIVE", "disabledReason": None}


async def test_five_days_of_failures_disable_with_a_reason(hook_http, world, receiver, worker, clock, session):
    await subscribe(hook_http, world["referrer"], receiver.url)
    receiver.answer = lambda r: Reply(502)
    for n in range(6):
        await submit(hook_http, world["referrer"], f"42/00002{n}/26")
        await drain(worker)
        (node,) = await _subscriptions(hook_http, world["referrer"])
        if node["status"] == "DISABLED":
            break
        assert node["failingSince"] is not None
        clock.advance(days=1, minutes=1)
    assert n == 5
    assert node["disabledReason"].startswith("Every delivery failed from ")
    assert {row["status"] for row in await deliveries(session)} == {"ABANDONED"}


async def test_a_hanging_endpoint_times_out_and_is_recorded(hook_http, world, receiver, worker, session):
    await subscribe(hook_http, world["referrer"], receiver.url, ["REFERRAL_RECEIVED"])
    await submit(hook_http, world["referrer"])
    release = threading.Event()
    receiver.answer = lambda r: Reply(hold=release)
    try:
        await drain(worker)
    finally:
        release.set()
    attempt = (await session.execute(sa.text("SELECT * FROM webhook_attempt"))).mappings().one()
    assert attempt["status_code"] is None and attempt["error"] == "No complete answer within 1 s."
    assert 900 <= attempt["duration_ms"] < 3000


async def _subscriptions(http, token) -> list[dict]:
    result = await graphql(http, token, SUBSCRIPTIONS)
    assert "errors" not in result, result
    return [edge["node"] for edge in result["data"]["webhookSubscriptions"]["edges"]]


async def test_a_redirect_is_not_followed_and_counts_as_a_failure(hook_http, world, receiver, worker, session):
    await subscribe(hook_http, world["referrer"], receiver.url, ["REFERRAL_RECEIVED"])
    await submit(hook_http, world["referrer"])
    receiver.answer = lambda r: Reply(307, {"Location": "http://169.254.169.254/latest/meta-data"})
    await drain(worker)
    assert len(receiver.requests) == 1
    (row,) = await deliveries(session)
    assert row["status"] == "FAILED"
    attempt = (await session.execute(sa.text("SELECT status_code FROM webhook_attempt"))).scalar_one()
    assert attempt == 307
