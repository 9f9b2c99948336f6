"""Turning an Authorization header into a principal, before any resolver runs."""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth import repository
from hub.auth.keys import KeyRing
from hub.auth.principal import Principal
from hub.auth.tokens import CLOCK_SKEW_SECONDS, InvalidToken, decode_access_token, principal_from_claims, unverified_kid
from hub.config import Settings
from hub.db import Database

# A token naming an unknown key makes the hub re-read its keys, but no more often than this.
FORCED_RELOAD_INTERVAL = 10.0
VERIFIED_CACHE_SIZE = 10_000


class MissingToken(InvalidToken):
    """No bearer token at all (RFC 6750: the challenge then carries no error code)."""


class NotInForce(InvalidToken):
    """A valid token that was revoked, or whose client or person is disabled."""


NOT_IN_FORCE = "the token was revoked, or its client or person is disabled"
REALM = "rj-partner-hub"


def challenge(error: InvalidToken) -> str:
    """The WWW-Authenticate header of a 401 (RFC 6750 §3)."""
    header = f'Bearer realm="{REALM}"'
    if not isinstance(error, MissingToken):
        description = str(error).replace('"', "'")
        header += f', error="invalid_token", error_description="{description}"'
    return header


@dataclass
class Authenticator:
    settings: Settings
    database: Database
    keyring: KeyRing
    _forced_at: float = field(default=0.0)
    # Tokens already verified: token -> (principal, expiry). Verifying an ES256 signature is the dearest step of a
    # request's authentication; the same token string always verifies the same way, so it is done once per token.
    # Expiry is checked on every use, and the cache is emptied whenever the keys are read again.
    _verified: OrderedDict[str, tuple[Principal, float]] = field(default_factory=OrderedDict)

    async def refresh_keys(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if force and now - self._forced_at < FORCED_RELOAD_INTERVAL:
            return
        if force:
            self._forced_at = now
        if force or self.keyring.is_stale():
            async with self.database.transaction() as session:
                await self.keyring.load(session)
            self._verified.clear()

    async def principal(self, authorization: str | None) -> Principal:
        """The principal of a valid bearer token still in force; InvalidToken (with a reason) otherwise."""
        principal = await self.decode(authorization)
        await self.check_in_force(principal)
        return principal

    async def decode(self, authorization: str | None) -> Principal:
        """The principal of a well-formed, correctly signed, unexpired bearer token, without asking the database
        whether it is still in force: a GraphQL request asks that together with its rate limit (see
        hub.api.ratelimit.admit), in one transaction before anything runs."""
        if not authorization:
            raise MissingToken("send an access token: Authorization: Bearer <token>")
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise InvalidToken("the Authorization header must read: Bearer <token>")
        known = self._verified.get(token)
        if known is None or self.keyring.is_stale():
            # A token verified since the keys were last read was signed with a key they hold: only a token not
            # seen yet needs its header read to tell whether the keys must be read again.
            await self.refresh_keys(force=not self.keyring.knows(unverified_kid(token)))
            known = self._verified.get(token)
        if known is not None and time.time() < known[1]:
            self._verified.move_to_end(token)
            return known[0]
        claims = decode_access_token(token, self.keyring, self.settings)
        principal = principal_from_claims(claims)
        self._verified[token] = (principal, float(claims["exp"]) + CLOCK_SKEW_SECONDS)  # as the check allowed
        if len(self._verified) > VERIFIED_CACHE_SIZE:
            self._verified.popitem(last=False)
        return principal

    async def check_in_force(self, principal: Principal) -> None:
        """Refuse, with one indexed query, a token revoked (RFC 7009) or whose client or person is disabled."""
        async with self.database.sessions() as session:
            if not await in_force(session, principal):
                raise NotInForce(NOT_IN_FORCE)


async def in_force(session: AsyncSession, principal: Principal) -> bool:
    """Whether the principal's token is still in force: not revoked, its client and person not disabled."""
    return await repository.token_in_force(session, *token_of(principal))


def token_of(principal: Principal) -> tuple[str, str, uuid.UUID | None]:
    """What `in_force` asks about: the client id, the token's jti and its person (None for a client's own token).
    hub.api.ratelimit.admit asks it with the rate limit, in one statement."""
    return principal.client_id, str(principal.token_id), principal.user_id


def refusal_message(error: InvalidToken) -> str:
    """What a 401 says, in its GraphQL error."""
    return f"Not authenticated: {error}."
