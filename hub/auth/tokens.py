"""Access tokens: RFC 9068 JWTs, issued through authlib and validated before any resolver runs."""

from __future__ import annotations

import json
import secrets
import uuid
from typing import Any

from authlib.oauth2.rfc6749.errors import InvalidScopeError
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from hub.agencies.models import AgencyKind
from hub.auth.keys import ALGORITHM, KeyRing
from hub.auth.principal import Principal
from hub.auth.scopes import Role, Scope
from hub.config import Settings

ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt"})
CLOCK_SKEW_SECONDS = 30


class InvalidToken(Exception):
    """The bearer token cannot be accepted; the message says why, without echoing the token."""


def new_refresh_token(client: Any, grant_type: str, user: Any, scope: str) -> str:
    """An opaque refresh token: random, and stored only as a hash."""
    return secrets.token_urlsafe(32)


class AccessTokenGenerator(JWTBearerTokenGenerator):
    """authlib's RFC 9068 generator with the hub's lifetime, audience, key and claims.

    A person's token (authorization code, refresh) carries their id as `sub`, their agency, and the roles they
    hold that the client also has; its scopes are narrowed to what those roles allow.
    """

    def __init__(self, settings: Settings, keyring: KeyRing) -> None:
        # authlib's default lifetime is 10 days for most grants: always pass ours.
        super().__init__(
            issuer=settings.issuer,
            alg=ALGORITHM,
            expires_generator=lambda client, grant: settings.access_token_ttl,
            refresh_token_generator=new_refresh_token,
        )
        self.settings = settings
        self.keyring = keyring

    def generate(  # type: ignore[no-untyped-def]
        self, grant_type, client, user=None, scope=None, expires_in=None, include_refresh_token=True
    ) -> dict:
        if user is not None:
            scope = user.narrow_scope(client, client.get_allowed_scope(scope))
            if not scope:
                raise InvalidScopeError("The person's roles allow none of the scopes asked for.")
        return super().generate(grant_type, client, user, scope, expires_in, include_refresh_token)  # type: ignore[no-any-return]

    def get_jwks(self) -> KeySet:
        if self.keyring.signing is None:
            raise RuntimeError("no signing key is loaded")
        return KeySet([self.keyring.signing])  # a key set puts the key id in the header

    def get_audiences(self, client, user, scope) -> str:  # type: ignore[no-untyped-def]
        # authlib defaults the audience to the client id; ours is the hub's GraphQL resource.
        return self.settings.audience

    def get_jti(self, client, grant_type, user, scope) -> str:  # type: ignore[no-untyped-def]
        return str(uuid.uuid4())

    def get_extra_claims(self, client, grant_type, user, scope) -> dict:  # type: ignore[no-untyped-def]
        if user is not None:
            claims = dict(user.token_claims(client))
        else:
            claims = {"agency": str(client.agency_id), "agency_kind": client.agency_kind, "roles": sorted(client.roles)}
            if client.facilitator_id is not None:
                claims["facilitator"] = str(client.facilitator_id)
        own_limit = client.row.rate_limit_per_minute if client.row is not None else None
        if own_limit:
            claims["rate_limit"] = own_limit  # the client's own rate limit travels with its tokens
        return claims


def _claims_registry(settings: Settings) -> jwt.JWTClaimsRegistry:
    return jwt.JWTClaimsRegistry(
        leeway=CLOCK_SKEW_SECONDS,
        iss={"essential": True, "value": settings.issuer},
        aud={"essential": True, "value": settings.audience},
        exp={"essential": True},
        iat={"essential": True},
        sub={"essential": True},
        jti={"essential": True},
        client_id={"essential": True},
    )


def decode_access_token(token: str, keyring: KeyRing, settings: Settings) -> dict:
    """Verify signature, algorithm, type, issuer, audience and lifetime; return the claims."""
    try:
        decoded = jwt.decode(token, keyring.verifying, algorithms=[ALGORITHM])
    except (JoseError, ValueError, TypeError) as error:
        raise InvalidToken(_describe_decode_error(error)) from None
    if str(decoded.header.get("typ", "")).lower() not in ACCESS_TOKEN_TYPES:
        raise InvalidToken("the token is not an access token (typ must be at+jwt)")
    try:
        _claims_registry(settings).validate(decoded.claims)
    except JoseError as error:
        raise InvalidToken(f"the token was refused: {error.description or error.error}") from None
    return decoded.claims


def _describe_decode_error(error: Exception) -> str:
    if isinstance(error, JoseError) and error.error in ("unsupported_algorithm", "bad_signature"):
        return "the token's signature or algorithm is not accepted"
    return "the token is malformed or signed with an unknown key"


def principal_from_claims(claims: dict) -> Principal:
    """The principal the validated claims describe; unknown roles or scopes make the token invalid."""
    try:
        return Principal(
            agency_id=uuid.UUID(claims["agency"]),
            agency_kind=AgencyKind(claims["agency_kind"]),
            client_id=claims["client_id"],
            subject=claims["sub"],
            roles=frozenset(Role(r) for r in claims["roles"]),
            scopes=frozenset(Scope(s) for s in str(claims.get("scope") or "").split()),
            token_id=claims["jti"],
            facilitator_id=uuid.UUID(claims["facilitator"]) if claims.get("facilitator") else None,
            user_id=None if claims["sub"] == claims["client_id"] else uuid.UUID(claims["sub"]),
            rate_limit_per_minute=int(claims["rate_limit"]) if claims.get("rate_limit") else None,
        )
    except (KeyError, ValueError, TypeError):
        raise InvalidToken("the token does not describe a principal of this hub") from None


def unverified_kid(token: str) -> str | None:
    try:
        return jws.extract_compact(token.encode()).headers().get("kid")  # type: ignore[no-any-return]
    except (JoseError, ValueError, TypeError):
        return None


def issued_claims(token: str) -> dict:
    """The claims of a token the hub has just signed itself (read without verifying: it never left the hub)."""
    return dict(json.loads(jws.extract_compact(token.encode()).payload))
