"""Payloads: every event type matches its JSON Schema in schema/webhooks/ on real deliveries, stays small, is shaped
by the query field rules, and never carries a harmed party's details (to a prison, or to anyone)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import jsonschema_rs
import pytest

from hub.agencies.models import AgencyKind
from hub.api import access
from hub.auth.principal import Principal
from hub.auth.scopes import Role, scopes_for
from hub.columns import utcnow
from hub.ids import global_id
from hub.referrals.models import Stage
from hub.webhooks.models import WebhookEvent, WebhookEventType
from hub.webhooks.payloads import MAX_PAYLOAD_BYTES, data_for
from tests.factories import create_facilitator
from tests.referrals.casework import done
from tests.webhooks.conftest import accept, drain, submit, subscribe

SCHEMAS = Path(__file__).resolve().parents[2] / "schema" / "webhooks"
HARMED_PARTY = ("Morgan Ellis", "07700 900123", "morgan@example.org", "High St", "1961-04-02")


def schema_of(event_type: str) -> dict:
    return dict(json.loads((SCHEMAS / f"{event_type}.json").read_text()))


def test_there_is_one_valid_json_schema_per_event_type():
    assert sorted(p.stem for p in SCHEMAS.glob("*.json")) == sorted(t.value for t in WebhookEventType)
    for event_type in WebhookEventType:
        jsonschema_rs.meta.validate(schema_of(event_type))


async def test_real_payloads_of_every_type_match_their_schema(hook_http, world, receiver, worker, session):
    await subscribe(hook_http, world["staff"], receiver.url)
    facilitator = await create_facilitator(session, full_name="Robin Hale", sensitive_trained=True)
    staff = world["staff"]
    case = await accept(hook_http, staff, await submit(hook_http, world["referrer"]))
    case = await done(
        hook_http, staff, "allocateFacilitators", referralId=case["id"], version=case["version"],
        facilitatorIds=[global_id("Facilitator", facilitator.id)],
    )  # fmt: skip
    case = await done(hook_http, staff, "putOnHold", referralId=case["id"], version=case["version"], note="Sentencing.")
    case = await done(hook_http, staff, "resume", referralId=case["id"], version=case["version"])
    await done(hook_http, staff, "closeReferral", referralId=case["id"], version=case["version"], outcome="UNSUITABLE")
    other = await submit(hook_http, world["referrer"], "42/000099/26")
    await done(hook_http, staff, "declineReferral", referralId=other["id"], version=1, reason="OUT_OF_AREA")
    await drain(worker)
    seen = set()
    for request in receiver.requests:
        assert len(request.body) < MAX_PAYLOAD_BYTES
        jsonschema_rs.validator_for(schema_of(request.payload["type"])).validate(request.payload)
        seen.add(request.payload["type"])
    assert seen == {t.value for t in WebhookEventType}
    closed = next(p for p in receiver.payloads if p["type"] == "CASE_CLOSED")
    assert (closed["data"]["stageFrom"], closed["data"]["outcome"]) == ("ALLOCATED", "UNSUITABLE")


def test_a_schema_refuses_what_its_type_never_sends():
    payload = {"type": "CASE_CLOSED", "timestamp": "2026-11-23T12:00:00Z", "data": {"outcome": None}}
    assert not jsonschema_rs.validator_for(schema_of("CASE_CLOSED")).is_valid(payload)


async def test_a_prison_never_receives_a_harmed_partys_details(hook_http, world, receiver, worker):
    await subscribe(hook_http, world["prison"], receiver.url)
    case = await submit(hook_http, world["prison"], "HMP/12/26")
    await accept(hook_http, world["staff"], case)
    await drain(worker)
    assert len(receiver.requests) == 2
    for request in receiver.requests:
        for detail in HARMED_PARTY:
            assert detail not in request.body.decode()


def _event() -> WebhookEvent:
    return WebhookEvent(
        id=uuid.uuid4(),
        type=WebhookEventType.REFERRAL_ACCEPTED,
        referral_id=uuid.uuid4(),
        occurred_at=utcnow(),
        reference="RJ-2026-000123",
        agency_reference="42/1/26",
        stage_from=Stage.RECEIVED,
        stage_to=Stage.ACCEPTED,
    )


def _principal(role: Role, kind: AgencyKind) -> Principal:
    return Principal(uuid.uuid4(), kind, "client", "client", frozenset({role}), scopes_for({role}))


def test_payload_fields_follow_the_query_field_rules(monkeypatch: pytest.MonkeyPatch):
    event = _event()
    referrer = _principal(Role.REFERRER, AgencyKind.POLICE)
    assert data_for(event, referrer)["agencyReference"] == "42/1/26"
    restricted = {**access.FIELD_RULES["Referral"], "agencyReference": access.SERVICE_STAFF}
    monkeypatch.setitem(access.FIELD_RULES, "Referral", restricted)
    assert data_for(event, referrer)["agencyReference"] is None
    assert data_for(event, _principal(Role.COORDINATOR, AgencyKind.RJ_SERVICE))["agencyReference"] == "42/1/26"
