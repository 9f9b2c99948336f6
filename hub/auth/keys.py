"""The signing keys of access tokens: generated on first start, kept in the database, rotated on demand."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta

from joserfc.jwk import ECKey, KeySet
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth import repository
from hub.auth.models import SigningKey
from hub.columns import utcnow
from hub.db import Database

ALGORITHM = "ES256"
REFRESH_SECONDS = 60.0


def generate_signing_key() -> SigningKey:
    kid = secrets.token_urlsafe(12)
    key = ECKey.generate_key("P-256", parameters={"kid": kid, "alg": ALGORITHM, "use": "sig"})
    return SigningKey(
        kid=kid, alg=ALGORITHM, private_jwk=key.as_dict(private=True), public_jwk=key.as_dict(private=False)
    )


async def ensure_signing_key(session: AsyncSession) -> None:
    """Create the first signing key if there is none that signs."""
    if await repository.active_signing_key(session) is None:
        await repository.lock_signing_keys(session)
        if await repository.active_signing_key(session) is None:
            session.add(generate_signing_key())


async def rotate_signing_key(session: AsyncSession) -> SigningKey:
    """Retire the current key (it still verifies until its tokens expire) and start signing with a new one."""
    await repository.lock_signing_keys(session)
    current = await repository.active_signing_key(session)
    if current is not None:
        current.retired_at = utcnow()
        session.add(current)
    key = generate_signing_key()
    session.add(key)
    await session.flush()
    return key


async def open_keyring(database: Database, token_ttl: int) -> KeyRing:
    """The keys in memory, after making sure there is one that signs."""
    keyring = KeyRing(token_ttl=token_ttl)
    async with database.transaction() as session:
        await ensure_signing_key(session)
        await keyring.load(session)
    return keyring


@dataclass
class KeyRing:
    """The keys in memory: the one that signs, and every one that still verifies.

    Reloaded from the database at most every minute, and at once when a token names a key it does not hold
    (another process may have rotated).
    """

    token_ttl: int
    signing: ECKey | None = None
    verifying: KeySet = field(default_factory=lambda: KeySet([]))
    loaded_at: float = 0.0

    async def load(self, session: AsyncSession) -> None:
        since = utcnow() - timedelta(seconds=self.token_ttl + 60)
        keys = await repository.verifying_signing_keys(session, since)
        active = [k for k in keys if k.retired_at is None]
        self.signing = ECKey.import_key(active[0].private_jwk) if active else None
        self.verifying = KeySet([ECKey.import_key(k.public_jwk) for k in keys])
        self.loaded_at = time.monotonic()

    def is_stale(self) -> bool:
        return time.monotonic() - self.loaded_at > REFRESH_SECONDS

    def knows(self, kid: str | None) -> bool:
        return kid is not None and any(k.kid == kid for k in self.verifying.keys)

    def jwks(self) -> dict:
        return self.verifying.as_dict(private=False)
