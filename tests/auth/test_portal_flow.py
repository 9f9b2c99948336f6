"""The whole portal sign-in with authlib's own OAuth client: authorize, sign in, code, token with PKCE, a GraphQL
call, refresh, revoke."""

from __future__ import annotations

import warnings

import httpx

from hub.agencies.models import AgencyKind
from hub.auth.scopes import Role
from tests.auth.portal import AUTHORIZE_URL, INTROSPECT_URL, REVOKE_URL, TOKEN_URL, new_verifier, query_of, sign_in
from tests.conftest import PUBLIC_URL
from tests.factories import PORTAL_CALLBACK, create_agency, create_client, create_portal, create_user, unverified_claims

with warnings.catch_warnings():
    # authlib's httpx integration prefers the httpx2 fork and warns, on import, that it runs on httpx itself.
    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client

VIEWER = "{ viewer { clientId subject roles scopes agency { name } } }"


def portal_client(app, portal) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=portal.client_id,
        redirect_uri=PORTAL_CALLBACK,
        scope="referrals:read referrals:write",
        code_challenge_method="S256",
        transport=httpx.ASGITransport(app=app),
        base_url=PUBLIC_URL,
    )


async def test_a_person_signs_in_through_a_portal_and_uses_the_api(app, http, session):
    police = await create_agency(session, AgencyKind.POLICE, name="Essex Police — Southend")
    portal = await create_portal(session, police, {Role.REFERRER})
    person = await create_user(session, police, {Role.REFERRER}, email="sam.taylor@police.example.org")
    verifier = new_verifier()
    async with portal_client(app, portal) as client:
        url, state = client.create_authorization_url(AUTHORIZE_URL, code_verifier=verifier)
        page = await http.get(url)  # the person's browser
        assert "Test portal asks you to sign in" in page.text
        back = await sign_in(http, page, "Sam.Taylor@police.example.org")
        assert back.status_code == 302
        location = back.headers["location"]
        assert location.startswith(f"{PORTAL_CALLBACK}?") and query_of(location)["state"] == state

        token = await client.fetch_token(TOKEN_URL, authorization_response=location, code_verifier=verifier)
        assert token["token_type"] == "Bearer" and token["expires_in"] == 900
        assert token["scope"] == "referrals:read referrals:write"
        claims = unverified_claims(token["access_token"])
        assert (claims["sub"], claims["client_id"]) == (str(person.id), portal.client_id)
        assert (claims["agency"], claims["agency_kind"], claims["roles"]) == (str(police.id), "POLICE", ["REFERRER"])

        viewer = (await client.post("/graphql", json={"query": VIEWER})).json()["data"]["viewer"]
        assert viewer == {
            "clientId": portal.client_id,
            "subject": str(person.id),
            "roles": ["REFERRER"],
            "scopes": ["referrals:read", "referrals:write"],
            "agency": {"name": "Essex Police — Southend"},
        }

        first = dict(token)
        refreshed = await client.refresh_token(TOKEN_URL)
        assert refreshed["refresh_token"] != first["refresh_token"]
        assert refreshed["access_token"] != first["access_token"]
        assert (await client.post("/graphql", json={"query": VIEWER})).status_code == 200

        revoked = await client.revoke_token(
            REVOKE_URL, token=refreshed["refresh_token"], token_type_hint="refresh_token"
        )
        assert revoked.status_code == 200
        # Revoking the refresh token takes the access token issued with it, at once.
        assert (await client.post("/graphql", json={"query": VIEWER})).status_code == 401
        again = await http.post(
            "/oauth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": refreshed["refresh_token"],
                "client_id": portal.client_id,
            },
        )
        assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")


async def test_a_facilitator_signs_in_with_their_facilitator_claim(http, session):
    from tests.auth.portal import portal_tokens
    from tests.factories import create_facilitator

    service = await create_agency(session, AgencyKind.RJ_SERVICE)
    facilitator = await create_facilitator(session, email="jordan@rj.example.org")
    portal = await create_portal(session, service, {Role.FACILITATOR, Role.COORDINATOR})
    await create_user(session, service, {Role.FACILITATOR}, email="jordan@rj.example.org", facilitator=facilitator)
    token = await portal_tokens(http, portal, "jordan@rj.example.org")
    claims = unverified_claims(token["access_token"])
    assert claims["roles"] == ["FACILITATOR"]  # the person's roles, within the portal's
    assert claims["facilitator"] == str(facilitator.id)
    assert claims["scope"] == "referrals:read"  # what FACILITATOR allows of what was asked


async def test_a_confidential_portal_authenticates_at_the_token_endpoint(app, http, session):
    from hub.auth.service import create_client as register

    police = await create_agency(session, AgencyKind.POLICE)
    issued = await register(session, police, "Server-side portal", {Role.REFERRER}, redirect_uris=[PORTAL_CALLBACK])
    await create_user(session, police, email="pat@police.example.org")
    verifier = new_verifier()
    async with AsyncOAuth2Client(
        client_id=issued.client.client_id,
        client_secret=issued.secret,
        redirect_uri=PORTAL_CALLBACK,
        scope="referrals:read",
        code_challenge_method="S256",
        transport=httpx.ASGITransport(app=app),
        base_url=PUBLIC_URL,
    ) as client:
        url, _ = client.create_authorization_url(AUTHORIZE_URL, code_verifier=verifier)
        back = await sign_in(http, await http.get(url), "pat@police.example.org")
        location = back.headers["location"]
        token = await client.fetch_token(TOKEN_URL, authorization_response=location, code_verifier=verifier)
        introspected = (await client.introspect_token(INTROSPECT_URL, token=token["access_token"])).json()
    assert introspected["active"] is True
    assert introspected["client_id"] == issued.client.client_id
    assert introspected["scope"] == "referrals:read"
    # The same client may not use the client-credentials grant: a portal acts only for people.
    refused = await http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(issued.client.client_id, issued.secret)
    )
    assert (refused.status_code, refused.json()["error"]) == (400, "unauthorized_client")
    assert create_client  # the helper for partner systems stays the client-credentials one
