"""Turning an Authorization header into a principal, before any resolver runs."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from hub.auth import repository
from hub.auth.keys import KeyRing
from hub.auth.principal import Principal
from hub.auth.tokens import InvalidToken, decode_access_token, principal_from_claims, unverified_kid
from hub.config import Settings
from hub.db import Database

# A token naming an unknown key makes the hub re-read its keys, but no more often than this.
FORCED_RELOAD_INTERVAL = 10.0


class MissingToken(InvalidToken):
    """No bearer token at all (RFC 6750: the challenge then carries no error code)."""


@dataclass
class Authenticator:
    settings: Settings
    database: Database
    keyring: KeyRing
    _forced_at: float = field(default=0.0)

    async def refresh_keys(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if force and now - self._forced_at < FORCED_RELOAD_INTERVAL:
            return
        if force:
            self._forced_at = now
        if force or self.keyring.is_stale():
            async with self.database.transaction() as session:
                await self.keyring.load(session)

    async def principal(self, authorization: str | None) -> Principal:
        """The principal of a valid bearer token; InvalidToken (with a reason) otherwise."""
        if not authorization:
            raise MissingToken("send an access token: Authorization: Bearer <token>")
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise InvalidToken("the Authorization header must read: Bearer <token>")
        await self.refresh_keys(force=not self.keyring.knows(unverified_kid(token)))
        principal = principal_from_claims(decode_access_token(token, self.keyring, self.settings))
        await self.check_in_force(principal)
        return principal

    async def check_in_force(self, principal: Principal) -> None:
        """Refuse, with one indexed query, a token revoked (RFC 7009) or whose client or person is disabled."""
        async with self.database.sessions() as session:
            in_force = await repository.token_in_force(
                session, principal.client_id, str(principal.token_id), principal.user_id
            )
        if not in_force:
            raise InvalidToken("the token was revoked, or its client or person is disabled")
