"""Concurrent requests on committed data: a retried submission never makes two referrals, and of two changes
made from the same version exactly one wins."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
import sqlalchemy as sa

from hub.auth.scopes import Role
from tests.factories import serving_partner_and_service
from tests.referrals.casework import mutation_text
from tests.referrals.test_process import SUBMISSION

SUBMIT = """
mutation Submit($input: SubmitReferralInput!) {
  submitReferral(input: $input) { created referral { id reference } userErrors { code } }
}
"""


@pytest.fixture
async def committed(committed_database, settings):
    """A migrated database of its own, where each request commits on its own connection."""
    async with serving_partner_and_service(committed_database, settings, Role.COORDINATOR) as (http, referrer, staff):
        yield http, committed_database, referrer, staff


async def post(http, token, query, variables) -> dict:
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return dict(body["data"])


async def test_concurrent_identical_submissions_make_one_referral(committed):
    http, database, referrer, _ = committed
    results = await asyncio.gather(*(post(http, referrer, SUBMIT, {"input": SUBMISSION}) for _ in range(6)))
    payloads = [r["submitReferral"] for r in results]
    assert Counter(p["created"] for p in payloads) == {True: 1, False: 5}
    assert len({p["referral"]["reference"] for p in payloads}) == 1
    async with database.transaction() as session:
        assert (await session.execute(sa.text("SELECT count(*) FROM referral"))).scalar_one() == 1
        assert (await session.execute(sa.text("SELECT count(*) FROM participant"))).scalar_one() == 2


async def test_of_two_changes_from_the_same_version_one_wins(committed):
    http, database, referrer, staff = committed
    referral = (await post(http, referrer, SUBMIT, {"input": SUBMISSION}))["submitReferral"]["referral"]
    accept = {"input": {"referralId": referral["id"], "version": 1}}
    decline = {"input": {"referralId": referral["id"], "version": 1, "reason": "OUT_OF_AREA"}}
    fields = "referral { stage } userErrors { code }"
    results = await asyncio.gather(
        post(http, staff, mutation_text("acceptReferral", fields), accept),
        post(http, staff, mutation_text("declineReferral", fields), decline),
    )
    payloads = [next(iter(r.values())) for r in results]
    outcomes = sorted(tuple(e["code"] for e in p["userErrors"]) for p in payloads)
    assert outcomes == [(), ("STALE_VERSION",)]
    async with database.transaction() as session:
        events = (await session.execute(sa.text("SELECT count(*) FROM stage_event"))).scalar_one()
        version = (await session.execute(sa.text("SELECT version FROM referral"))).scalar_one()
    assert (events, version) == (2, 2)
