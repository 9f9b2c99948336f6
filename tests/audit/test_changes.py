"""Every change a mutation makes writes one audit entry in its transaction: who, what, which records and columns."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from hub.agencies.models import AgencyKind
from hub.audit.models import GENESIS_HASH, AuditAction
from hub.audit.verify import Verdict, verify_chain
from hub.auth.scopes import Role
from hub.ids import global_id
from tests.audit.trail import as_text, count, entries
from tests.factories import create_agency, create_client, create_facilitator, create_referral, graphql, token_for
from tests.referrals.casework import done, payload
from tests.referrals.test_process import SUBMISSION

REFERRAL_COLUMNS = [
    "agency_reference",
    "content_hash",
    "district",
    "id",
    "incident_kind",
    "offence_category",
    "reference",
    "referrer_email",
    "referrer_name",
    "referrer_phone",
    "referring_agency_id",
    "reported_to_police",
    "responsibility_admitted",
    "sensitivity",
    "stage",
    "submitted_at",
    "summary",
    "updated_at",
    "version",
]


@pytest.fixture
async def world(http, session):
    police = await create_agency(session, AgencyKind.POLICE, "Essex Police")
    rj = await create_agency(session, AgencyKind.RJ_SERVICE, "Essex RJ Service")
    referrer = await create_client(session, police, {Role.REFERRER})
    staff = await create_client(session, rj, {Role.COORDINATOR})
    return {
        "police": police,
        "rj": rj,
        "referrer_client": referrer.client,
        "staff_client": staff.client,
        "referrer": await token_for(http, referrer),
        "staff": await token_for(http, staff),
        "auditor": await token_for(http, await create_client(session, rj, {Role.AUDITOR})),
        "robin": await create_facilitator(session, full_name="Robin Hale", sensitive_trained=True),
        "sam": await create_facilitator(session, full_name="Sam Okafor", sensitive_trained=True),
    }


def row_id(global_value: str) -> str:
    from strawberry import relay

    return relay.GlobalID.from_id(global_value).node_id


def changes(entry) -> list[tuple[str, str]]:
    return [(r["type"], r["change"]) for r in entry.records]


async def test_a_submission_is_one_collection_entry_naming_records_and_columns_never_values(http, session, world):
    referral = await done(http, world["referrer"], "submitReferral", **SUBMISSION)
    (entry,) = await entries(session)
    assert (entry.sequence, entry.action, entry.operation) == (1, AuditAction.COLLECTION, "submitReferral")
    assert entry.actor_agency_id == world["police"].id
    assert (entry.actor_client_id, entry.actor_person) == (world["referrer_client"].client_id, None)
    assert re.fullmatch("[0-9a-f]{32}", entry.request_id or "")
    assert entry.source_address == "127.0.0.1"
    assert entry.prev_hash == GENESIS_HASH
    assert sorted(changes(entry)) == [
        ("Participant", "INSERT"),
        ("Participant", "INSERT"),
        ("Referral", "INSERT"),
        ("StageEvent", "INSERT"),
    ]
    (referral_record,) = [r for r in entry.records if r["type"] == "Referral"]
    assert referral_record == {
        "type": "Referral",
        "id": row_id(referral["id"]),
        "fields": REFERRAL_COLUMNS,
        "change": "INSERT",
    }
    harmed = next(r for r in entry.records if r["type"] == "Participant" and "phone" in r["fields"])
    assert {"full_name", "date_of_birth", "email", "address", "preferred_contact"} <= set(harmed["fields"])
    text = as_text(entry)
    for value in (
        "Morgan Ellis",
        "07700 900123",
        "morgan@example.org",
        "High St",
        "A1234BC",
        "42/123456/26",
        "Windows",
    ):
        assert value not in text


async def test_a_transition_is_one_alteration_entry_chained_to_the_last(http, session, world):
    referral = await done(http, world["referrer"], "submitReferral", **SUBMISSION)
    await done(http, world["staff"], "acceptReferral", referralId=referral["id"], version=1, note="Eligible.")
    first, second = await entries(session)
    assert (second.sequence, second.prev_hash) == (2, first.hash)
    assert (second.action, second.operation) == (AuditAction.ALTERATION, "acceptReferral")
    assert second.actor_agency_id == world["rj"].id and second.actor_client_id == world["staff_client"].client_id
    (case,) = [r for r in second.records if r["type"] == "Referral"]
    assert case == {
        "type": "Referral",
        "id": row_id(referral["id"]),
        "fields": ["stage", "updated_at", "version"],
        "change": "UPDATE",
    }
    assert sorted(changes(second)) == [("Referral", "UPDATE"), ("StageEvent", "INSERT")]
    assert "Eligible" not in as_text(second)
    assert await verify_chain(session) == Verdict(2)


async def test_a_refused_change_writes_no_entry(http, session, world):
    referral = await done(http, world["referrer"], "submitReferral", **SUBMISSION)
    stale = await payload(http, world["staff"], "acceptReferral", referralId=referral["id"], version=7)
    assert [e["code"] for e in stale["userErrors"]] == ["STALE_VERSION"]
    denied = await graphql(
        http,
        world["auditor"],
        "mutation($input: AcceptReferralInput!) { acceptReferral(input: $input) { userErrors { code } } }",
        {"input": {"referralId": referral["id"], "version": 1}},
    )
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await count(session) == 1


async def test_resending_the_same_submission_changes_nothing_and_writes_nothing(http, session, world):
    await done(http, world["referrer"], "submitReferral", **SUBMISSION)
    again = await payload(http, world["referrer"], "submitReferral", **SUBMISSION)
    assert again["userErrors"] == []
    assert await count(session) == 1


async def test_a_bulk_delete_is_captured_with_the_rows_it_removed(http, session, world):
    referral = await done(http, world["referrer"], "submitReferral", **SUBMISSION)
    await done(http, world["staff"], "acceptReferral", referralId=referral["id"], version=1)
    robin, sam = (global_id("Facilitator", world[name].id) for name in ("robin", "sam"))
    for version, facilitator in ((2, robin), (3, sam)):
        await done(
            http,
            world["staff"],
            "allocateFacilitators",
            referralId=referral["id"],
            version=version,
            facilitatorIds=[facilitator],
        )
    last = (await entries(session))[-1]
    rid = row_id(referral["id"])
    assert last.action == AuditAction.ALTERATION
    assert sorted((r["type"], r["change"], r["id"]) for r in last.records) == [
        ("Allocation", "DELETE", f"{rid}/{world['robin'].id}"),  # removed by a bulk DELETE statement
        ("Allocation", "INSERT", f"{rid}/{world['sam'].id}"),
        ("Referral", "UPDATE", rid),
    ]


async def test_each_mutation_of_a_request_writes_its_own_entry_in_order(http, session, world):
    first = await done(http, world["referrer"], "submitReferral", **SUBMISSION)
    second = await done(http, world["referrer"], "submitReferral", **{**SUBMISSION, "agencyReference": "42/999999/26"})
    both = """
    mutation Both($accept: AcceptReferralInput!, $decline: DeclineReferralInput!) {
      acceptReferral(input: $accept) { userErrors { code } }
      declineReferral(input: $decline) { userErrors { code } }
    }
    """
    variables = {
        "accept": {"referralId": first["id"], "version": 1},
        "decline": {"referralId": second["id"], "version": 1, "reason": "OUT_OF_AREA"},
    }
    result = await graphql(http, world["staff"], both, variables)
    assert "errors" not in result, result
    accepted, declined = (await entries(session))[2:]
    assert (accepted.operation, declined.operation) == ("acceptReferral", "declineReferral")
    assert accepted.request_id == declined.request_id
    assert (accepted.sequence, declined.sequence, declined.prev_hash) == (3, 4, accepted.hash)


async def test_changes_outside_referrals_are_audited_too(http, session, world):
    result = await graphql(
        http,
        world["staff"],
        "mutation($input: UpdateFacilitatorInput!) { updateFacilitator(input: $input) { userErrors { code } } }",
        {"input": {"facilitatorId": global_id("Facilitator", world["robin"].id), "active": False}},
    )
    assert result["data"]["updateFacilitator"]["userErrors"] == []
    (entry,) = await entries(session)
    assert (entry.action, entry.operation) == (AuditAction.ALTERATION, "updateFacilitator")
    assert entry.records == [
        {"type": "Facilitator", "id": str(world["robin"].id), "fields": ["active"], "change": "UPDATE"}
    ]


async def test_noting_an_update_leaves_the_instance_to_reference_counting(session):
    """The capture reads an updated instance's history without making its AttributeStates, which refer back to
    its state: a cycle that only the cycle collector would free, with the instance and all it holds."""
    from hub.audit.capture import ChangeCapture

    police = await create_agency(session, AgencyKind.POLICE)
    referral = await create_referral(session, police)
    capture = ChangeCapture()
    with capture.watching(session.sync_session):
        referral.district = "Elsewhere"
        await session.flush()
    assert [(r["change"], r["fields"]) for r in capture.records()] == [("UPDATE", ["district"])]
    assert "attrs" not in vars(sa.inspect(referral))
