"""private_key_jwt client authentication (RFC 7523): registered public keys, one use per jti, at most 5 minutes."""

from __future__ import annotations

import base64
import secrets
import time
import warnings

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey

from hub.agencies.models import AgencyKind
from hub.auth.scopes import Role
from hub.auth.service import ClientError, create_key_client, disable_client, public_key_set
from tests.auth.portal import INTROSPECT_URL, TOKEN_URL
from tests.conftest import PUBLIC_URL
from tests.factories import create_agency, unverified_claims

with warnings.catch_warnings():
    # authlib's httpx integration prefers the httpx2 fork and warns, on import, that it runs on httpx itself.
    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client
    from authlib.oauth2.rfc7523 import PrivateKeyJWT


class FiveMinuteAssertions(PrivateKeyJWT):
    """authlib's client signs assertions valid for an hour; the hub takes at most five minutes."""

    def sign(self, auth, token_endpoint):
        self.claims = {"exp": int(time.time()) + 300}
        return super().sign(auth, token_endpoint)


@pytest.fixture
def key() -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": "records-2026"})


@pytest.fixture
def rsa_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "rsa-2026"})


@pytest.fixture
async def client(session, key, rsa_key):
    police = await create_agency(session, AgencyKind.POLICE)
    jwks = {"keys": [key.as_dict(private=False), rsa_key.as_dict(private=False)]}
    return await create_key_client(session, police, "Records system", {Role.REFERRER}, jwks)


def short_rsa_key() -> dict:
    """A 1024-bit RSA public key, built by hand: joserfc rightly refuses to make one."""
    private = rsa.generate_private_key(65537, 1024)  # noqa: S505 (too short on purpose)
    numbers = private.public_key().public_numbers()

    def b64(value: int) -> str:
        return base64.urlsafe_b64encode(value.to_bytes((value.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()

    return {"kty": "RSA", "n": b64(numbers.n), "e": b64(numbers.e)}


def assertion(key, client_id: str, alg: str = "ES256", **overrides) -> str:
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": TOKEN_URL,
        "iat": now,
        "exp": now + 300,
        "jti": secrets.token_urlsafe(16),
    }
    claims.update(overrides)
    payload = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode({"alg": alg, "kid": key.kid}, payload, key, algorithms=[alg])


async def _token(http, signed: str, **form):
    data = {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": signed,
        **form,
    }
    return await http.post("/oauth/token", data=data)


def _refused(response, text: str | None = None) -> None:
    assert response.status_code in (400, 401), response.text
    assert response.json()["error"] == "invalid_client"
    assert "access_token" not in response.json()
    if text:
        assert text in response.json()["error_description"]


async def test_authlibs_client_authenticates_with_its_key(app, client, key):
    async with AsyncOAuth2Client(
        client_id=client.client_id,
        client_secret=key,
        token_endpoint_auth_method="private_key_jwt",
        transport=httpx.ASGITransport(app=app),
        base_url=PUBLIC_URL,
    ) as oauth:
        oauth.register_client_auth_method(FiveMinuteAssertions(TOKEN_URL, alg="ES256"))
        token = await oauth.fetch_token(TOKEN_URL, grant_type="client_credentials")
        again = await oauth.fetch_token(TOKEN_URL, grant_type="client_credentials")  # a new jti each time
    assert unverified_claims(token["access_token"])["client_id"] == client.client_id
    assert again["access_token"] != token["access_token"]


@pytest.mark.parametrize("alg", ["RS256", "PS256"])
async def test_rsa_keys_sign_too(http, client, rsa_key, alg):
    response = await _token(http, assertion(rsa_key, client.client_id, alg))
    assert response.status_code == 200, response.text


async def test_the_issuer_is_an_audience_too(http, client, key):
    response = await _token(http, assertion(key, client.client_id, aud=PUBLIC_URL))
    assert response.status_code == 200


async def test_a_replayed_assertion_is_refused(http, client, key):
    signed = assertion(key, client.client_id)
    assert (await _token(http, signed)).status_code == 200
    _refused(await _token(http, signed), "JWT ID is used before")


async def test_an_assertion_valid_too_long_is_refused(http, client, key):
    _refused(await _token(http, assertion(key, client.client_id, exp=int(time.time()) + 3600)), "within 5 minutes")
    _refused(await _token(http, assertion(key, client.client_id, exp=int(time.time()) + 400)), "within 5 minutes")


async def test_an_assertion_signed_with_another_key_is_refused(http, client, key):
    impostor = ECKey.generate_key("P-256", parameters={"kid": key.kid})
    _refused(await _token(http, assertion(impostor, client.client_id)), "not signed by a registered key")
    stranger = ECKey.generate_key("P-256", parameters={"kid": "unknown"})
    _refused(await _token(http, assertion(stranger, client.client_id)))


async def test_a_symmetric_algorithm_is_refused(http, client):
    oct_key = OctKey.generate_key(256, parameters={"kid": "records-2026"})
    _refused(await _token(http, assertion(oct_key, client.client_id, "HS256")))


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "https://elsewhere.example.org/token"},
        {"iss": "hub_someone_else"},
        {"exp": int(time.time()) - 120},
        {"exp": None},
        {"jti": None},
    ],
    ids=["wrong audience", "iss is not sub", "expired", "no exp", "no jti"],
)
async def test_bad_claims_are_refused(http, client, key, overrides):
    _refused(await _token(http, assertion(key, client.client_id, **overrides)))


async def test_a_client_id_other_than_the_subject_is_refused(http, client, key):
    _refused(await _token(http, assertion(key, client.client_id), client_id="hub_someone_else"))


async def test_a_key_client_cannot_use_a_secret(http, client):
    response = await http.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(client.client_id, "x"))
    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")


async def test_a_disabled_client_is_refused(http, session, client, key):
    await disable_client(session, client)
    _refused(await _token(http, assertion(key, client.client_id)))


async def test_introspection_with_an_assertion(http, client, key):
    token = (await _token(http, assertion(key, client.client_id))).json()["access_token"]
    signed = assertion(key, client.client_id, aud=INTROSPECT_URL)
    data = {
        "token": token,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": signed,
    }
    response = await http.post("/oauth/introspect", data=data)
    assert response.json()["active"] is True


@pytest.mark.parametrize(
    ("jwks", "message"),
    [
        ({"keys": []}, "holds no keys"),
        ("not a key set", "not a JSON Web Key Set"),
        ({"keys": [ECKey.generate_key("P-256").as_dict(private=True)]}, "private key"),
        ({"keys": [ECKey.generate_key("P-384").as_dict(private=False)]}, "EC P-256"),
        ({"keys": [short_rsa_key()]}, "2048 bits"),
        ({"keys": [OctKey.generate_key(256).as_dict(private=True)]}, "private key"),
    ],
)
def test_only_public_ec_and_rsa_keys_are_registered(jwks, message):
    with pytest.raises(ClientError, match=message):
        public_key_set(jwks)  # type: ignore[arg-type]
