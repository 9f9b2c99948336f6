"""Rate limits: cost-weighted per client for GraphQL, per address and account for the token endpoint,
held in PostgreSQL so every hub process draws from the same bucket; a refused request writes nothing."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import async_sessionmaker

from hub.agencies.models import AgencyKind
from hub.api.ratelimit import Limit, RateBucket, admit, take
from hub.auth.principal import Principal
from hub.auth.scopes import Role
from hub.prepared import began
from tests.factories import create_agency, create_client, token_for
from tests.referrals.casework import snapshot
from tests.referrals.test_process import SUBMISSION

SUBMIT = "mutation($input: SubmitReferralInput!) { submitReferral(input: $input) { referral { id } } }"
LIST = "{ referrals(first: 50) { edges { node { reference } } } }"


async def post(http, token, query, variables=None):
    return await http.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers={"Authorization": f"Bearer {token}"}
    )


async def test_a_client_over_its_points_gets_429_with_retry_after_and_nothing_is_written(http, session):
    police = await create_agency(session, AgencyKind.POLICE)
    issued = await create_client(session, police, {Role.REFERRER})
    issued.client.rate_limit_per_minute = 60  # a list of 50 costs 51 points
    session.add(issued.client)
    await session.flush()
    token = await token_for(http, issued)
    assert (await post(http, token, LIST)).status_code == 200
    refused = await post(http, token, LIST)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED" and "60 points a minute" in error["message"]
    before = await snapshot(session)
    assert (await post(http, token, SUBMIT, {"input": SUBMISSION})).status_code == 429
    assert await snapshot(session) == before


async def test_clients_do_not_share_a_bucket(http, session):
    police = await create_agency(session, AgencyKind.POLICE)
    first = await create_client(session, police, {Role.REFERRER})
    second = await create_client(session, police, {Role.REFERRER})
    first.client.rate_limit_per_minute = 10
    await session.flush()
    drained = await token_for(http, first)
    assert (await post(http, drained, LIST)).status_code == 200  # 51 points > 10: takes the whole bucket
    assert (await post(http, drained, LIST)).status_code == 429
    assert (await post(http, await token_for(http, second), LIST)).status_code == 200


async def test_the_token_endpoint_is_limited_per_address_and_client(http, session, app):
    police = await create_agency(session, AgencyKind.POLICE)
    issued = await create_client(session, police, {Role.REFERRER})
    hub = app.state.hub
    hub.settings = hub.settings.model_copy(update={"auth_rate_limit_per_minute": 3})
    try:
        answers = [
            await http.post(
                "/oauth/token", data={"grant_type": "client_credentials"}, auth=(issued.client.client_id, issued.secret)
            )
            for _ in range(4)
        ]
    finally:
        hub.settings = hub.settings.model_copy(update={"auth_rate_limit_per_minute": 1_000_000})
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1].json()["error"] == "rate_limited" and int(answers[-1].headers["Retry-After"]) >= 1


async def test_a_bucket_is_shared_through_the_database_and_refills(session):
    """Two hub processes hold nothing in memory: both take from the same row, which refills with time."""
    limit = Limit(capacity=2, per_second=1000)
    assert await take(session, "test:shared", limit) is None
    assert await take(session, "test:shared", limit) is None
    await session.execute(
        sa.text(
            "UPDATE rate_bucket SET tokens = 0, updated_at = clock_timestamp() - interval '1 second'"
            " WHERE key = 'test:shared'"
        )
    )
    assert await take(session, "test:shared", limit) is None  # refilled: 1 s at 1000 a second, capped at 2
    slow = Limit(capacity=1, per_second=0.01)
    assert await take(session, "test:slow", slow) is None
    assert await take(session, "test:slow", slow) == 100


async def test_admission_stays_taken_when_the_request_rolls_back(engine):
    """On the server's own terms (no test transaction around it), admission runs alone: what it took is committed
    as it completes, the request's own transaction has not begun (no bucket row stays locked while it runs), and a
    rollback of the request leaves the take in place."""
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as setup:
        agency = await create_agency(setup)
        issued = await create_client(setup, agency, {Role.REFERRER})
        await setup.commit()
    client_id = issued.client.client_id
    principal = Principal(agency.id, agency.kind, client_id, client_id, frozenset({Role.REFERRER}), frozenset(), "jti")
    key = f"graphql:admission-test-{uuid.uuid4()}"
    try:
        async with sessions() as session:
            assert await admit(session, principal, key, Limit.per_minute(60), 5) == (True, None)
            assert not await began(session)
            await session.rollback()
        async with engine.connect() as reader:
            tokens = await reader.scalar(sa.select(RateBucket.tokens).where(RateBucket.key == key))
        assert tokens == 55.0
    finally:
        async with engine.begin() as conn:
            await conn.execute(sa.delete(RateBucket).where(RateBucket.key == key))
            await conn.execute(sa.text("DELETE FROM oauth_client WHERE client_id = :id"), {"id": client_id})
            await conn.execute(sa.text("DELETE FROM agency WHERE id = :id"), {"id": agency.id})
