"""Every GraphQL request needs a valid access token: each way a token can be wrong gives HTTP 401."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from hub.auth.keys import rotate_signing_key
from hub.auth.tokens import CLOCK_SKEW_SECONDS
from tests.factories import create_agency, create_client, token_for, unverified_header

VIEWER = "{ viewer { clientId roles scopes agency { name kind } } }"


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


async def _post(http, token: str | None, headers: dict | None = None):
    headers = dict(headers or {})
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return await http.post("/graphql", json={"query": VIEWER}, headers=headers)


def _assert_unauthenticated(response, *, error_code: bool = True) -> None:
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="rj-partner-hub"')
    assert ('error="invalid_token"' in challenge) is error_code
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "data" not in body


@pytest.fixture
async def issued(session):
    return await create_client(session, await create_agency(session, name="Essex Police — Colchester"))


@pytest.fixture
def signing_key(app) -> ECKey:
    return app.state.hub.keyring.signing


def claims(issued, **overrides) -> dict:
    now = int(time.time())
    values = {
        "iss": "http://127.0.0.1:8000",
        "aud": "http://127.0.0.1:8000/graphql",
        "sub": issued.client.client_id,
        "client_id": issued.client.client_id,
        "iat": now,
        "exp": now + 600,
        "jti": "6b1d1b4e-7c0e-4e43-9a59-1d2f8f0c1a11",
        "scope": "referrals:read",
        "agency": str(issued.client.agency_id),
        "agency_kind": "POLICE",
        "roles": ["REFERRER"],
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def sign(key: ECKey, payload: dict, typ: str = "at+jwt") -> str:
    return jwt.encode({"alg": "ES256", "typ": typ, "kid": key.kid}, payload, KeySet([key]))


async def test_a_valid_token_gives_the_viewer(http, issued):
    token = await token_for(http, issued)
    response = await _post(http, token)
    assert response.status_code == 200
    assert response.json() | {"extensions": None} == {
        "extensions": None,
        "data": {
            "viewer": {
                "clientId": issued.client.client_id,
                "roles": ["REFERRER"],
                "scopes": ["referrals:read", "referrals:write", "webhooks:manage"],
                "agency": {"name": "Essex Police — Colchester", "kind": "POLICE"},
            }
        },
    }


async def test_a_self_signed_token_with_the_hubs_key_is_accepted(http, issued, signing_key):
    """The control for the forgeries below: the same claims, correctly signed, pass."""
    response = await _post(http, sign(signing_key, claims(issued)))
    assert response.status_code == 200
    assert response.json()["data"]["viewer"]["clientId"] == issued.client.client_id


async def test_no_token(http):
    _assert_unauthenticated(await _post(http, None), error_code=False)


async def test_not_a_bearer_scheme(http, issued):
    _assert_unauthenticated(await _post(http, None, {"Authorization": "Basic abc"}))


async def test_garbage_token(http):
    _assert_unauthenticated(await _post(http, "not-a-jwt"))


async def test_expired_token(http, issued, signing_key):
    now = int(time.time())
    _assert_unauthenticated(await _post(http, sign(signing_key, claims(issued, iat=now - 2000, exp=now - 1000))))


async def test_wrong_audience(http, issued, signing_key):
    _assert_unauthenticated(await _post(http, sign(signing_key, claims(issued, aud="hub_some_client"))))


async def test_wrong_issuer(http, issued, signing_key):
    _assert_unauthenticated(await _post(http, sign(signing_key, claims(issued, iss="https://evil.example.org"))))


async def test_missing_expiry(http, issued, signing_key):
    _assert_unauthenticated(await _post(http, sign(signing_key, claims(issued, exp=None))))


async def test_alg_none(http, issued, signing_key):
    token = f"{b64({'alg': 'none', 'typ': 'at+jwt', 'kid': signing_key.kid})}.{b64(claims(issued))}."
    _assert_unauthenticated(await _post(http, token))


async def test_hs256_signed_with_the_public_key(http, issued, signing_key):
    """The classic key-confusion forgery: HMAC keyed with the public key's PEM."""
    public_pem = signing_key.as_pem(private=False)
    signing_input = f"{b64({'alg': 'HS256', 'typ': 'at+jwt', 'kid': signing_key.kid})}.{b64(claims(issued))}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"
    _assert_unauthenticated(await _post(http, token))


async def test_unknown_kid(http, issued):
    stranger = ECKey.generate_key("P-256", parameters={"kid": "not-a-hub-key"})
    _assert_unauthenticated(await _post(http, sign(stranger, claims(issued))))


async def test_right_kid_wrong_key(http, issued, signing_key):
    impostor = ECKey.generate_key("P-256", parameters={"kid": signing_key.kid})
    _assert_unauthenticated(await _post(http, sign(impostor, claims(issued))))


async def test_wrong_typ(http, issued, signing_key):
    _assert_unauthenticated(await _post(http, sign(signing_key, claims(issued), typ="JWT")))


async def test_unknown_role_in_claims(http, issued, signing_key):
    _assert_unauthenticated(await _post(http, sign(signing_key, claims(issued, roles=["GOD"]))))


async def test_rotation_keeps_old_tokens_valid_and_signs_with_the_new_key(app, http, session, issued):
    old_token = await token_for(http, issued)
    new_key = await rotate_signing_key(session)
    assert (await _post(http, old_token)).status_code == 200
    # The new key is picked up by the token endpoint and by validation without a restart.
    app.state.hub.keyring.loaded_at = 0.0
    new_token = await token_for(http, issued)
    old_kid, new_kid = unverified_header(old_token)["kid"], unverified_header(new_token)["kid"]
    assert old_kid != new_kid
    assert new_kid == new_key.kid
    assert (await _post(http, new_token)).status_code == 200
    assert {k["kid"] for k in (await http.get("/oauth/jwks")).json()["keys"]} == {old_kid, new_kid}


async def test_a_token_verified_once_is_still_refused_when_it_expires(http, issued, signing_key):
    """Verified signatures are remembered (hub/auth/bearer.py), their expiry is not: it is checked on every use."""
    # expired, but within the clock skew the check allows, for 2 more seconds
    refused_from = int(time.time()) + 2
    token = sign(signing_key, claims(issued, exp=refused_from - CLOCK_SKEW_SECONDS))
    assert (await _post(http, token)).status_code == 200
    assert (await _post(http, token)).status_code == 200  # from the cache of verified tokens
    await asyncio.sleep(refused_from + 1.1 - time.time())
    _assert_unauthenticated(await _post(http, token))


async def test_a_token_verified_once_is_not_read_again_until_the_keys_are(app, http, issued, monkeypatch):
    """A token verified since the keys were last read is taken from the cache without reading its header; once
    the keys are due to be read again, the header is read (and the keys with it) before the token is taken."""
    from hub.auth import bearer

    token = await token_for(http, issued)
    assert (await _post(http, token)).status_code == 200
    headers_read, unverified_kid = [], bearer.unverified_kid

    def read_header(given: str) -> str | None:
        headers_read.append(given)
        return unverified_kid(given)

    monkeypatch.setattr(bearer, "unverified_kid", read_header)
    assert (await _post(http, token)).status_code == 200
    assert headers_read == []
    app.state.hub.keyring.loaded_at = 0.0  # the keys are due to be read again
    assert (await _post(http, token)).status_code == 200
    assert headers_read == [token]
