"""Events reach a real endpoint on loopback, signed (checked with the standardwebhooks verifier), numbered, in
order per referral, and each delivery is a DISCLOSURE in the audit trail; a rolled-back change sends nothing."""

from __future__ import annotations

import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook

from hub.auth.principal import Principal
from hub.referrals import service
from hub.referrals.inputs import AcceptReferralInput
from hub.webhooks.models import webhook_id
from tests.factories import graphql
from tests.webhooks.conftest import accept, deliveries, drain, submit, subscribe

DELIVERIES = """
query Deliveries($id: ID!) {
  webhookDeliveries(subscriptionId: $id, first: 10) {
    edges { node {
      webhookId eventType sequence status deliveredAt nextAttemptAt payload
      attempts { statusCode durationMs error responseExcerpt }
    } }
  }
}
"""


async def test_events_arrive_signed_numbered_and_as_the_api_says(hook_http, world, receiver, worker, session):
    subscription_id, secret = await subscribe(hook_http, world["referrer"], receiver.url)
    assert secret.startswith("whsec_")
    referral = await submit(hook_http, world["referrer"])
    await accept(hook_http, world["staff"], referral)

    assert await drain(worker) == 2
    first, second = receiver.requests
    for request in (first, second):
        assert Webhook(secret).verify(request.body, request.headers) == request.payload
        assert request.headers["content-type"] == "application/json"
    rows = await deliveries(session)
    assert [r.webhook_id for r in receiver.requests] == [webhook_id(row["event_id"]) for row in rows]
    assert first.payload["type"] == "REFERRAL_RECEIVED"
    assert first.payload["timestamp"].endswith("Z")
    assert second.payload["data"] == {
        "referralId": referral["id"],
        "reference": referral["reference"],
        "agencyReference": "42/123456/26",
        "stageFrom": "RECEIVED",
        "stageTo": "ACCEPTED",
        "outcome": None,
        "sequence": 2,
    }
    assert [p["type"] for p in receiver.payloads] == ["REFERRAL_RECEIVED", "REFERRAL_ACCEPTED"]

    listed = await graphql(hook_http, world["referrer"], DELIVERIES, {"id": subscription_id})
    nodes = [edge["node"] for edge in listed["data"]["webhookDeliveries"]["edges"]]
    assert [(n["eventType"], n["sequence"], n["status"]) for n in nodes] == [
        ("REFERRAL_ACCEPTED", 2, "DELIVERED"),
        ("REFERRAL_RECEIVED", 1, "DELIVERED"),
    ]
    assert nodes[0]["payload"] == second.payload
    (attempt,) = nodes[0]["attempts"]
    assert attempt["statusCode"] == 200 and attempt["error"] is None and attempt["responseExcerpt"] == '{"ok": true}'


async def test_each_delivery_is_a_disclosure_in_the_audit_trail(hook_http, world, receiver, worker, session):
    await subscribe(hook_http, world["referrer"], receiver.url, ["REFERRAL_RECEIVED"])
    referral = await submit(hook_http, world["referrer"])
    await drain(worker)
    (request,) = receiver.requests
    entry = (await session.execute(sa.text("SELECT * FROM audit_entry WHERE action = 'DISCLOSURE'"))).mappings().one()
    assert entry["operation"] == "webhookDelivery"
    assert entry["request_id"] == request.headers["webhook-id"]
    assert receiver.url in entry["recipient"] and world["police_client"].client.client_id in entry["recipient"]
    (named,) = entry["records"]
    assert (named["type"], named["id"]) == ("Referral", str(_row(referral["id"])))
    assert named["fields"] == ["agencyReference", "reference", "referralId", "sequence", "stageTo"]


async def test_a_rolled_back_change_sends_nothing(hook_http, world, receiver, worker, session):
    await subscribe(hook_http, world["staff"], receiver.url, ["STAGE_CHANGED"])
    referral = await submit(hook_http, world["referrer"])
    staff = await _staff_principal(session)
    async with session.begin_nested() as change:
        row_id = _row(referral["id"])
        await service.accept(session, staff, AcceptReferralInput(referral_id=referral["id"], version=1))
        written = await _count(session, "webhook_delivery WHERE referral_id = :id", id=row_id)
        assert written == 1  # the outbox row was in the change...
        await change.rollback()
    assert (
        await _count(session, "webhook_event WHERE referral_id = :id AND type <> 'REFERRAL_RECEIVED'", id=row_id) == 0
    )
    assert await drain(worker) == 0  # ...and went with it
    assert receiver.requests == []


async def test_a_partner_receives_only_events_about_referrals_it_may_see(hook_http, world, receiver, worker):
    await subscribe(hook_http, world["prison"], receiver.url)
    await subscribe(hook_http, world["other_referrer"], receiver.url)  # same police force: sees its referrals
    police_case = await submit(hook_http, world["referrer"])
    await drain(worker)
    assert [r.reference for r in receiver.requests] == [police_case["reference"]]
    prison_case = await submit(hook_http, world["prison"], "HMP/77/26")
    await drain(worker)
    assert [r.reference for r in receiver.requests][1:] == [prison_case["reference"]]


def _row(global_value: str):
    import uuid

    from strawberry import relay

    return uuid.UUID(relay.GlobalID.from_id(global_value).node_id)


async def _count(session, where: str, **parameters) -> int:
    return int((await session.execute(sa.text(f"SELECT count(*) FROM {where}"), parameters)).scalar_one())  # noqa: S608


async def _staff_principal(session) -> Principal:
    from hub.agencies.models import AgencyKind
    from hub.auth.scopes import Role, scopes_for

    agency_id = (await session.execute(sa.text("SELECT id FROM agency WHERE kind = 'RJ_SERVICE'"))).scalar_one()
    roles = frozenset({Role.COORDINATOR})
    return Principal(agency_id, AgencyKind.RJ_SERVICE, "staff", "staff", roles, scopes_for(roles))
