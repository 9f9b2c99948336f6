"""GET and POST /oauth/authorize: the sign-in page, and every request it refuses."""

from __future__ import annotations

import pytest

from hub.agencies.models import AgencyKind
from hub.auth.scopes import Role
from hub.auth.service import disable_client
from tests.auth.portal import authorize_parameters, hidden_fields, new_verifier, query_of, sign_in
from tests.factories import PORTAL_CALLBACK, create_agency, create_client, create_portal, create_user


@pytest.fixture
async def police(session):
    return await create_agency(session, AgencyKind.POLICE)


@pytest.fixture
async def portal(session, police):
    return await create_portal(session, police)


async def _open(http, portal, **overrides):
    return await http.get("/oauth/authorize", params=authorize_parameters(portal, new_verifier(), **overrides))


def _error_page(response, text: str) -> None:
    """Shown by the hub: never a redirect to a URI that is not known good."""
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert text in response.text


def _sent_back(response, error: str) -> dict[str, str]:
    """Refused, and told to the portal at its registered redirect URI, with the state."""
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(f"{PORTAL_CALLBACK}?")
    query = query_of(location)
    assert (query["error"], query["state"]) == (error, "state-1234")
    assert "code" not in query
    return query


async def test_the_page_is_a_form_that_cannot_be_framed(http, portal):
    page = await _open(http, portal)
    assert page.status_code == 200
    assert page.headers["x-frame-options"] == "DENY"
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    fields = hidden_fields(page.text)
    assert fields["csrf_token"] == http.cookies["hub_signin"]
    assert fields["code_challenge_method"] == "S256" and fields["state"] == "state-1234"
    assert "<script" not in page.text
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


async def test_unknown_client_is_an_error_page(http, portal):
    _error_page(await _open(http, portal, client_id="hub_nobody"), "not registered with the hub")


async def test_disabled_client_is_an_error_page(http, session, portal):
    await disable_client(session, portal)
    _error_page(await _open(http, portal), "not registered with the hub")


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example.org/callback",
        "https://portal.example.org/callback/",  # trailing slash
        "https://portal.example.org/callback?next=/",  # extra query
        "https://portal.example.org/callbackx",  # prefix
        "https://PORTAL.example.org/callback",  # case
        "http://portal.example.org/callback",  # scheme
        "https://portal.example.org:443/callback",  # explicit port
    ],
)
async def test_a_redirect_uri_not_exactly_registered_is_an_error_page(http, portal, redirect_uri):
    _error_page(await _open(http, portal, redirect_uri=redirect_uri), "is not supported by client")


async def test_missing_redirect_uri_is_an_error_page(http, portal):
    _error_page(await _open(http, portal, redirect_uri=None), "Missing")


async def test_repeated_parameter_is_an_error_page(http, portal):
    params = [*authorize_parameters(portal, new_verifier()).items(), ("redirect_uri", "https://evil.example.org")]
    _error_page(await http.get("/oauth/authorize", params=params), "The parameter redirect_uri is repeated.")


async def test_plain_pkce_is_refused(http, portal):
    verifier = new_verifier()
    query = _sent_back(
        await _open(http, portal, code_challenge=verifier, code_challenge_method="plain"), "invalid_request"
    )
    assert "S256" in query["error_description"]


async def test_no_pkce_is_refused(http, portal):
    _sent_back(await _open(http, portal, code_challenge=None, code_challenge_method=None), "invalid_request")


async def test_a_challenge_without_a_method_is_refused(http, portal):
    """RFC 7636 would read a missing method as plain."""
    _sent_back(await _open(http, portal, code_challenge_method=None), "invalid_request")


async def test_a_method_without_a_challenge_is_refused(http, portal):
    _sent_back(await _open(http, portal, code_challenge=None), "invalid_request")


async def test_a_malformed_challenge_is_refused(http, portal):
    _sent_back(await _open(http, portal, code_challenge="too-short"), "invalid_request")


async def test_response_type_token_is_refused(http, portal):
    _sent_back(await _open(http, portal, response_type="token"), "unsupported_response_type")


async def test_a_scope_beyond_the_portal_is_refused(http, portal):
    _sent_back(await _open(http, portal, scope="referrals:read statistics:read"), "invalid_scope")


async def test_a_client_credentials_client_cannot_use_the_page(http, session):
    issued = await create_client(session, await create_agency(session))
    page = await http.get(
        "/oauth/authorize",
        params={**authorize_parameters(issued.client, new_verifier()), "client_id": issued.client.client_id},
    )
    _error_page(page, "is not supported by client")  # it has no redirect URI at all


async def test_sign_in_without_the_csrf_cookie_is_refused(http, session, police, portal):
    await create_user(session, police, email="a@example.org")
    page = await _open(http, portal)
    http.cookies.clear()
    answer = await sign_in(http, page, "a@example.org")
    assert answer.status_code == 403 and "location" not in answer.headers
    assert "did not come from the hub" in answer.text


async def test_sign_in_with_another_csrf_token_is_refused(http, portal):
    page = await _open(http, portal)
    form = {**hidden_fields(page.text), "csrf_token": "forged", "email": "a@example.org", "password": "x"}
    answer = await http.post("/oauth/authorize", data=form)
    assert answer.status_code == 403


async def test_a_tampered_redirect_uri_in_the_form_is_an_error_page(http, session, police, portal):
    await create_user(session, police, email="b@example.org")
    page = await _open(http, portal)
    form = {**hidden_fields(page.text), "redirect_uri": "https://evil.example.org/cb"}
    answer = await http.post("/oauth/authorize", data={**form, "email": "b@example.org", "password": "x"})
    _error_page(answer, "is not supported by client")


async def test_a_person_of_another_agency_cannot_use_the_portal(http, session, portal):
    other = await create_agency(session, AgencyKind.PROBATION)
    await create_user(session, other, email="c@probation.example.org")
    answer = await sign_in(http, await _open(http, portal), "c@probation.example.org")
    assert answer.status_code == 200 and "location" not in answer.headers
    assert "Your account cannot be used with Test portal." in answer.text


async def test_a_person_without_a_role_of_the_portal_cannot_use_it(http, session, police, portal):
    await create_user(session, police, {Role.FACILITATOR}, email="d@example.org")
    answer = await sign_in(http, await _open(http, portal), "d@example.org")
    assert "Your account cannot be used with Test portal." in answer.text


async def test_a_wrong_password_shows_the_form_again(http, session, police, portal):
    await create_user(session, police, email="e@example.org")
    answer = await sign_in(http, await _open(http, portal), "e@example.org", "not the password")
    assert answer.status_code == 200 and "location" not in answer.headers
    assert "The email address or password is not right." in answer.text
    assert hidden_fields(answer.text)["state"] == "state-1234"  # the form can be sent again


async def test_characters_an_oauth_error_cannot_carry_give_an_error_page(http, portal):
    _error_page(await _open(http, portal, redirect_uri='https://portal.example.org/"é'), "does not accept")


async def test_an_unknown_scope_with_odd_characters_is_still_sent_back(http, portal):
    query = _sent_back(await _open(http, portal, scope='referrals:read "everything"'), "invalid_scope")
    assert query["error_description"] == "The client may not ask for: ?everything?"
