"""authlib's grants and token endpoints, bound to the records loaded for one request (see records.py).

Each hook reads only what was loaded and queues its writes; nothing here touches the database.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from authlib.oauth2.rfc6749 import OAuth2Request
from authlib.oauth2.rfc6749.errors import InvalidRequestError, InvalidScopeError
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, ClientCredentialsGrant, RefreshTokenGrant
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7636.challenge import compare_s256_code_challenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint

from hub.auth import repository
from hub.auth.models import AuthorizationCode, RefreshToken
from hub.auth.passwords import token_digest
from hub.auth.records import AccessRecord, Records, RefreshRecord
from hub.auth.server import CLIENT_AUTH_METHODS, CONFIDENTIAL_AUTH_METHODS, describable
from hub.auth.tokens import issued_claims
from hub.columns import utcnow


def register_grants(server: Any) -> None:
    """The hub's grants and its RFC 7009 and RFC 7662 endpoints, on a server built for one request."""
    server.register_grant(HubClientCredentialsGrant)
    server.register_grant(HubAuthorizationCodeGrant, [S256CodeChallenge(required=True)])
    server.register_grant(HubRefreshTokenGrant)
    server.register_endpoint(HubRevocationEndpoint)
    server.register_endpoint(HubIntrospectionEndpoint)


def _check_requested_scope(request: OAuth2Request) -> None:
    requested = set((request.payload.scope or "").split())
    allowed = set(request.client.row.scopes) if request.client.row else set()
    if not requested <= allowed:
        unknown = describable(", ".join(sorted(requested - allowed)))
        raise InvalidScopeError(f"The client may not ask for: {unknown}")


def _timestamp(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class HubClientCredentialsGrant(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CONFIDENTIAL_AUTH_METHODS

    def validate_requested_scope(self) -> None:
        _check_requested_scope(self.request)


class S256CodeChallenge(CodeChallenge):
    """PKCE, S256 only, required of every client at the authorization endpoint (so every code has a challenge)."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    CODE_CHALLENGE_METHODS = {"S256": compare_s256_code_challenge}

    def validate_code_challenge(self, grant: Any, redirect_uri: Any) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send a code_challenge with code_challenge_method=S256.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only code_challenge_method=S256 is accepted.")
        super().validate_code_challenge(grant, redirect_uri)


def _keep_refresh_token(grant: Any, token: dict, family_id: Any) -> None:
    """Queue the new refresh token (hashed), with the access token issued alongside it."""
    if "refresh_token" not in token:
        return
    access = issued_claims(token["access_token"])
    now = utcnow()
    row = RefreshToken(
        token_hash=token_digest(token["refresh_token"]),
        family_id=family_id,
        client_id=grant.request.client.row.id,
        user_id=grant.request.user.user.id,
        scope=token.get("scope", ""),
        access_token_jti=access["jti"],
        access_token_expires_at=_timestamp(access["exp"]),
        created_at=now,
        expires_at=now + timedelta(seconds=grant.server.settings.refresh_token_ttl),
    )
    grant.records.later(repository.add_refresh_token, token=row)


class HubAuthorizationCodeGrant(AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    @property
    def records(self) -> Records:
        return self.server.records  # type: ignore[no-any-return]

    def validate_requested_scope(self) -> None:
        _check_requested_scope(self.request)

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        now = utcnow()
        row = AuthorizationCode(
            code_hash=token_digest(code),
            client_id=request.client.row.id,
            user_id=request.user.user.id,
            redirect_uri=request.payload.redirect_uri,
            scope=request.user.narrow_scope(request.client, request.scope or ""),
            code_challenge=request.payload.data["code_challenge"],
            code_challenge_method="S256",
            created_at=now,
            expires_at=now + timedelta(seconds=self.server.settings.authorization_code_ttl),
        )
        self.records.later(repository.add_authorization_code, code=row)

    def query_authorization_code(self, code: str, client: Any) -> AuthorizationCode | None:
        row = self.records.code
        if row is None or row.code_hash != token_digest(code) or not client.usable or row.client_id != client.row.id:
            return None
        if row.used_at is not None:
            # RFC 6749 §4.1.2: a code used twice revokes the tokens it was exchanged for.
            self.records.later(repository.revoke_family, family_id=row.id, at=utcnow())
            return None
        return row if row.expires_at > utcnow() else None

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        self.records.later(repository.mark_code_used, code_id=authorization_code.id, at=utcnow())

    def authenticate_user(self, authorization_code: AuthorizationCode) -> Any:
        person = self.records.person(authorization_code.user_id)
        return person if person is not None and person.may_use(self.request.client) else None

    def save_token(self, token: dict) -> None:
        _keep_refresh_token(self, token, family_id=self.request.authorization_code.id)


class HubRefreshTokenGrant(RefreshTokenGrant):
    """Refresh tokens rotate on every use; presenting a rotated one revokes its whole family."""

    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    @property
    def records(self) -> Records:
        return self.server.records  # type: ignore[no-any-return]

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshRecord | None:
        record = self.records.refresh
        if record is None or record.row.token_hash != token_digest(refresh_token):
            return None
        if record.row.rotated_at is not None:
            self.records.later(repository.revoke_family, family_id=record.row.family_id, at=utcnow())
            return None
        if record.is_expired() or record.is_revoked() or not record.person.may_use(self.request.client):  # type: ignore[union-attr]
            return None
        return record

    def authenticate_user(self, refresh_token: RefreshRecord) -> Any:
        return refresh_token.person

    def revoke_old_credential(self, refresh_token: RefreshRecord) -> None:
        self.records.later(repository.mark_refresh_token_rotated, token_id=refresh_token.row.id, at=utcnow())

    def save_token(self, token: dict) -> None:
        _keep_refresh_token(self, token, family_id=self.request.refresh_token.row.family_id)


def _presented(records: Records) -> RefreshRecord | AccessRecord | None:
    return records.refresh or records.access


class HubRevocationEndpoint(RevocationEndpoint):
    """RFC 7009: a refresh token takes its family with it; an access token is refused until it expires."""

    CLIENT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        return _presented(self.server.records)

    def revoke_token(self, token: Any, request: OAuth2Request) -> None:
        records: Records = self.server.records
        if isinstance(token, RefreshRecord):
            records.later(repository.revoke_family, family_id=token.row.family_id, at=utcnow())
        elif not token.is_expired():
            records.later(
                repository.revoke_access_token, jti=token.claims["jti"], expires_at=_timestamp(token.claims["exp"])
            )
            records.later(repository.forget_expired_revocations, now=utcnow())


class HubIntrospectionEndpoint(IntrospectionEndpoint):
    """RFC 7662, for authenticated clients, about tokens issued to their own agency's clients."""

    CLIENT_AUTH_METHODS = CONFIDENTIAL_AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        return _presented(self.server.records)

    def check_permission(self, token: Any, client: Any, request: OAuth2Request) -> bool:
        return client.usable and token.agency_id() == str(client.agency_id)

    def introspect_token(self, token: Any) -> dict:
        if isinstance(token, AccessRecord):
            fields = ("sub", "client_id", "scope", "exp", "iat", "aud", "iss")
            return {"active": True, **{k: token.claims.get(k) for k in fields}, "token_type": "Bearer"}
        settings = self.server.settings
        return {
            "active": True,
            "sub": str(token.row.user_id),
            "client_id": token.client.client_id,
            "scope": token.row.scope,
            "exp": int(token.row.expires_at.timestamp()),
            "iat": int(token.row.created_at.timestamp()),
            "token_type": "refresh_token",
            "aud": settings.audience,
            "iss": settings.issuer,
        }
