"""The OAuth 2.0 authorization server: authlib's synchronous core, wrapped for Starlette.

authlib looks clients, codes and tokens up synchronously, so each endpoint first loads what the request may touch
(see records.py) and hands authlib lookups over what it loaded; authlib then runs in a worker thread (argon2 checks
are slow on purpose), and the writes it asked for are made afterwards, in the same transaction.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from authlib.oauth2 import rfc6749
from authlib.oauth2.rfc6749 import OAuth2Request
from authlib.oauth2.rfc6749.errors import InvalidClientError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from hub.auth.keys import ALGORITHM, KeyRing
from hub.auth.models import SECRET_AUTH_METHODS, OAuthClient
from hub.auth.passwords import verify_secret
from hub.auth.records import Records, remember_assertion
from hub.auth.scopes import Scope
from hub.auth.tokens import CLOCK_SKEW_SECONDS, AccessTokenGenerator
from hub.config import Settings

CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]
# Every method but `none`: what the introspection endpoint and the client-credentials grant accept.
CONFIDENTIAL_AUTH_METHODS = CLIENT_AUTH_METHODS[:3]
ASSERTION_ALGORITHMS = ["ES256", "RS256", "PS256"]
ASSERTION_MAX_LIFETIME = 300
GRANT_TYPES = ["authorization_code", "refresh_token", "client_credentials"]

# authlib refuses (ValueError) to build an error whose description holds characters RFC 6749 forbids there,
# as one that echoes a parameter sent with a quote or a non-ASCII letter would.
FORBIDDEN_CHARACTERS = "Error description contains forbidden characters"

# authlib logs the tokens it issues at DEBUG: never let them reach the hub's logs, whatever HUB_LOG_LEVEL says.
logging.getLogger("authlib").setLevel(logging.INFO)


@dataclass
class RegisteredClient(rfc6749.ClientMixin):
    """authlib's view of an OAuth client row (or of a client that does not exist)."""

    row: OAuthClient | None
    agency_kind: str = ""
    requested_id: str = ""

    @property
    def usable(self) -> bool:
        return self.row is not None and self.row.disabled_at is None

    @property
    def agency_id(self) -> Any:
        return self.row.agency_id if self.row else None

    @property
    def facilitator_id(self) -> Any:
        return self.row.facilitator_id if self.row else None

    @property
    def roles(self) -> list[str]:
        return list(self.row.roles) if self.row else []

    @property
    def name(self) -> str:
        return self.row.name if self.row else ""

    def get_client_id(self) -> str:
        return self.row.client_id if self.row else self.requested_id

    def get_default_redirect_uri(self) -> str | None:
        return None  # a portal always says where to come back to, and it must be registered

    def get_allowed_scope(self, scope: str | None) -> str:
        allowed = self.row.scopes if self.row else []
        if not scope:
            return " ".join(sorted(allowed))
        return " ".join(s for s in scope.split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        """Exact string match against the registered list: no prefixes, no normalising."""
        return self.usable and redirect_uri in self.row.redirect_uris  # type: ignore[union-attr]

    def check_client_secret(self, client_secret: str) -> bool:
        return verify_secret(self.row.secret_hash if self.row else None, client_secret) and self.usable

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        """A secret client may send its secret either way; any other client only the way it registered."""
        if not self.usable:
            return False
        registered = self.row.token_endpoint_auth_method  # type: ignore[union-attr]
        if registered in SECRET_AUTH_METHODS:
            return method in SECRET_AUTH_METHODS
        return method == registered

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and self.check_grant_type("authorization_code")

    def check_grant_type(self, grant_type: str) -> bool:
        return self.usable and grant_type in self.row.grant_types  # type: ignore[union-attr]

    def public_keys(self) -> KeySet:
        if not self.usable or not self.row.jwks:  # type: ignore[union-attr]
            return KeySet([])
        return KeySet.import_key_set(self.row.jwks)  # type: ignore[union-attr, arg-type]


class PrivateKeyJWT(JWTBearerClientAssertion):
    """RFC 7523 client authentication: an assertion signed by one of the client's registered keys, used once,
    expiring within five minutes."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self, settings: Settings, records: Records, endpoint_url: str) -> None:
        super().__init__(validate_jti=True, leeway=CLOCK_SKEW_SECONDS)
        self.settings = settings
        self.records = records
        self.endpoint_url = endpoint_url

    def __call__(self, query_client: Any, request: OAuth2Request) -> Any:
        client = super().__call__(query_client, request)
        claimed = request.form.get("client_id")
        if client is not None and claimed and claimed != client.get_client_id():
            raise InvalidClientError(description="client_id differs from the assertion's subject.")
        return client

    def get_audiences(self) -> list[str]:
        issuer = self.settings.issuer
        return sorted({issuer, f"{issuer}/oauth/token", self.endpoint_url})

    def resolve_client_public_key(self, client: Any) -> KeySet:
        return client.public_keys()  # type: ignore[no-any-return]

    def process_assertion_claims(self, assertion: str, resolve_key: Any) -> dict:
        token = self._verified(assertion, resolve_key)
        self.verify_claims(token.claims)
        return token.claims

    def _verified(self, assertion: str, keys: KeySet) -> Any:
        """The assertion verified by the registered key it names, or by any of them when it names none."""
        kid = jws.extract_compact(assertion.encode()).headers().get("kid")
        for key in [key for key in keys.keys if kid is None or key.kid == kid]:
            try:
                return jwt.decode(assertion, key, algorithms=ASSERTION_ALGORITHMS)
            except (JoseError, ValueError, TypeError):
                continue
        raise InvalidClientError(description="The client assertion is not signed by a registered key.")

    def verify_claims(self, claims: dict) -> None:
        expires = claims.get("exp")
        if isinstance(expires, int | float) and expires > time.time() + ASSERTION_MAX_LIFETIME + self.leeway:
            raise InvalidClientError(description="The client assertion must expire within 5 minutes.")
        super().verify_claims(claims)

    def validate_jti(self, claims: dict, jti: Any) -> bool:
        if (claims["sub"], str(jti)) in self.records.used_assertions:
            return False
        client = self.records.clients[claims["sub"]]
        expires_at = datetime.fromtimestamp(claims["exp"] + self.leeway, UTC)
        self.records.later(remember_assertion, client_id=client.row.id, jti=str(jti), expires_at=expires_at)
        return True


class FormPayload(rfc6749.OAuth2Payload):
    def __init__(self, form: Mapping[str, str]) -> None:
        self._data = dict(form)

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list]:
        return defaultdict(list, {k: [v] for k, v in self._data.items()})


class FormRequest(OAuth2Request):
    """An OAuth2Request over parameters already read from the Starlette request (query string or form)."""

    def __init__(self, uri: str, headers: Mapping[str, str], form: Mapping[str, str], method: str = "POST") -> None:
        super().__init__(method=method, uri=uri, headers=headers)
        self.payload = FormPayload(form)
        self._form = dict(form)

    @property
    def args(self) -> dict[str, str]:
        return self._form if self.method == "GET" else {}

    @property
    def form(self) -> dict[str, str]:
        return self._form


class HubAuthorizationServer(rfc6749.AuthorizationServer):
    """Built per request, knowing only the records loaded for that request."""

    def __init__(self, settings: Settings, keyring: KeyRing, records: Records, endpoint_url: str) -> None:
        from hub.auth.grants import register_grants

        super().__init__(scopes_supported=[s.value for s in Scope])
        self.settings = settings
        self.records = records
        register_grants(self)
        self.register_token_generator("default", AccessTokenGenerator(settings, keyring))
        self.register_client_auth_method("private_key_jwt", PrivateKeyJWT(settings, records, endpoint_url))

    def query_client(self, client_id: str) -> RegisteredClient:
        return self.records.clients.get(client_id) or RegisteredClient(row=None, requested_id=client_id)

    def save_token(self, token: dict, request: OAuth2Request) -> None:
        """Access tokens are self-contained JWTs; a refresh token is kept (hashed) by its grant."""

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> Response:
        if status in (301, 302, 303, 307):
            return Response(status_code=status, headers=dict(headers))
        return Response(json.dumps(body), status_code=status, headers=dict(headers), media_type="application/json")

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """No signal receivers in the hub."""


async def jwks_endpoint(request: Request) -> Response:
    hub = request.app.state.hub
    await hub.refresh_keys()
    return JSONResponse(hub.keyring.jwks(), headers={"Cache-Control": "public, max-age=300"})


def authorization_server_metadata(settings: Settings) -> dict[str, Any]:
    """RFC 8414 metadata."""
    issuer = settings.issuer
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oauth/authorize",
        "token_endpoint": f"{issuer}/oauth/token",
        "jwks_uri": f"{issuer}/oauth/jwks",
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "introspection_endpoint": f"{issuer}/oauth/introspect",
        "grant_types_supported": GRANT_TYPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGORITHMS,
        "revocation_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "revocation_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGORITHMS,
        "introspection_endpoint_auth_methods_supported": CONFIDENTIAL_AUTH_METHODS,
        "introspection_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGORITHMS,
        "scopes_supported": [s.value for s in Scope],
        "access_token_signing_alg_values_supported": [ALGORITHM],
    }


async def metadata_endpoint(request: Request) -> Response:
    return JSONResponse(authorization_server_metadata(request.app.state.hub.settings))


def describable(text: str) -> str:
    """The text with every character RFC 6749 forbids in an error description replaced by '?'."""
    return "".join(c if 0x20 <= ord(c) <= 0x7E and c not in '"\\' else "?" for c in text)


def is_undescribable(error: ValueError) -> bool:
    """True for authlib's refusal to describe an error that echoes a forbidden character."""
    return str(error).startswith(FORBIDDEN_CHARACTERS)
