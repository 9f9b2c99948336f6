"""Refresh tokens rotate, and a reused one revokes its family; RFC 7009 revocation; RFC 7662 introspection;
a disabled client's tokens stop working at once."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from hub.agencies.models import AgencyKind
from hub.auth.models import RefreshToken
from hub.auth.passwords import token_digest
from hub.auth.service import disable_client
from tests.auth.portal import portal_tokens
from tests.factories import create_agency, create_client, create_portal, create_user, token_for, unverified_claims

EMAIL = "sam@police.example.org"
VIEWER = {"query": "{ viewer { subject } }"}


@pytest.fixture
async def police(session):
    return await create_agency(session, AgencyKind.POLICE)


@pytest.fixture
async def portal(session, police):
    await create_user(session, police, email=EMAIL)
    return await create_portal(session, police)


@pytest.fixture
async def gateway(session, police):
    """A confidential client of the same agency, which may introspect its agency's tokens."""
    return await create_client(session, police)


async def _refresh(http, portal, refresh_token: str):
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": portal.client_id}
    return await http.post("/oauth/token", data=data)


async def _works(http, access_token: str) -> bool:
    response = await http.post("/graphql", json=VIEWER, headers={"Authorization": f"Bearer {access_token}"})
    return response.status_code == 200


async def _introspect(http, gateway, token: str) -> dict:
    response = await http.post(
        "/oauth/introspect", data={"token": token}, auth=(gateway.client.client_id, gateway.secret)
    )
    assert response.status_code == 200
    return dict(response.json())


async def test_refresh_tokens_are_opaque_hashed_and_last_30_days(http, session, portal):
    tokens = await portal_tokens(http, portal, EMAIL)
    assert tokens["refresh_token"].count(".") == 0 and len(tokens["refresh_token"]) >= 43
    row = (await session.execute(sa.select(RefreshToken))).scalars().one()
    assert row.token_hash == token_digest(tokens["refresh_token"])
    assert (row.expires_at - row.created_at).days == 30
    assert row.access_token_jti == unverified_claims(tokens["access_token"])["jti"]


async def test_refresh_rotates(http, session, portal):
    first = await portal_tokens(http, portal, EMAIL)
    second = (await _refresh(http, portal, first["refresh_token"])).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert unverified_claims(second["access_token"])["sub"] == unverified_claims(first["access_token"])["sub"]
    rows = (await session.execute(sa.select(RefreshToken).order_by(RefreshToken.created_at))).scalars().all()
    assert len(rows) == 2 and rows[0].family_id == rows[1].family_id
    assert rows[0].rotated_at is not None and rows[1].rotated_at is None
    third = await _refresh(http, portal, second["refresh_token"])
    assert third.status_code == 200


async def test_reusing_a_rotated_refresh_token_revokes_the_family(http, portal):
    first = await portal_tokens(http, portal, EMAIL)
    second = (await _refresh(http, portal, first["refresh_token"])).json()
    reuse = await _refresh(http, portal, first["refresh_token"])  # e.g. stolen and replayed
    assert (reuse.status_code, reuse.json()["error"]) == (400, "invalid_grant")
    # The family is gone: the current refresh token and the access token issued with it.
    assert (await _refresh(http, portal, second["refresh_token"])).json()["error"] == "invalid_grant"
    assert not await _works(http, second["access_token"])


async def test_a_narrower_scope_on_refresh(http, session, police):
    await create_user(session, police, email="wide@police.example.org")
    portal = await create_portal(session, police)
    tokens = await portal_tokens(http, portal, "wide@police.example.org")
    data = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": portal.client_id}
    wider = await http.post("/oauth/token", data={**data, "scope": "referrals:read referrals:write"})
    assert wider.json()["error"] == "invalid_scope"


async def test_a_refresh_token_of_another_portal(http, session, police, portal):
    tokens = await portal_tokens(http, portal, EMAIL)
    other = await create_portal(session, police)
    assert (await _refresh(http, other, tokens["refresh_token"])).json()["error"] == "invalid_grant"


async def test_revoking_an_access_token_stops_it_at_once(http, portal):
    tokens = await portal_tokens(http, portal, EMAIL)
    assert await _works(http, tokens["access_token"])
    data = {"token": tokens["access_token"], "token_type_hint": "access_token", "client_id": portal.client_id}
    response = await http.post("/oauth/revoke", data=data)
    assert (response.status_code, response.json()) == (200, {})
    assert not await _works(http, tokens["access_token"])
    assert (await _refresh(http, portal, tokens["refresh_token"])).status_code == 200  # the refresh token lives on


async def test_revoking_a_client_credentials_token(http, session, gateway):
    token = await token_for(http, gateway)
    response = await http.post("/oauth/revoke", data={"token": token}, auth=(gateway.client.client_id, gateway.secret))
    assert response.status_code == 200
    assert not await _works(http, token)


