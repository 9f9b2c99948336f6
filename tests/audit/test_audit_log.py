"""`auditLog`: newest first, filtered by actor agency, record, action and time; MANAGER and AUDITOR only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from hub.agencies.models import AgencyKind
from hub.audit.models import AuditAction, RecordChange
from hub.audit.service import Actor, PendingEntry, append, record
from hub.auth.scopes import Role
from hub.ids import global_id
from tests.factories import create_agency, create_client, create_facilitator, graphql, token_for

LOG = """
query Log($filter: AuditLogFilter, $first: Int, $after: String, $last: Int) {
  auditLog(filter: $filter, first: $first, after: $after, last: $last) {
    edges {
      node {
        sequence at action operation actorAgency { name } actorClientId actorPerson recipient requestId
        sourceAddress records { type id fields change } previousHash hash
      }
    }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}
"""
DENIED = "Only the RJ service's manager and auditors may read the audit log."
START = datetime(2026, 3, 1, 9, tzinfo=UTC)
CASE = uuid.UUID(int=42)


@pytest.fixture
async def world(http, session):
    police = await create_agency(session, AgencyKind.POLICE, "Essex Police")
    rj = await create_agency(session, AgencyKind.RJ_SERVICE, "Essex RJ Service")
    facilitator = await create_facilitator(session, full_name="Robin Hale")
    # 1: police collect a case; 2: the service alters it; 3: the service reads a participant; 4: police alter another.
    plan = [
        (
            AuditAction.COLLECTION,
            police,
            "submitReferral",
            [record("Referral", CASE, ["summary"], RecordChange.INSERT)],
        ),
        (AuditAction.ALTERATION, rj, "acceptReferral", [record("Referral", CASE, ["stage"], RecordChange.UPDATE)]),
        (AuditAction.CONSULTATION, rj, "query", [record("Participant", uuid.UUID(int=7), ["contact"])]),
        (AuditAction.ALTERATION, police, "withdrawReferral", [record("Referral", uuid.UUID(int=43), ["stage"])]),
    ]
    for day, (action, agency, operation, records) in enumerate(plan):
        actor = Actor(agency.id, f"hub_{agency.kind.value.lower()}")
        pending = PendingEntry(
            action, operation, records, actor, f"{day:032x}", "192.0.2.1", at=START + timedelta(days=day)
        )
        await append(session, pending)
    tokens = {}
    for role in (Role.MANAGER, Role.AUDITOR, Role.COORDINATOR):
        tokens[role.value.lower()] = await token_for(http, await create_client(session, rj, {role}))
    tokens["referrer"] = await token_for(http, await create_client(session, police, {Role.REFERRER}))
    tokens["facilitator"] = await token_for(
        http, await create_client(session, rj, {Role.FACILITATOR}, facilitator=facilitator)
    )
    return {"police": police, "rj": rj, **tokens}


async def log(http, token, **variables) -> list[dict]:
    result = await graphql(http, token, LOG, variables)
    assert "errors" not in result, result
    return [edge["node"] for edge in result["data"]["auditLog"]["edges"]]


def sequences(nodes: list[dict]) -> list[int]:
    return [node["sequence"] for node in nodes]


@pytest.mark.parametrize("caller", ["manager", "auditor"])
async def test_the_manager_and_auditors_read_the_log_newest_first(http, world, caller):
    nodes = await log(http, world[caller])
    assert sequences(nodes) == [4, 3, 2, 1]
    assert nodes[1] == {
        "sequence": 3,
        "at": (START + timedelta(days=2)).isoformat(),
        "action": "CONSULTATION",
        "operation": "query",
        "actorAgency": {"name": "Essex RJ Service"},
        "actorClientId": "hub_rj_service",
        "actorPerson": None,
        "recipient": None,
        "requestId": f"{2:032x}",
        "sourceAddress": "192.0.2.1",
        "records": [{"type": "Participant", "id": str(uuid.UUID(int=7)), "fields": ["contact"], "change": None}],
        "previousHash": nodes[2]["hash"],
        "hash": nodes[1]["hash"],
    }
    assert nodes[3]["records"][0]["change"] == "INSERT"


@pytest.mark.parametrize("caller", ["coordinator", "referrer", "facilitator"])
async def test_anyone_else_is_forbidden(http, world, caller):
    result = await graphql(http, world[caller], LOG)
    assert result["data"] == {"auditLog": None}
    assert [(e["message"], e["extensions"]["code"], e["path"]) for e in result["errors"]] == [
        (DENIED, "FORBIDDEN", ["auditLog"])
    ]


async def test_filters(http, world):
    manager = world["manager"]
    police = global_id("Agency", world["police"].id)
    assert sequences(await log(http, manager, filter={"actorAgencyId": police})) == [4, 1]
    assert sequences(await log(http, manager, filter={"recordId": global_id("Referral", CASE)})) == [2, 1]
    assert sequences(await log(http, manager, filter={"recordId": str(CASE)})) == [2, 1]
    assert sequences(await log(http, manager, filter={"action": "ALTERATION"})) == [4, 2]
    window = {"from": (START + timedelta(days=1)).isoformat(), "to": (START + timedelta(days=3)).isoformat()}
    assert sequences(await log(http, manager, filter=window)) == [3, 2]
    both = {"actorAgencyId": police, "action": "ALTERATION"}
    assert sequences(await log(http, manager, filter=both)) == [4]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"actorAgencyId": global_id("Referral", CASE)}, "`filter.actorAgencyId` must be the id of a Agency."),
        ({"from": START.isoformat(), "to": START.isoformat()}, "filter.from must be before filter.to."),
    ],
)
async def test_a_bad_filter_is_bad_user_input(http, world, bad, message):
    result = await graphql(http, world["manager"], LOG, {"filter": bad})
    assert [(e["message"], e["extensions"]["code"]) for e in result["errors"]] == [(message, "BAD_USER_INPUT")]


async def test_pages(http, world):
    first = await graphql(http, world["auditor"], LOG, {"first": 3})
    page = first["data"]["auditLog"]
    assert sequences([e["node"] for e in page["edges"]]) == [4, 3, 2]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await log(http, world["auditor"], first=3, after=page["pageInfo"]["endCursor"])
    assert sequences(rest) == [1]
    assert sequences(await log(http, world["auditor"], last=1)) == [1]
