"""POST /oauth/token with an authorization code: PKCE S256, single use, short life, bound to client and URI."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hub.agencies.models import AgencyKind
from hub.auth.models import AuthorizationCode, RefreshToken, User
from hub.auth.passwords import token_digest
from hub.columns import utcnow
from tests.auth.portal import code_for, exchange, new_verifier
from tests.factories import PORTAL_CALLBACK, create_agency, create_portal, create_user, graphql

EMAIL = "sam@police.example.org"


@pytest.fixture
async def police(session):
    return await create_agency(session, AgencyKind.POLICE)


@pytest.fixture
async def portal(session, police):
    await create_user(session, police, email=EMAIL)
    return await create_portal(session, police, redirect_uris=(PORTAL_CALLBACK, "https://portal.example.org/other"))


def _refused(response, error: str = "invalid_grant") -> dict:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == error
    assert "access_token" not in body
    return dict(body)


async def test_the_code_is_stored_only_as_a_hash_and_lives_60_seconds(http, session, portal):
    code = await code_for(http, portal, EMAIL, new_verifier())
    row = (await session.execute(sa.select(AuthorizationCode))).scalars().one()
    assert row.code_hash == token_digest(code) and code not in row.code_hash
    assert (row.expires_at - row.created_at).total_seconds() == 60
    assert (row.client_id, row.redirect_uri, row.scope) == (portal.id, PORTAL_CALLBACK, "referrals:read")
    assert row.code_challenge_method == "S256"


async def test_missing_verifier(http, portal):
    code = await code_for(http, portal, EMAIL, new_verifier())
    assert "code_verifier" in _refused(await exchange(http, portal, code, None), "invalid_request")["error_description"]


async def test_wrong_verifier(http, portal):
    code = await code_for(http, portal, EMAIL, new_verifier())
    _refused(await exchange(http, portal, code, new_verifier()))


async def test_the_challenge_itself_is_not_a_verifier(http, portal):
    """What a 'plain' exchange would send: the challenge as the verifier."""
    from authlib.oauth2.rfc7636 import create_s256_code_challenge

    verifier = new_verifier()
    code = await code_for(http, portal, EMAIL, verifier)
    _refused(await exchange(http, portal, code, create_s256_code_challenge(verifier)))


async def test_a_verifier_without_a_challenge_cannot_happen(http, session, portal):
    """No code is issued without an S256 challenge (the page refuses, the table forbids), so a verifier is always
    checked against one."""
    page = await http.get(
        "/oauth/authorize",
        params={"response_type": "code", "client_id": portal.client_id, "redirect_uri": PORTAL_CALLBACK},
    )
    assert page.status_code == 302 and "error=invalid_request" in page.headers["location"]
    person = (await session.execute(sa.select(User.id))).scalar_one()
    for challenge, method in ((None, None), ("a" * 43, "plain")):
        code = AuthorizationCode(
            code_hash=token_digest(new_verifier()),
            client_id=portal.id,
            user_id=person,
            redirect_uri=PORTAL_CALLBACK,
            scope="referrals:read",
            code_challenge=challenge,
            code_challenge_method=method,
            expires_at=utcnow(),
        )
        with pytest.raises(sa.exc.IntegrityError):
            async with session.begin_nested():
                session.add(code)
                await session.flush()


async def test_a_code_is_used_once_and_its_reuse_revokes_the_tokens(http, session, portal):
    verifier = new_verifier()
    code = await code_for(http, portal, EMAIL, verifier)
    first = await exchange(http, portal, code, verifier)
    assert first.status_code == 200
    _refused(await exchange(http, portal, code, verifier))
    # RFC 6749 §4.1.2: the tokens issued for the code are revoked.
    assert (await session.execute(sa.select(RefreshToken.revoked_at))).scalar_one() is not None
    response = await http.post(
        "/graphql",
        json={"query": "{ viewer { subject } }"},
        headers={"Authorization": f"Bearer {first.json()['access_token']}"},
    )
    assert response.status_code == 401


async def test_an_expired_code(http, session, portal):
    verifier = new_verifier()
    code = await code_for(http, portal, EMAIL, verifier)
    await session.execute(
        sa.update(AuthorizationCode).values(expires_at=sa.func.now() - sa.text("interval '1 second'"))
    )
    _refused(await exchange(http, portal, code, verifier))


async def test_another_registered_redirect_uri_at_the_token_endpoint(http, portal):
    verifier = new_verifier()
    code = await code_for(http, portal, EMAIL, verifier)
    _refused(await exchange(http, portal, code, verifier, redirect_uri="https://portal.example.org/other"))


async def test_a_code_of_another_portal(http, session, police, portal):
    other = await create_portal(session, police)
    verifier = new_verifier()
    code = await code_for(http, portal, EMAIL, verifier)
    _refused(await exchange(http, other, code, verifier))


async def test_an_unknown_code(http, portal):
    _refused(await exchange(http, portal, "not-a-code", new_verifier()))


async def test_a_public_client_cannot_pretend_to_have_a_secret(http, portal):
    verifier = new_verifier()
    code = await code_for(http, portal, EMAIL, verifier)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": PORTAL_CALLBACK,
        "code_verifier": verifier,
        "client_id": portal.client_id,
        "client_secret": "guess",
    }
    response = await http.post("/oauth/token", data=form)
    assert response.json()["error"] == "invalid_client"


async def test_a_disabled_person_gets_no_token(http, session, portal):
    verifier = new_verifier()
    code = await code_for(http, portal, EMAIL, verifier)
    await session.execute(sa.update(User).values(disabled_at=sa.func.now()))
    _refused(await exchange(http, portal, code, verifier))


async def test_the_token_is_the_persons(http, portal):
    verifier = new_verifier()
    token = (await exchange(http, portal, await code_for(http, portal, EMAIL, verifier), verifier)).json()
    assert set(token) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    result = await graphql(http, token["access_token"], "{ viewer { roles scopes } }")
    assert result["data"]["viewer"] == {"roles": ["REFERRER"], "scopes": ["referrals:read"]}
