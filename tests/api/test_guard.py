"""The GraphQL endpoint's HTTP-level refusals: body size, content types that allow CSRF, batching, GET."""

from __future__ import annotations

import json

import pytest

from hub.agencies.models import AgencyKind
from hub.api.guard import MAX_BODY_BYTES
from hub.auth.scopes import Role
from tests.factories import create_agency, create_client, token_for
from tests.referrals.casework import snapshot
from tests.referrals.test_process import SUBMISSION

SUBMIT = "mutation($input: SubmitReferralInput!) { submitReferral(input: $input) { referral { id } } }"


@pytest.fixture
async def auth(http, session) -> dict[str, str]:
    police = await create_agency(session, AgencyKind.POLICE)
    return {"Authorization": f"Bearer {await token_for(http, await create_client(session, police, {Role.REFERRER}))}"}


def code_of(response) -> str:
    return response.json()["errors"][0]["extensions"]["code"]


async def test_a_body_over_the_limit_is_refused_before_parsing(http, session, auth):
    before = await snapshot(session)
    padding = "x" * MAX_BODY_BYTES
    body = json.dumps({"query": SUBMIT, "variables": {"input": SUBMISSION, "padding": padding}})
    response = await http.post("/graphql", content=body, headers={**auth, "Content-Type": "application/json"})
    assert response.status_code == 413 and code_of(response) == "BAD_USER_INPUT"
    assert await snapshot(session) == before


async def test_a_body_over_the_limit_without_a_content_length_is_refused(http, auth):
    async def chunks():
        for _ in range(11):
            yield b" " * 100_000

    response = await http.post("/graphql", content=chunks(), headers={**auth, "Content-Type": "application/json"})
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", "query=%7Bviewer%7BclientId%7D%7D"),
        ("text/plain", '{"query": "{ viewer { clientId } }"}'),
        (
            "multipart/form-data; boundary=x",
            '--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n{ viewer { clientId } }\r\n--x--',
        ),
    ],
)
async def test_bodies_a_browser_sends_cross_site_are_refused(http, auth, content_type, body):
    response = await http.post("/graphql", content=body, headers={**auth, "Content-Type": content_type})
    assert response.status_code == 415 and code_of(response) == "BAD_USER_INPUT"


async def test_batched_operations_are_refused(http, session, auth):
    before = await snapshot(session)
    batch = [{"query": SUBMIT, "variables": {"input": SUBMISSION}}] * 2
    response = await http.post("/graphql", json=batch, headers=auth)
    assert response.status_code == 400 and "one operation per request" in response.json()["errors"][0]["message"]
    assert await snapshot(session) == before


async def test_queries_over_get_are_allowed_mutations_are_not(http, session, auth):
    query = await http.get("/graphql", params={"query": "{ viewer { clientId } }"}, headers=auth)
    assert query.status_code == 200 and query.json()["data"]["viewer"]["clientId"]
    before = await snapshot(session)
    params = {"query": SUBMIT, "variables": json.dumps({"input": SUBMISSION})}
    mutation = await http.get("/graphql", params=params, headers=auth)
    assert mutation.status_code in (400, 405)
    assert await snapshot(session) == before


@pytest.mark.parametrize(
    "request_body",
    [
        {"query": 'query { referral(reference: "RJ\\u0000") { id } }'},
        {"query": "query($r: String!) { referral(reference: $r) { id } }", "variables": {"r": "RJ\x00"}},
    ],
)
async def test_text_with_a_nul_character_is_refused(http, auth, request_body):
    response = await http.post("/graphql", json=request_body, headers=auth)
    assert response.status_code == 400 and "NUL" in response.json()["errors"][0]["message"]


async def test_a_nul_character_over_get_is_refused(http, auth):
    response = await http.get("/graphql", params={"query": '{ referral(reference: "\x00") { id } }'}, headers=auth)
    assert response.status_code == 400
