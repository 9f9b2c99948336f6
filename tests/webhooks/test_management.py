"""Managing subscriptions through GraphQL: secrets shown once and rotated with a day's overlap, pause and resume,
delete, redelivery and replay; and a partner reaches only its own subscriptions."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from hub.columns import utcnow
from tests.factories import graphql
from tests.webhooks.conftest import accept, deliveries, drain, submit, subscribe
from tests.webhooks.receiver import Reply

SUBSCRIPTION = "subscription { id url eventTypes status previousSecretExpiresAt } userErrors { field message code }"


def _mutation(name: str, input_type: str, fields: str = SUBSCRIPTION) -> str:
    return f"mutation M($input: {input_type}!) {{ {name}(input: $input) {{ {fields} }} }}"


ROTATE = _mutation("rotateWebhookSecret", "WebhookSubscriptionInput", f"secret {SUBSCRIPTION}")
PAUSE = _mutation("pauseWebhookSubscription", "WebhookSubscriptionInput")
RESUME = _mutation("resumeWebhookSubscription", "WebhookSubscriptionInput")
UPDATE = _mutation("updateWebhookSubscription", "UpdateWebhookSubscriptionInput")
DELETE = _mutation("deleteWebhookSubscription", "WebhookSubscriptionInput", "deletedSubscriptionId userErrors { code }")
REDELIVER = _mutation(
    "redeliverWebhook",
    "RedeliverWebhookInput",
    "delivery { id status webhookId attempts { statusCode } } userErrors { code }",
)
REPLAY = _mutation("replayWebhookEvents", "ReplayWebhookEventsInput", "queued userErrors { field code }")
LIST = "{ webhookSubscriptions { edges { node { id url } } } }"
DELIVERY_IDS = "query D($id: ID!) { webhookDeliveries(subscriptionId: $id) { edges { node { id webhookId } } } }"


async def call(http, token: str, text: str, **given) -> dict:
    result = await graphql(http, token, text, {"input": given})
    assert "errors" not in result, result
    return next(iter(result["data"].values()))


async def test_a_rotated_secret_signs_alongside_the_old_one_for_a_day(hook_http, world, receiver, worker, clock):
    subscription_id, old = await subscribe(hook_http, world["referrer"], receiver.url, ["REFERRAL_RECEIVED"])
    rotated = await call(hook_http, world["referrer"], ROTATE, subscriptionId=subscription_id)
    new = rotated["secret"]
    assert new.startswith("whsec_") and new != old
    overlap = rotated["subscription"]["previousSecretExpiresAt"]
    assert overlap is not None
    await submit(hook_http, world["referrer"], "42/000031/26")
    clock.advance(hours=23)
    await drain(worker)
    await submit(hook_http, world["referrer"], "42/000032/26")
    clock.advance(hours=2)  # past the day of overlap
    await drain(worker)
    during, after = receiver.requests
    for secret in (old, new):
        Webhook(secret).verify(during.body, during.headers)
    Webhook(new).verify(after.body, after.headers)
    try:
        Webhook(old).verify(after.body, after.headers)
        raise AssertionError("the old secret still signs after a day")
    except WebhookVerificationError:
        pass


async def test_secrets_are_never_readable_again(hook_http, world, receiver):
    await subscribe(hook_http, world["referrer"], receiver.url)
    refused = await graphql(hook_http, world["referrer"], "{ webhookSubscriptions { edges { node { secret } } } }")
    assert "Cannot query field 'secret'" in refused["errors"][0]["message"]


async def test_a_paused_subscription_keeps_events_and_sends_them_in_order_on_resume(hook_http, world, receiver, worker):
    subscription_id, _ = await subscribe(hook_http, world["referrer"], receiver.url)
    paused = await call(hook_http, world["referrer"], PAUSE, subscriptionId=subscription_id)
    assert paused["subscription"]["status"] == "PAUSED"
    referral = await submit(hook_http, world["referrer"])
    await accept(hook_http, world["staff"], referral)
    assert await drain(worker) == 0
    await call(hook_http, world["referrer"], RESUME, subscriptionId=subscription_id)
    await drain(worker)
    assert [p["type"] for p in receiver.payloads] == ["REFERRAL_RECEIVED", "REFERRAL_ACCEPTED"]


async def test_update_changes_url_and_event_types_for_future_events(hook_http, world, receiver, worker):
    subscription_id, _ = await subscribe(hook_http, world["referrer"], "http://127.0.0.1:9/elsewhere")
    updated = await call(
        hook_http,
        world["referrer"],
        UPDATE,
        subscriptionId=subscription_id,
        url=receiver.url,
        eventTypes=["CASE_CLOSED"],
    )
    assert updated["subscription"]["url"] == receiver.url
    assert updated["subscription"]["eventTypes"] == ["CASE_CLOSED"]
    await submit(hook_http, world["referrer"])
    assert await drain(worker) == 0


async def test_a_deleted_subscription_is_gone_and_its_history_kept(hook_http, world, receiver, worker, session):
    subscription_id, _ = await subscribe(hook_http, world["referrer"], receiver.url)
    receiver.answer = lambda r: Reply(500)
    await submit(hook_http, world["referrer"])
    await drain(worker)
    deleted = await call(hook_http, world["referrer"], DELETE, subscriptionId=subscription_id)
    assert deleted == {"deletedSubscriptionId": subscription_id, "userErrors": []}
    listed = await graphql(hook_http, world["referrer"], LIST)
    assert listed["data"]["webhookSubscriptions"]["edges"] == []
    assert [row["status"] for row in await deliveries(session)] == ["ABANDONED"]
    assert (await session.execute(sa.text("SELECT count(*) FROM webhook_attempt"))).scalar_one() == 1


async def test_redelivery_sends_the_same_message_again(hook_http, world, receiver, worker):
    subscription_id, secret = await subscribe(hook_http, world["referrer"], receiver.url, ["REFERRAL_RECEIVED"])
    await submit(hook_http, world["referrer"])
    await drain(worker)
    listed = await graphql(hook_http, world["referrer"], DELIVERY_IDS, {"id": subscription_id})
    (node,) = [edge["node"] for edge in listed["data"]["webhookDeliveries"]["edges"]]
    again = await call(hook_http, world["referrer"], REDELIVER, deliveryId=node["id"])
    assert again["delivery"]["status"] == "PENDING" and again["delivery"]["attempts"] == [{"statusCode": 200}]
    await drain(worker)
    first, second = receiver.requests
    assert first.webhook_id == second.webhook_id == node["webhookId"]
    assert first.body == second.body
    Webhook(secret).verify(second.body, second.headers)


async def test_replay_sends_the_events_of_a_period_again_in_order(hook_http, world, receiver, worker):
    subscription_id, _ = await subscribe(hook_http, world["referrer"], receiver.url)
    since = utcnow() - timedelta(minutes=1)
    referral = await submit(hook_http, world["referrer"])
    await accept(hook_http, world["staff"], referral)
    await drain(worker)
    replayed = await call(hook_http, world["referrer"], REPLAY, subscriptionId=subscription_id, since=since.isoformat())
    assert replayed == {"queued": 2, "userErrors": []}
    await drain(worker)
    originals, replays = receiver.requests[:2], receiver.requests[2:]
    assert [r.webhook_id for r in replays] == [r.webhook_id for r in originals]
    assert [r.payload["type"] for r in replays] == ["REFERRAL_RECEIVED", "REFERRAL_ACCEPTED"]
    assert [r.payload["data"]["sequence"] for r in receiver.requests] == [1, 2, 3, 4]
    too_old = await call(
        hook_http, world["referrer"], REPLAY, subscriptionId=subscription_id, since="2020-01-01T00:00:00Z"
    )
    assert too_old == {"queued": None, "userErrors": [{"field": ["input", "since"], "code": "INVALID"}]}


async def test_a_partner_reaches_only_its_own_subscriptions(hook_http, world, receiver):
    subscription_id, _ = await subscribe(hook_http, world["referrer"], receiver.url)
    other = await call(hook_http, world["other_referrer"], PAUSE, subscriptionId=subscription_id)
    assert other["subscription"] is None and other["userErrors"][0]["code"] == "NOT_FOUND"
    theirs = await graphql(hook_http, world["other_referrer"], LIST)
    assert theirs["data"]["webhookSubscriptions"]["edges"] == []
    staff = await graphql(hook_http, world["staff"], LIST)
    assert [edge["node"]["id"] for edge in staff["data"]["webhookSubscriptions"]["edges"]] == [subscription_id]
    denied = await graphql(hook_http, world["auditor"], LIST)
    assert denied["data"]["webhookSubscriptions"] is None
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
