"""Each request that read restricted personal data writes one CONSULTATION entry: who, which records, which fields."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from hub.agencies.models import AgencyKind
from hub.api.context import Context
from hub.audit.models import AuditAction
from hub.auth.principal import Principal
from hub.auth.scopes import Role, scopes_for
from hub.referrals.models import ParticipantRole
from tests.audit.trail import as_text, count, entries
from tests.factories import create_agency, create_client, create_participant, create_referral, graphql, token_for
from tests.referrals.test_process import SUBMISSION

CONTACTS = """
query Contacts($reference: String!) {
  referral(reference: $reference) { reference participants { id fullName contact { phone } } }
}
"""


@pytest.fixture
async def case(http, session):
    police = await create_agency(session, AgencyKind.POLICE, "Essex Police")
    rj = await create_agency(session, AgencyKind.RJ_SERVICE, "Essex RJ Service")
    referral = await create_referral(session, police)
    harmed = await create_participant(session, referral, ParticipantRole.HARMED)
    responsible = await create_participant(session, referral, ParticipantRole.RESPONSIBLE)
    manager = await create_client(session, rj, {Role.MANAGER})
    return {
        "rj": rj,
        "referral": referral,
        "people": sorted(str(p.id) for p in (harmed, responsible)),
        "manager_client": manager.client,
        "manager": await token_for(http, manager),
        "referrer": await token_for(http, await create_client(session, police, {Role.REFERRER})),
        "staff": await token_for(http, await create_client(session, rj, {Role.COORDINATOR})),
    }


def a_manager() -> Principal:
    """The service's manager, signed in through the portal."""
    return Principal(
        agency_id=uuid.uuid4(),
        agency_kind=AgencyKind.RJ_SERVICE,
        client_id="hub_portal",
        subject=str(uuid.UUID(int=7)),
        roles=frozenset({Role.MANAGER}),
        scopes=scopes_for({Role.MANAGER}),
    )


async def test_context_writes_one_consultation_entry_for_the_reads_it_noted(database, settings, session):
    principal = a_manager()
    context = Context(principal=principal, database=database, settings=settings, source_address="203.0.113.5")
    context.note_read("Participant", uuid.UUID(int=2), "contact")
    context.note_read("Participant", uuid.UUID(int=2), "preferredContact")
    context.note_read("Participant", uuid.UUID(int=1), "contact")
    await context.finish(commit=False)
    (entry,) = await entries(session)
    assert (entry.action, entry.operation) == (AuditAction.CONSULTATION, "query")
    assert (entry.actor_agency_id, entry.actor_client_id) == (principal.agency_id, "hub_portal")
    assert entry.actor_person == str(uuid.UUID(int=7))  # a person signed in: the token's subject
    assert (entry.request_id, entry.source_address) == (context.request_id, "203.0.113.5")
    assert entry.records == [
        {"type": "Participant", "id": str(uuid.UUID(int=1)), "fields": ["contact"]},
        {"type": "Participant", "id": str(uuid.UUID(int=2)), "fields": ["contact", "preferredContact"]},
    ]


async def test_reads_of_a_query_whose_transaction_failed_are_noted_in_a_fresh_one(database, settings, session):
    """A query's reads are noted in its own transaction, but one whose statement failed cannot take more: the
    entry is then written in a new transaction, so a read is never left out of the trail."""
    principal = a_manager()
    context = Context(principal=principal, database=database, settings=settings)
    context.note_read("Participant", uuid.UUID(int=2), "contact")
    with pytest.raises(DBAPIError):
        await context.session.execute(sa.text("SELECT 1 / 0"))  # the transaction is now aborted
    await context.finish(commit=False)
    (entry,) = await entries(session)
    assert (entry.action, entry.operation) == (AuditAction.CONSULTATION, "query")


async def test_a_manager_reading_contact_details_writes_one_consultation_entry(http, session, case):
    """End to end: the field rules note the read, the request records it."""
    result = await graphql(http, case["manager"], CONTACTS, {"reference": case["referral"].reference})
    assert "errors" not in result, result
    (entry,) = await entries(session)
    assert (entry.action, entry.operation) == (AuditAction.CONSULTATION, "query")
    assert (entry.actor_agency_id, entry.actor_client_id) == (case["rj"].id, case["manager_client"].client_id)
    assert entry.source_address == "127.0.0.1"
    assert entry.records == [{"type": "Participant", "id": pid, "fields": ["contact"]} for pid in case["people"]]
    assert "07700 900123" not in as_text(entry)


async def test_a_denied_read_and_a_read_of_nothing_restricted_write_nothing(http, session, case):
    denied = await graphql(http, case["referrer"], CONTACTS, {"reference": case["referral"].reference})
    assert {e["extensions"]["code"] for e in denied["errors"]} == {"FORBIDDEN"}
    plain = await graphql(http, case["manager"], "query { referrals(first: 5) { edges { node { reference } } } }")
    assert "errors" not in plain
    assert await count(session) == 0


async def test_reads_in_a_mutation_payload_are_recorded_after_its_change(http, session, case):
    fields = "referral { participants { contact { phone } } } userErrors { code }"
    mutation = f"mutation($input: AcceptReferralInput!) {{ acceptReferral(input: $input) {{ {fields} }} }}"
    referral_id = f"{case['referral'].id}"
    from hub.ids import global_id

    variables = {"input": {"referralId": global_id("Referral", uuid.UUID(referral_id)), "version": 1}}
    result = await graphql(http, case["staff"], mutation, variables)
    assert result["data"]["acceptReferral"]["userErrors"] == [], result
    change, read = await entries(session)
    assert (change.action, read.action) == (AuditAction.ALTERATION, AuditAction.CONSULTATION)
    assert read.operation == "acceptReferral" and read.request_id == change.request_id
    assert [r["id"] for r in read.records] == case["people"]


async def test_reads_by_a_query_are_recorded_even_though_the_query_is_rolled_back(http, session, case):
    for _ in range(2):
        await graphql(http, case["manager"], CONTACTS, {"reference": case["referral"].reference})
    first, second = await entries(session)
    assert second.prev_hash == first.hash and first.request_id != second.request_id


async def test_submitted_contact_details_are_not_a_read(http, session, case):
    result = await graphql(
        http,
        case["referrer"],
        "mutation($input: SubmitReferralInput!) { submitReferral(input: $input) { userErrors { code } } }",
        {"input": SUBMISSION},
    )
    assert result["data"]["submitReferral"]["userErrors"] == []
    assert [e.action for e in await entries(session)] == [AuditAction.COLLECTION]
