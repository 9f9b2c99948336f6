"""Agency administration through GraphQL: co-ordinators and the manager register agencies."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hub.agencies.models import AgencyKind
from hub.auth.scopes import Role
from tests.factories import create_agency, create_client, graphql, token_for

CREATE = """
mutation Create($input: CreateAgencyInput!) {
  createAgency(input: $input) { agency { name kind districts } userErrors { field message code } }
}
"""


async def agency_count(session) -> int:
    return (await session.execute(sa.text("SELECT count(*) FROM agency"))).scalar_one()


@pytest.fixture
async def admin(http, session):
    rj = await create_agency(session, AgencyKind.RJ_SERVICE, "Essex RJ Service")
    return await token_for(http, await create_client(session, rj, {Role.COORDINATOR}))


async def test_a_coordinator_registers_an_agency(http, session, admin):
    given = {
        "name": " Essex Youth Offending Service ",
        "kind": "YOUTH_OFFENDING",
        "districts": ["Colchester", " Tendring", "Colchester"],
    }
    result = await graphql(http, admin, CREATE, {"input": given})
    assert result["data"]["createAgency"] == {
        "agency": {
            "name": "Essex Youth Offending Service",
            "kind": "YOUTH_OFFENDING",
            "districts": ["Colchester", "Tendring"],
        },
        "userErrors": [],
    }


@pytest.mark.parametrize(
    ("given", "field", "code"),
    [
        ({"name": "Essex RJ Service", "kind": "POLICE"}, ["input", "name"], "ALREADY_EXISTS"),
        ({"name": "  ", "kind": "POLICE"}, ["input", "name"], "REQUIRED"),
        ({"name": "x" * 201, "kind": "POLICE"}, ["input", "name"], "TOO_LONG"),
        (
            {"name": "Kent Police", "kind": "POLICE", "districts": ["ok", "y" * 101]},
            ["input", "districts", "1"],
            "TOO_LONG",
        ),
    ],
)
async def test_a_bad_agency_is_refused_and_nothing_is_written(http, session, admin, given, field, code):
    before = await agency_count(session)
    result = await graphql(http, admin, CREATE, {"input": given})
    payload = result["data"]["createAgency"]
    assert payload["agency"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(field, code)]
    assert await agency_count(session) == before


@pytest.mark.parametrize("role", [Role.REFERRER, Role.AUDITOR, Role.FACILITATOR])
async def test_only_administrators_register_agencies(http, session, role):
    agency = await create_agency(session, AgencyKind.RJ_SERVICE if role != Role.REFERRER else AgencyKind.POLICE)
    token = await token_for(http, await create_client(session, agency, {role}))
    before = await agency_count(session)
    result = await graphql(http, token, CREATE, {"input": {"name": "Kent Police", "kind": "POLICE"}})
    assert result["data"] == {"createAgency": None}
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await agency_count(session) == before
