"""GET and POST /oauth/authorize: the authorization-code grant's sign-in page, served by the hub.

A request whose client or redirect URI cannot be trusted is answered with an error page, never redirected; once
both are known good, authlib's errors (no PKCE, a plain challenge, an unknown scope, ...) go back to the portal.
The form carries a CSRF token that must equal the one in a cookie set with the page (double submit).
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc6749.errors import OAuth2Error
from starlette.requests import Request
from starlette.responses import Response

from hub.api.ratelimit import throttle_sign_in
from hub.auth.pages import error_page, sign_in_page
from hub.auth.records import Person, Records, load_clients
from hub.auth.server import FormRequest, HubAuthorizationServer, RegisteredClient, is_undescribable
from hub.auth.signin import SignInOutcome, sign_in
from hub.config import Settings

PARAMETERS = ("response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method")
CSRF_FIELD = "csrf_token"
CSRF_MAX_AGE = 1800


@dataclass
class Prepared:
    """A validated authorization request: the server built for it, authlib's grant and the client."""

    server: HubAuthorizationServer
    grant: Any
    request: FormRequest
    client: RegisteredClient


def _csrf_cookie(settings: Settings) -> str:
    # Over https the __Host- prefix stops a sibling subdomain from planting the cookie.
    return "__Host-hub_signin" if settings.public_url.scheme == "https" else "hub_signin"


def _with_csrf_cookie(response: Response, settings: Settings, token: str) -> Response:
    secure = settings.public_url.scheme == "https"
    response.set_cookie(
        _csrf_cookie(settings), token, max_age=CSRF_MAX_AGE, path="/", secure=secure, httponly=True, samesite="strict"
    )
    return response


def _csrf_valid(request: Request, form: dict[str, str], settings: Settings) -> bool:
    cookie, sent = request.cookies.get(_csrf_cookie(settings), ""), form.get(CSRF_FIELD, "")
    return bool(cookie) and secrets.compare_digest(cookie.encode(), sent.encode())


def _repeated(items: list[tuple[str, str]]) -> str | None:
    names = [name for name, _ in items if name in PARAMETERS]
    return next((name for name in names if names.count(name) > 1), None)


async def _prepare(request: Request, parameters: dict[str, str], items: list[tuple[str, str]]) -> Prepared | Response:
    """Validate the authorization request: an error page while the client or redirect URI is in doubt."""
    hub = request.app.state.hub
    if repeated := _repeated(items):
        return error_page(f"The parameter {repeated} is repeated.")
    records = Records()
    async with hub.database.transaction() as session:
        await load_clients(session, records, {parameters.get("client_id", "")} - {""}, RegisteredClient)
    client = records.clients.get(parameters.get("client_id", ""))
    if client is None or not client.usable:
        return error_page("The application asking you to sign in is not registered with the hub.")
    url = f"{hub.settings.issuer}/oauth/authorize"
    server = HubAuthorizationServer(hub.settings, hub.keyring, records, url)
    return _consent(server, FormRequest(url, request.headers, parameters, method=request.method), client)


def _consent(
    server: HubAuthorizationServer, oauth_request: FormRequest, client: RegisteredClient
) -> Prepared | Response:
    try:
        return Prepared(server, server.get_consent_grant(oauth_request), oauth_request, client)
    except OAuth2Error as error:
        return _refused(server, oauth_request, error)
    except ValueError as error:
        if not is_undescribable(error):
            raise
        return error_page("The sign-in request holds characters the hub does not accept.")


def _refused(server: HubAuthorizationServer, oauth_request: FormRequest, error: OAuth2Error) -> Response:
    if error.redirect_uri:  # set by authlib only once the redirect URI matched the client's list
        return server.handle_error_response(oauth_request, error)  # type: ignore[no-any-return]
    return error_page(error.description or "The sign-in request is not valid.")


async def sign_in_form(request: Request) -> Response:
    """GET /oauth/authorize: check the request, then show the sign-in form."""
    parameters = {k: v for k, v in request.query_params.items() if k in PARAMETERS}
    prepared = await _prepare(request, parameters, list(request.query_params.multi_items()))
    if isinstance(prepared, Response):
        return prepared
    settings = request.app.state.hub.settings
    token = request.cookies.get(_csrf_cookie(settings)) or secrets.token_urlsafe(32)
    return _with_csrf_cookie(sign_in_page(prepared.client.name, parameters, token), settings, token)


async def _checked_sign_in(request: Request, form: dict[str, str]) -> SignInOutcome:
    hub = request.app.state.hub
    async with hub.database.transaction() as session:
        outcome = await sign_in(session, hub.settings, form.get("email", ""), form.get("password", ""))
    if outcome.delay:
        await asyncio.sleep(outcome.delay)  # after the commit: a failure counts even if the caller gives up
    return outcome


def _refusal(person: Person, prepared: Prepared) -> str | None:
    portal = prepared.client.name
    if not person.may_use(prepared.client):
        return f"Your account cannot be used with {portal}."
    if not person.narrow_scope(prepared.client, prepared.grant.request.scope or ""):
        return f"Your roles allow none of what {portal} asks for."
    return None


async def sign_in_submitted(request: Request) -> Response:
    """POST /oauth/authorize: check the CSRF token and the request, sign the person in, send the code back."""
    sent = await request.form()
    form = {k: str(v) for k, v in sent.items()}
    parameters = {k: v for k, v in form.items() if k in PARAMETERS}
    settings = request.app.state.hub.settings
    if not _csrf_valid(request, form, settings):
        return error_page("This sign-in form has expired or did not come from the hub.", 403)
    retry_after = await throttle_sign_in(request, form.get("email"))
    if retry_after is not None:
        page = error_page(f"Too many sign-in attempts. Try again in {int(retry_after)} seconds.", 429)
        page.headers["Retry-After"] = str(int(retry_after))
        return page
    prepared = await _prepare(request, parameters, [(k, str(v)) for k, v in sent.multi_items()])
    if isinstance(prepared, Response):
        return prepared
    outcome = await _checked_sign_in(request, form)
    message = outcome.message or _refusal(outcome.person, prepared)  # type: ignore[arg-type]
    if message:
        return sign_in_page(prepared.client.name, parameters, form[CSRF_FIELD], message)
    return await _issue_code(request, prepared, outcome.person)  # type: ignore[arg-type]


async def _issue_code(request: Request, prepared: Prepared, person: Person) -> Response:
    async with request.app.state.hub.database.transaction() as session:
        response = prepared.server.create_authorization_response(
            prepared.request, grant_user=person, grant=prepared.grant
        )
        await prepared.server.records.save(session)
    response.headers["Cache-Control"] = "no-store"
    return response  # type: ignore[no-any-return]
