"""Secret hashing: argon2id for secrets people and operators hold, SHA-256 for the hub's random tokens.

Verification costs the same whether or not the account exists.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verified against when there is no real hash, so an unknown client costs as much as a wrong secret.
_DECOY_HASH = _hasher.hash(secrets.token_urlsafe(32))


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(secret_hash: str | None, secret: str) -> bool:
    """True when `secret` matches; always does the full argon2 work."""
    try:
        return _hasher.verify(secret_hash or _DECOY_HASH, secret) and secret_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """The stored form of a high-entropy token (authorization code, refresh token): its SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()
