"""POST /oauth/token, /oauth/revoke and /oauth/introspect: load the records, run authlib in a thread, save."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import unquote

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from hub.api.ratelimit import throttle_sign_in
from hub.auth.records import (
    AssertionReplayed,
    Records,
    load_assertion,
    load_clients,
    load_grant,
    load_presented_token,
    unverified_assertion,
)
from hub.auth.server import FormRequest, HubAuthorizationServer, RegisteredClient, is_undescribable

TokenLoader = Callable[[AsyncSession, Records, Mapping[str, str], Any], Awaitable[None]]
Run = Callable[[HubAuthorizationServer, FormRequest], Response]

FORM = "application/x-www-form-urlencoded"


def _basic_client_id(authorization: str | None) -> str | None:
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip()).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return unquote(decoded.partition(":")[0]) or None


def _named_clients(form: Mapping[str, str], headers: Mapping[str, str]) -> set[str]:
    """Every client the request names: client_id, HTTP Basic, or the subject of a client assertion."""
    assertion = unverified_assertion(form) if form.get("client_assertion") else None
    named = (form.get("client_id"), _basic_client_id(headers.get("authorization")), assertion[0] if assertion else None)
    return {client_id for client_id in named if client_id}


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


async def _load_grant(session: AsyncSession, records: Records, form: Mapping[str, str], hub: Any) -> None:
    await load_grant(session, records, form)


async def _load_presented(session: AsyncSession, records: Records, form: Mapping[str, str], hub: Any) -> None:
    if form.get("token"):
        await load_presented_token(session, records, form["token"], hub.keyring, hub.settings)


def _guarded(run: Run, server: HubAuthorizationServer, oauth_request: FormRequest) -> Response:
    try:
        return run(server, oauth_request)
    except ValueError as error:
        if not is_undescribable(error):
            raise
        return _oauth_error(400, "invalid_request", "The request holds characters the hub does not accept.")


async def _serve(request: Request, path: str, load_token: TokenLoader, run: Run) -> Response:
    if request.headers.get("content-type", "").split(";")[0].strip() != FORM:
        return _oauth_error(400, "invalid_request", "The body must be application/x-www-form-urlencoded.")
    form = {k: str(v) for k, v in (await request.form()).items()}
    hub = request.app.state.hub
    await hub.refresh_keys()
    url = f"{hub.settings.issuer}{path}"
    try:
        async with hub.database.transaction() as session:
            records = Records()
            await load_clients(session, records, _named_clients(form, request.headers), RegisteredClient)
            await load_assertion(session, records, form)
            await load_token(session, records, form, hub)
            server = HubAuthorizationServer(hub.settings, hub.keyring, records, url)
            response = await run_in_threadpool(_guarded, run, server, FormRequest(url, request.headers, form))
            await records.save(session)  # also after a refusal: a reused refresh token still revokes its family
    except AssertionReplayed:
        return _oauth_error(400, "invalid_client", "The client assertion was used before.")
    return response


async def token_endpoint(request: Request) -> Response:
    """POST /oauth/token: client credentials, authorization code (PKCE) and refresh token grants (RFC 6749 §5)."""
    sent = await request.form() if request.headers.get("content-type", "").startswith(FORM) else {}
    named = _named_clients({k: str(v) for k, v in sent.items()}, request.headers)
    retry_after = await throttle_sign_in(request, ",".join(sorted(named)) or None)
    if retry_after is not None:
        response = _oauth_error(429, "rate_limited", f"Too many requests; retry after {int(retry_after)} seconds.")
        response.headers["Retry-After"] = str(int(retry_after))
        return response
    return await _serve(request, "/oauth/token", _load_grant, lambda server, req: server.create_token_response(req))


async def revocation_endpoint(request: Request) -> Response:
    """POST /oauth/revoke (RFC 7009): 200 whether or not the token was known."""
    return await _serve(
        request,
        "/oauth/revoke",
        _load_presented,
        lambda server, req: server.create_endpoint_response("revocation", req),
    )


async def introspection_endpoint(request: Request) -> Response:
    """POST /oauth/introspect (RFC 7662): authenticated clients only; a dead token is just {"active": false}."""
    return await _serve(
        request,
        "/oauth/introspect",
        _load_presented,
        lambda server, req: server.create_endpoint_response("introspection", req),
    )