async def test_revoking_an_unknown_token_is_fine(http, portal):
    response = await http.post("/oauth/revoke", data={"token": "no-such-token", "client_id": portal.client_id})
    assert (response.status_code, response.json()) == (200, {})


async def test_revoking_needs_the_client(http, session, portal):
    tokens = await portal_tokens(http, portal, EMAIL)
    response = await http.post("/oauth/revoke", data={"token": tokens["refresh_token"]})
    assert response.json()["error"] == "invalid_client"
    other = await create_client(session, await create_agency(session))
    foreign = await http.post(
        "/oauth/revoke", data={"token": tokens["refresh_token"]}, auth=(other.client.client_id, other.secret)
    )
    assert foreign.status_code == 400  # not its token: refused, and nothing revoked
    assert (await _refresh(http, portal, tokens["refresh_token"])).status_code == 200


async def test_introspection_needs_an_authenticated_client(http, portal):
    tokens = await portal_tokens(http, portal, EMAIL)
    anonymous = await http.post("/oauth/introspect", data={"token": tokens["access_token"]})
    assert (anonymous.status_code, anonymous.json()["error"]) == (401, "invalid_client")
    public = await http.post("/oauth/introspect", data={"token": tokens["access_token"], "client_id": portal.client_id})
    assert public.status_code == 401  # a public client cannot authenticate
    wrong = await http.post("/oauth/introspect", data={"token": tokens["access_token"]}, auth=(portal.client_id, "x"))
    assert wrong.status_code == 401


async def test_introspecting_live_tokens(http, portal, gateway):
    tokens = await portal_tokens(http, portal, EMAIL)
    claims = unverified_claims(tokens["access_token"])
    assert await _introspect(http, gateway, tokens["access_token"]) == {
        "active": True,
        "sub": claims["sub"],
        "client_id": portal.client_id,
        "scope": "referrals:read",
        "exp": claims["exp"],
        "iat": claims["iat"],
        "token_type": "Bearer",
        "aud": "http://127.0.0.1:8000/graphql",
        "iss": "http://127.0.0.1:8000",
    }
    refresh = await _introspect(http, gateway, tokens["refresh_token"])
    assert refresh["active"] is True and refresh["token_type"] == "refresh_token"
    assert (refresh["sub"], refresh["client_id"], refresh["scope"]) == (
        claims["sub"],
        portal.client_id,
        "referrals:read",
    )
    assert refresh["exp"] - refresh["iat"] == 30 * 86400


async def test_dead_tokens_are_just_inactive(http, session, portal, gateway, app):
    tokens = await portal_tokens(http, portal, EMAIL)
    rotated = tokens["refresh_token"]
    current = (await _refresh(http, portal, rotated)).json()
    await http.post("/oauth/revoke", data={"token": current["access_token"], "client_id": portal.client_id})
    from joserfc import jwt

    key = app.state.hub.keyring.signing
    expired_claims = {**unverified_claims(tokens["access_token"]), "exp": int(time.time()) - 100}
    expired = jwt.encode({"alg": "ES256", "typ": "at+jwt", "kid": key.kid}, expired_claims, key)
    for dead in (rotated, current["access_token"], expired, "garbage", tokens["access_token"] + "x"):
        assert await _introspect(http, gateway, dead) == {"active": False}


async def test_another_agencys_tokens_are_inactive_to_a_client(http, session, portal):
    tokens = await portal_tokens(http, portal, EMAIL)
    stranger = await create_client(session, await create_agency(session, AgencyKind.PROBATION))
    assert await _introspect(http, stranger, tokens["access_token"]) == {"active": False}
    assert await _introspect(http, stranger, tokens["refresh_token"]) == {"active": False}


async def test_disabling_a_client_stops_its_tokens_at_once(http, session, portal, gateway):
    tokens = await portal_tokens(http, portal, EMAIL)
    machine = await token_for(http, gateway)
    assert await _works(http, tokens["access_token"]) and await _works(http, machine)
    await disable_client(session, portal)
    await disable_client(session, gateway.client)
    assert not await _works(http, tokens["access_token"])
    assert not await _works(http, machine)
    assert (await _refresh(http, portal, tokens["refresh_token"])).json()["error"] == "invalid_client"


async def test_a_disabled_persons_tokens_stop_at_once(http, session, portal):
    from hub.auth.models import User

    tokens = await portal_tokens(http, portal, EMAIL)
    await session.execute(sa.update(User).values(disabled_at=sa.func.now()))
    assert not await _works(http, tokens["access_token"])
    assert (await _refresh(http, portal, tokens["refresh_token"])).json()["error"] == "invalid_grant"


async def test_the_bearer_check_is_one_statement(http, engine, portal):
    from tests.referrals.test_statement_count import statements_on

    tokens = await portal_tokens(http, portal, EMAIL)
    with statements_on(engine) as sent:
        assert await _works(http, tokens["access_token"])
    checks = [statement for statement in sent if "revoked_access_token" in statement]
    assert len(checks) == 1
    assert "oauth_client" in checks[0] and "user_account" in checks[0]
