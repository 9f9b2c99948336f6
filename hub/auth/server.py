"""The OAuth 2.0 authorization server: authlib's synchronous core, wrapped for Starlette.

authlib looks clients up synchronously, so the endpoint loads the client from the database first (async)
and hands authlib a lookup over what it loaded; the argon2 check then runs in a worker thread.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from authlib.oauth2 import rfc6749
from authlib.oauth2.rfc6749 import OAuth2Request
from authlib.oauth2.rfc6749.errors import InvalidScopeError
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from hub.agencies.models import Agency
from hub.auth import repository
from hub.auth.keys import ALGORITHM, KeyRing
from hub.auth.models import OAuthClient
from hub.auth.passwords import verify_secret
from hub.auth.scopes import Scope
from hub.auth.tokens import AccessTokenGenerator
from hub.config import Settings
from hub.db import Database

CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
GRANT_TYPES = ["client_credentials"]


@dataclass
class RegisteredClient(rfc6749.ClientMixin):
    """authlib's view of an OAuth client row (or of a client that does not exist)."""

    row: OAuthClient | None
    agency_kind: str = ""
    requested_id: str = ""

    @property
    def agency_id(self) -> Any:
        return self.row.agency_id if self.row else None

    @property
    def facilitator_id(self) -> Any:
        return self.row.facilitator_id if self.row else None

    @property
    def roles(self) -> list[str]:
        return list(self.row.roles) if self.row else []

    def get_client_id(self) -> str:
        return self.row.client_id if self.row else self.requested_id

    def get_default_redirect_uri(self) -> str | None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        allowed = self.row.scopes if self.row else []
        if not scope:
            return " ".join(sorted(allowed))
        return " ".join(s for s in scope.split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        # The argon2 work is done even for unknown or disabled clients, so timing tells nothing.
        secret_ok = verify_secret(self.row.secret_hash if self.row else None, client_secret)
        return secret_ok and self.row is not None and self.row.disabled_at is None

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return self.row is not None and method in CLIENT_AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return self.row is not None and grant_type in self.row.grant_types


class HubClientCredentialsGrant(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def validate_requested_scope(self) -> None:
        requested = set((self.request.payload.scope or "").split())
        allowed = set(self.request.client.row.scopes)
        if not requested <= allowed:
            unknown = ", ".join(sorted(requested - allowed))
            raise InvalidScopeError(f"The client may not ask for: {unknown}")


class FormPayload(rfc6749.OAuth2Payload):
    def __init__(self, form: dict[str, str]) -> None:
        self._data = form

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list]:
        return defaultdict(list, {k: [v] for k, v in self._data.items()})


class FormRequest(OAuth2Request):
    """An OAuth2Request over a form already read from the Starlette request."""

    def __init__(self, uri: str, headers: Mapping[str, str], form: dict[str, str]) -> None:
        super().__init__(method="POST", uri=uri, headers=headers)
        self.payload = FormPayload(form)
        self._form = form

    @property
    def args(self) -> dict[str, str]:
        return {}

    @property
    def form(self) -> dict[str, str]:
        return self._form


class HubAuthorizationServer(rfc6749.AuthorizationServer):
    """Built per token request, knowing only the clients loaded for that request."""

    def __init__(self, settings: Settings, keyring: KeyRing, clients: dict[str, RegisteredClient]) -> None:
        super().__init__(scopes_supported=[s.value for s in Scope])
        self.register_grant(HubClientCredentialsGrant)
        self.register_token_generator("default", AccessTokenGenerator(settings, keyring))
        self._clients = clients

    def query_client(self, client_id: str) -> RegisteredClient:
        return self._clients.get(client_id) or RegisteredClient(row=None, requested_id=client_id)

    def save_token(self, token: dict, request: OAuth2Request) -> None:
        """Access tokens are self-contained JWTs: nothing to store."""

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> Response:
        return Response(json.dumps(body), status_code=status, headers=dict(headers), media_type="application/json")

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """No signal receivers in the hub."""


def _basic_client_id(authorization: str | None) -> str | None:
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip()).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return unquote(decoded.partition(":")[0]) or None


async def _load_clients(database: Database, client_ids: set[str]) -> dict[str, RegisteredClient]:
    clients: dict[str, RegisteredClient] = {}
    async with database.transaction() as session:
        for client_id in client_ids:
            row = await repository.client_by_client_id(session, client_id)
            if row is not None:
                agency = await session.get(Agency, row.agency_id)
                clients[client_id] = RegisteredClient(row=row, agency_kind=agency.kind.value if agency else "")
    return clients


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


async def token_endpoint(request: Request) -> Response:
    """POST /oauth/token (RFC 6749 §4.4, errors per §5.2)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        return _oauth_error(400, "invalid_request", "The body must be application/x-www-form-urlencoded.")
    form = {k: str(v) for k, v in (await request.form()).items()}
    client_ids = {cid for cid in (form.get("client_id"), _basic_client_id(request.headers.get("authorization"))) if cid}
    hub = request.app.state.hub
    await hub.refresh_keys()
    server = HubAuthorizationServer(hub.settings, hub.keyring, await _load_clients(hub.database, client_ids))
    oauth_request = FormRequest(f"{hub.settings.issuer}/oauth/token", request.headers, form)
    return await run_in_threadpool(server.create_token_response, oauth_request)


async def jwks_endpoint(request: Request) -> Response:
    hub = request.app.state.hub
    await hub.refresh_keys()
    return JSONResponse(hub.keyring.jwks(), headers={"Cache-Control": "public, max-age=300"})


def authorization_server_metadata(settings: Settings) -> dict[str, Any]:
    """RFC 8414 metadata."""
    issuer = settings.issuer
    return {
        "issuer": issuer,
        "token_endpoint": f"{issuer}/oauth/token",
        "jwks_uri": f"{issuer}/oauth/jwks",
        "grant_types_supported": GRANT_TYPES,
        "token_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "scopes_supported": [s.value for s in Scope],
        "response_types_supported": [],
        "access_token_signing_alg_values_supported": [ALGORITHM],
    }


async def metadata_endpoint(request: Request) -> Response:
    return JSONResponse(authorization_server_metadata(request.app.state.hub.settings))
