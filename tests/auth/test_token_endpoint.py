"""POST /oauth/token: the client-credentials grant and its RFC 6749 §5.2 errors."""

from __future__ import annotations

from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from sqlalchemy import select

from hub.agencies.models import AgencyKind
from hub.auth.models import OAuthClient
from hub.auth.scopes import Role
from hub.auth.service import disable_client
from tests.factories import create_agency, create_client, unverified_claims, unverified_header


def claims_of(token: str) -> tuple[dict, dict]:
    return unverified_header(token), unverified_claims(token)


async def test_basic_auth_issues_an_rfc9068_token(http, session):
    agency = await create_agency(session, AgencyKind.POLICE)
    issued = await create_client(session, agency)
    response = await http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(issued.client.client_id, issued.secret)
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert "refresh_token" not in body
    header, claims = claims_of(body["access_token"])
    assert header["typ"] == "at+jwt"
    assert header["alg"] == "ES256"
    assert header["kid"]
    assert claims["iss"] == "http://127.0.0.1:8000"
    assert claims["aud"] == "http://127.0.0.1:8000/graphql"
    assert claims["sub"] == issued.client.client_id
    assert claims["client_id"] == issued.client.client_id
    assert claims["exp"] - claims["iat"] == 900
    assert claims["agency"] == str(agency.id)
    assert claims["agency_kind"] == "POLICE"
    assert claims["roles"] == ["REFERRER"]
    assert claims["scope"] == "referrals:read referrals:write webhooks:manage"
    assert len(claims["jti"]) == 36


async def test_post_auth_and_narrowed_scope(http, session):
    issued = await create_client(session, await create_agency(session))
    response = await http.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": issued.client.client_id,
            "client_secret": issued.secret,
            "scope": "referrals:read",
        },
    )
    assert response.status_code == 200
    assert claims_of(response.json()["access_token"])[1]["scope"] == "referrals:read"


async def test_secret_is_stored_only_as_an_argon2_hash(session):
    issued = await create_client(session, await create_agency(session))
    row = (await session.execute(select(OAuthClient).where(OAuthClient.id == issued.client.id))).scalar_one()
    assert row.secret_hash.startswith("$argon2id$")
    assert issued.secret not in row.secret_hash


async def _token_error(http, data, auth=None):
    response = await http.post("/oauth/token", data=data, auth=auth)
    return response.status_code, response.json()


async def test_unknown_client_is_invalid_client(http, session):
    status, body = await _token_error(http, {"grant_type": "client_credentials"}, ("hub_nobody", "whatever"))
    assert status == 401
    assert body["error"] == "invalid_client"


async def test_wrong_secret_is_invalid_client(http, session):
    issued = await create_client(session, await create_agency(session))
    status, body = await _token_error(http, {"grant_type": "client_credentials"}, (issued.client.client_id, "wrong"))
    assert (status, body["error"]) == (401, "invalid_client")


async def test_wrong_secret_by_post_is_invalid_client(http, session):
    issued = await create_client(session, await create_agency(session))
    data = {"grant_type": "client_credentials", "client_id": issued.client.client_id, "client_secret": "wrong"}
    status, body = await _token_error(http, data)
    assert (status, body["error"]) == (401, "invalid_client")


async def test_disabled_client_is_invalid_client(http, session):
    issued = await create_client(session, await create_agency(session))
    await disable_client(session, issued.client)
    status, body = await _token_error(
        http, {"grant_type": "client_credentials"}, (issued.client.client_id, issued.secret)
    )
    assert (status, body["error"]) == (401, "invalid_client")


async def test_unsupported_grant_type(http, session):
    issued = await create_client(session, await create_agency(session))
    status, body = await _token_error(http, {"grant_type": "password"}, (issued.client.client_id, issued.secret))
    assert (status, body["error"]) == (400, "unsupported_grant_type")


async def test_scope_beyond_the_clients_is_invalid_scope(http, session):
    issued = await create_client(session, await create_agency(session))
    data = {"grant_type": "client_credentials", "scope": "referrals:read statistics:read"}
    status, body = await _token_error(http, data, (issued.client.client_id, issued.secret))
    assert (status, body["error"]) == (400, "invalid_scope")
    assert "statistics:read" in body["error_description"]


async def test_unknown_scope_is_invalid_scope(http, session):
    issued = await create_client(session, await create_agency(session))
    data = {"grant_type": "client_credentials", "scope": "everything"}
    status, body = await _token_error(http, data, (issued.client.client_id, issued.secret))
    assert (status, body["error"]) == (400, "invalid_scope")


async def test_json_body_is_invalid_request(http, session):
    response = await http.post("/oauth/token", json={"grant_type": "client_credentials"})
    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")


async def test_service_roles_only_for_the_rj_service(session):
    import pytest

    from hub.auth.service import ClientError

    police = await create_agency(session, AgencyKind.POLICE)
    with pytest.raises(ClientError, match="only for the RJ service"):
        await create_client(session, police, {Role.MANAGER})


async def test_metadata_and_jwks(http, session):
    metadata = (await http.get("/.well-known/oauth-authorization-server")).json()
    assert metadata["issuer"] == "http://127.0.0.1:8000"
    assert metadata["token_endpoint"] == "http://127.0.0.1:8000/oauth/token"
    assert metadata["jwks_uri"] == "http://127.0.0.1:8000/oauth/jwks"
    assert metadata["authorization_endpoint"] == "http://127.0.0.1:8000/oauth/authorize"
    assert metadata["revocation_endpoint"] == "http://127.0.0.1:8000/oauth/revoke"
    assert metadata["introspection_endpoint"] == "http://127.0.0.1:8000/oauth/introspect"
    assert metadata["grant_types_supported"] == ["authorization_code", "refresh_token", "client_credentials"]
    assert metadata["response_types_supported"] == ["code"]
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    every_method = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]
    assert metadata["token_endpoint_auth_methods_supported"] == every_method
    assert metadata["revocation_endpoint_auth_methods_supported"] == every_method
    assert metadata["introspection_endpoint_auth_methods_supported"] == every_method[:3]
    assert metadata["token_endpoint_auth_signing_alg_values_supported"] == ["ES256", "RS256", "PS256"]
    AuthorizationServerMetadata(metadata).validate()  # authlib's RFC 8414 checks
    keys = (await http.get("/oauth/jwks")).json()["keys"]
    assert len(keys) == 1
    assert keys[0]["kty"] == "EC" and keys[0]["crv"] == "P-256"
    assert "d" not in keys[0]  # never the private part


async def test_odd_characters_in_a_parameter_are_an_ordinary_error(http, session):
    issued = await create_client(session, await create_agency(session))
    data = {"grant_type": "client_credentials", "scope": 'référrals "all"'}
    status, body = await _token_error(http, data, (issued.client.client_id, issued.secret))
    assert (status, body["error"]) == (400, "invalid_scope")
