"""Client administration through GraphQL: register clients with roles, scopes and redirect URIs; disable one
and its tokens stop working at once."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hub.agencies.models import AgencyKind
from hub.auth.scopes import Role
from hub.ids import global_id
from tests.factories import create_agency, create_client, graphql, token_for

REGISTER = """
mutation($input: RegisterClientInput!) {
  registerClient(input: $input) {
    client { clientId name roles scopes redirectUris grantTypes tokenEndpointAuthMethod agency { name } }
    clientSecret
    userErrors { field message code }
  }
}
"""
DISABLE = (
    "mutation($id: String!) { disableClient(input: {clientId: $id}) { client { disabledAt } userErrors { code } } }"
)


@pytest.fixture
async def world(http, session):
    rj = await create_agency(session, AgencyKind.RJ_SERVICE, "Essex RJ Service")
    police = await create_agency(session, AgencyKind.POLICE, "Essex Police")
    admin = await token_for(http, await create_client(session, rj, {Role.COORDINATOR}))
    return {"admin": admin, "police": police, "rj": rj}


async def clients(session) -> int:
    return (await session.execute(sa.text("SELECT count(*) FROM oauth_client"))).scalar_one()


async def test_an_administrator_registers_a_partner_system_whose_secret_works(http, session, world):
    given = {
        "agencyId": global_id("Agency", world["police"].id),
        "name": "Athena",
        "roles": ["REFERRER"],
        "scopes": ["referrals:read"],
    }
    payload = (await graphql(http, world["admin"], REGISTER, {"input": given}))["data"]["registerClient"]
    assert payload["userErrors"] == []
    client = payload["client"]
    assert (client["name"], client["roles"], client["scopes"], client["agency"]) == (
        "Athena",
        ["REFERRER"],
        ["referrals:read"],
        {"name": "Essex Police"},
    )
    assert client["grantTypes"] == ["client_credentials"] and payload["clientSecret"]
    token = await http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client["clientId"], payload["clientSecret"])
    )
    assert token.status_code == 200 and token.json()["scope"] == "referrals:read"


async def test_a_public_portal_has_redirect_uris_and_no_secret(http, world):
    given = {
        "agencyId": global_id("Agency", world["police"].id),
        "name": "Police portal",
        "roles": ["REFERRER"],
        "redirectUris": ["https://portal.example.org/callback"],
        "public": True,
    }
    payload = (await graphql(http, world["admin"], REGISTER, {"input": given}))["data"]["registerClient"]
    assert payload["clientSecret"] is None
    assert payload["client"]["redirectUris"] == ["https://portal.example.org/callback"]
    assert payload["client"]["tokenEndpointAuthMethod"] == "none"


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"roles": ["MANAGER"]}, ["input"], "INVALID"),  # a service role for a police agency
        ({"scopes": ["referrals:read", "everything"]}, ["input", "scopes", "1"], "INVALID"),
        ({"scopes": ["statistics:read"]}, ["input"], "INVALID"),  # not allowed by REFERRER
        ({"redirectUris": ["http://portal.example.org/cb"]}, ["input"], "INVALID"),
        ({"name": "  "}, ["input", "name"], "REQUIRED"),
        ({"agencyId": global_id("Agency", "00000000-0000-0000-0000-000000000000")}, ["input", "agencyId"], "NOT_FOUND"),
    ],
)
async def test_a_client_the_rules_refuse_is_not_registered(http, session, world, changes, field, code):
    given = {"agencyId": global_id("Agency", world["police"].id), "name": "X", "roles": ["REFERRER"], **changes}
    before = await clients(session)
    payload = (await graphql(http, world["admin"], REGISTER, {"input": given}))["data"]["registerClient"]
    assert payload["client"] is None and payload["clientSecret"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(field, code)]
    assert await clients(session) == before


async def test_disabling_a_client_stops_its_tokens_at_once(http, session, world):
    issued = await create_client(session, world["police"], {Role.REFERRER})
    token = await token_for(http, issued)
    assert "errors" not in await graphql(http, token, "{ viewer { clientId } }")
    result = await graphql(http, world["admin"], DISABLE, {"id": issued.client.client_id})
    assert result["data"]["disableClient"]["client"]["disabledAt"]
    refused = await http.post(
        "/graphql", json={"query": "{ viewer { clientId } }"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert refused.status_code == 401


async def test_only_administrators_manage_clients(http, session, world):
    token = await token_for(http, await create_client(session, world["police"], {Role.REFERRER}))
    before = await clients(session)
    given = {"agencyId": global_id("Agency", world["police"].id), "name": "X", "roles": ["REFERRER"]}
    result = await graphql(http, token, REGISTER, {"input": given})
    assert result["data"] == {"registerClient": None} and result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    listed = await graphql(http, token, "{ clients { edges { node { clientId } } } }")
    assert listed["data"] == {"clients": None}
    assert await clients(session) == before
    everyone = await graphql(http, world["admin"], "{ clients(first: 100) { edges { node { clientId } } } }")
    assert len(everyone["data"]["clients"]["edges"]) == before
