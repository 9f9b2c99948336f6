"""Signing a person in with email and password, slowing down and then locking out repeated failures.

Failures are counted per email address, whether or not an account has it, and an unknown address costs the same
argon2 work as a wrong password: the answers and their timing never tell whether an account exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from anyio import to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth import repository
from hub.auth.models import SignInThrottle
from hub.auth.passwords import token_digest, verify_secret
from hub.auth.records import Person
from hub.columns import utcnow
from hub.config import Settings

SIGN_IN_FAILED = "The email address or password is not right."
TOO_MANY_FAILURES = "Too many failed sign-ins. Try again later."
MAX_DELAY_SECONDS = 2.0


@dataclass(frozen=True)
class SignInOutcome:
    """The person signed in, or the message to show; and how long to wait before answering."""

    person: Person | None
    message: str | None = None
    delay: float = 0.0


def failure_delay(failures: int, settings: Settings) -> float:
    """Seconds to wait before answering the nth failure in a row: doubling from the base, at most 2 s."""
    base = settings.signin_failure_delay_ms / 1000
    return min(MAX_DELAY_SECONDS, base * 2 ** max(0, failures - 1))


def email_key(email: str) -> str:
    """What failures are counted under: a hash, so addresses typed in (perhaps someone else's) are not kept."""
    return token_digest(f"sign-in:{email.strip().lower()}")


def _locked(throttle: SignInThrottle | None, now: datetime) -> bool:
    return throttle is not None and throttle.locked_until is not None and throttle.locked_until > now


async def sign_in(session: AsyncSession, settings: Settings, email: str, password: str) -> SignInOutcome:
    """Check the email and password; count a failure, or clear the count on success."""
    key, now = email_key(email), utcnow()
    throttle = await repository.sign_in_throttle(session, key)
    found = await repository.user_with_agency_kind_by_email(session, email)
    password_hash = found[0].password_hash if found else None
    matches = await to_thread.run_sync(verify_secret, password_hash, password)  # always the full argon2 work
    if _locked(throttle, now):
        return SignInOutcome(None, TOO_MANY_FAILURES, failure_delay(settings.signin_max_failures, settings))
    if matches and found is not None and found[0].disabled_at is None:
        if throttle is not None:
            await repository.clear_failed_sign_ins(session, key)
        return SignInOutcome(Person(*found))
    return await _count_failure(session, settings, key, now)


async def _count_failure(session: AsyncSession, settings: Settings, key: str, now: datetime) -> SignInOutcome:
    count, locked_until = await repository.record_failed_sign_in(
        session,
        key,
        now,
        window=timedelta(seconds=settings.signin_failure_window),
        max_failures=settings.signin_max_failures,
        lockout=timedelta(seconds=settings.signin_lockout),
    )
    if locked_until is not None and locked_until > now:
        return SignInOutcome(None, TOO_MANY_FAILURES, failure_delay(settings.signin_max_failures, settings))
    return SignInOutcome(None, SIGN_IN_FAILED, failure_delay(count, settings))
