"""A browser and a portal for the sign-in tests: open the hub's page, fill it in, follow the code back."""

from __future__ import annotations

import html
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from hub.auth.models import OAuthClient
from tests.conftest import PUBLIC_URL
from tests.factories import PASSWORD, PORTAL_CALLBACK

AUTHORIZE_URL = f"{PUBLIC_URL}/oauth/authorize"
TOKEN_URL = f"{PUBLIC_URL}/oauth/token"
REVOKE_URL = f"{PUBLIC_URL}/oauth/revoke"
INTROSPECT_URL = f"{PUBLIC_URL}/oauth/introspect"
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def new_verifier() -> str:
    return secrets.token_urlsafe(48)


def authorize_parameters(portal: OAuthClient, verifier: str, **overrides: str | None) -> dict[str, str]:
    """A good authorization request; an override of None leaves the parameter out."""
    values: dict[str, str | None] = {
        "response_type": "code",
        "client_id": portal.client_id,
        "redirect_uri": PORTAL_CALLBACK,
        "scope": "referrals:read",
        "state": "state-1234",
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def hidden_fields(page: str) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in HIDDEN.findall(page)}


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def sign_in(browser: httpx.AsyncClient, page: httpx.Response, email: str, password: str = PASSWORD) -> Any:
    """Fill in and send the sign-in form of the page."""
    assert page.status_code == 200, page.text
    form = {**hidden_fields(page.text), "email": email, "password": password}
    return await browser.post("/oauth/authorize", data=form)


async def code_for(browser: httpx.AsyncClient, portal: OAuthClient, email: str, verifier: str, **overrides: Any) -> str:
    """Sign the person in through the portal and return the authorization code sent back to it."""
    page = await browser.get("/oauth/authorize", params=authorize_parameters(portal, verifier, **overrides))
    answer = await sign_in(browser, page, email)
    assert answer.status_code == 302, answer.text
    return query_of(answer.headers["location"])["code"]


async def exchange(
    http: httpx.AsyncClient, portal: OAuthClient, code: str, verifier: str | None, redirect_uri: str = PORTAL_CALLBACK
) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": portal.client_id,
    }
    if verifier is not None:
        form["code_verifier"] = verifier
    return await http.post("/oauth/token", data=form)


async def portal_tokens(http: httpx.AsyncClient, portal: OAuthClient, email: str) -> dict[str, Any]:
    """A person's access and refresh tokens, through the whole sign-in."""
    verifier = new_verifier()
    response = await exchange(http, portal, await code_for(http, portal, email, verifier), verifier)
    assert response.status_code == 200, response.text
    return dict(response.json())
