"""Every query of the auth domain."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import or_, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from hub.agencies.models import Agency
from hub.auth.models import (
    AuthorizationCode,
    ClientAssertion,
    OAuthClient,
    RefreshToken,
    RevokedAccessToken,
    SigningKey,
    SignInThrottle,
    User,
)


async def client_by_client_id(session: AsyncSession, client_id: str) -> OAuthClient | None:
    return (await session.execute(select(OAuthClient).where(OAuthClient.client_id == client_id))).scalar_one_or_none()


async def clients_with_agency_kind(session: AsyncSession, client_ids: Iterable[str]) -> list[tuple[OAuthClient, str]]:
    """The clients with these ids, each with its agency's kind."""
    statement = (
        select(OAuthClient, Agency.kind)
        .join(Agency, Agency.id == OAuthClient.agency_id)
        .where(OAuthClient.client_id.in_(list(client_ids)))
    )
    return [(client, kind.value) for client, kind in (await session.execute(statement)).all()]


async def active_signing_key(session: AsyncSession) -> SigningKey | None:
    statement = (
        select(SigningKey).where(SigningKey.retired_at.is_(None)).order_by(SigningKey.created_at.desc()).limit(1)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def verifying_signing_keys(session: AsyncSession, retired_since: datetime) -> list[SigningKey]:
    """The active key first, then every key retired recently enough that its tokens may still be live."""
    statement = (
        select(SigningKey)
        .where(or_(SigningKey.retired_at.is_(None), SigningKey.retired_at > retired_since))
        .order_by(SigningKey.retired_at.desc().nulls_first(), SigningKey.created_at.desc())
    )
    return list((await session.execute(statement)).scalars())


async def lock_signing_keys(session: AsyncSession) -> None:
    """Serialise key creation and rotation across processes for the rest of the transaction."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('hub.signing_key'))"))


# --- people ----------------------------------------------------------------------------------------


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    statement = select(User).where(User.email == email.strip().lower())
    return (await session.execute(statement)).scalar_one_or_none()


async def user_with_agency_kind(session: AsyncSession, user_id: uuid.UUID) -> tuple[User, str] | None:
    return await _user_with_agency_kind(session, User.id == user_id)


async def user_with_agency_kind_by_email(session: AsyncSession, email: str) -> tuple[User, str] | None:
    return await _user_with_agency_kind(session, User.email == email.strip().lower())


async def _user_with_agency_kind(session: AsyncSession, which: sa.ColumnElement[bool]) -> tuple[User, str] | None:
    statement = select(User, Agency.kind).join(Agency, Agency.id == User.agency_id).where(which)
    found = (await session.execute(statement)).one_or_none()
    return (found[0], found[1].value) if found else None


async def sign_in_throttle(session: AsyncSession, email_key: str) -> SignInThrottle | None:
    return await session.get(SignInThrottle, email_key, populate_existing=True)


async def record_failed_sign_in(
    session: AsyncSession, email_key: str, now: datetime, window: timedelta, max_failures: int, lockout: timedelta
) -> tuple[int, datetime | None]:
    """Count one more failure in the window (atomically); at max_failures, lock until now + lockout.

    Returns the failures counted so far (0 once it locks) and the end of the lock, if any.
    """
    statement = _failure_upsert(email_key, now, window, max_failures, lockout)
    count, locked_until = (await session.execute(statement)).one()
    await _forget_old_failures(session, now - window)
    return count, locked_until


def _failure_upsert(email_key: str, now: datetime, window: timedelta, max_failures: int, lockout: timedelta) -> Any:
    table = SignInThrottle.__table__
    counted = sa.case((table.c.last_failed_at > now - window, table.c.failed_count + 1), else_=1)
    locks, first_locks = counted >= max_failures, max_failures <= 1
    first = {"failed_count": 0 if first_locks else 1, "locked_until": now + lockout if first_locks else None}
    return (
        insert(table)
        .values(email_key=email_key, last_failed_at=now, **first)
        .on_conflict_do_update(
            index_elements=[table.c.email_key],
            set_={
                "failed_count": sa.case((locks, 0), else_=counted),
                "last_failed_at": now,
                "locked_until": sa.case((locks, now + lockout), else_=table.c.locked_until),
            },
        )
        .returning(table.c.failed_count, table.c.locked_until)
    )


async def _forget_old_failures(session: AsyncSession, before: datetime) -> None:
    table = SignInThrottle.__table__
    await session.execute(
        sa.delete(table).where(
            table.c.last_failed_at < before, or_(table.c.locked_until.is_(None), table.c.locked_until < before)
        )
    )


async def clear_failed_sign_ins(session: AsyncSession, email_key: str) -> None:
    await session.execute(sa.delete(SignInThrottle).where(SignInThrottle.email_key == email_key))


# --- authorization codes and refresh tokens ---------------------------------------------------------


async def authorization_code_for_update(session: AsyncSession, code_hash: str) -> AuthorizationCode | None:
    """The code, locked for the rest of the transaction: a concurrent exchange waits and then sees it used."""
    statement = select(AuthorizationCode).where(AuthorizationCode.code_hash == code_hash).with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def add_authorization_code(session: AsyncSession, code: AuthorizationCode) -> None:
    """Keep a new code, and forget the person's codes that have expired."""
    await session.execute(
        sa.delete(AuthorizationCode).where(
            AuthorizationCode.user_id == code.user_id, AuthorizationCode.expires_at < code.created_at
        )
    )
    session.add(code)
    await session.flush()


async def mark_code_used(session: AsyncSession, code_id: uuid.UUID, at: datetime) -> None:
    await session.execute(sa.update(AuthorizationCode).where(AuthorizationCode.id == code_id).values(used_at=at))


async def refresh_token_by_hash(session: AsyncSession, token_hash: str, *, lock: bool) -> RefreshToken | None:
    statement = select(RefreshToken).where(RefreshToken.token_hash == token_hash)
    if lock:
        statement = statement.with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def add_refresh_token(session: AsyncSession, token: RefreshToken) -> None:
    session.add(token)
    await session.flush()


async def mark_refresh_token_rotated(session: AsyncSession, token_id: uuid.UUID, at: datetime) -> None:
    await session.execute(sa.update(RefreshToken).where(RefreshToken.id == token_id).values(rotated_at=at))


async def revoke_family(session: AsyncSession, family_id: uuid.UUID, at: datetime) -> None:
    """Revoke every refresh token of the family, and the access tokens issued with them that are still live."""
    await _revoke_refresh_tokens(session, RefreshToken.family_id == family_id, at)


async def revoke_client_refresh_tokens(session: AsyncSession, client_id: uuid.UUID, at: datetime) -> None:
    """Revoke every refresh token of the client (and the live access tokens issued with them)."""
    await _revoke_refresh_tokens(session, RefreshToken.client_id == client_id, at)


async def _revoke_refresh_tokens(session: AsyncSession, which: sa.ColumnElement[bool], at: datetime) -> None:
    statement = (
        sa.update(RefreshToken)
        .where(which, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=at)
        .returning(RefreshToken.access_token_jti, RefreshToken.access_token_expires_at)
    )
    live = [(jti, expires_at) for jti, expires_at in (await session.execute(statement)).all() if expires_at > at]
    for jti, expires_at in live:
        await revoke_access_token(session, jti, expires_at)


async def revoke_access_token(session: AsyncSession, jti: str, expires_at: datetime) -> None:
    """Refuse the access token from now until it expires."""
    statement = insert(RevokedAccessToken).values(jti=jti, expires_at=expires_at).on_conflict_do_nothing()
    await session.execute(statement)


async def forget_expired_revocations(session: AsyncSession, now: datetime) -> None:
    await session.execute(sa.delete(RevokedAccessToken).where(RevokedAccessToken.expires_at < now))


def in_force_condition(client_id: Any, jti: Any, user_id: Any = None) -> sa.ColumnElement[bool]:
    """The token's client is enabled, the token is not revoked, its person not disabled: indexed lookups only.
    Each of the three is a value or a bindparam (a statement prepared once, hub.api.ratelimit); no person (None)
    for a client's own token."""
    conditions = [
        select(OAuthClient.id).where(OAuthClient.client_id == client_id, OAuthClient.disabled_at.is_(None)).exists(),
        ~select(RevokedAccessToken.jti).where(RevokedAccessToken.jti == jti).exists(),
    ]
    if user_id is not None:
        conditions.append(select(User.id).where(User.id == user_id, User.disabled_at.is_(None)).exists())
    return sa.and_(*conditions)


async def token_in_force(session: AsyncSession, client_id: str, jti: str, user_id: uuid.UUID | None) -> bool:
    """One statement: in_force_condition."""
    return bool((await session.execute(select(in_force_condition(client_id, jti, user_id)))).scalar())


# --- client assertions (private_key_jwt) ------------------------------------------------------------


async def assertion_used(session: AsyncSession, client_id: uuid.UUID, jti: str) -> bool:
    statement = select(ClientAssertion.jti).where(ClientAssertion.client_id == client_id, ClientAssertion.jti == jti)
    return (await session.execute(statement)).first() is not None


async def remember_assertion(session: AsyncSession, client_id: uuid.UUID, jti: str, expires_at: datetime) -> bool:
    """Record the assertion's jti; False when it was already there (a replay that raced this one)."""
    await session.execute(
        sa.delete(ClientAssertion).where(
            ClientAssertion.client_id == client_id, ClientAssertion.expires_at < sa.func.now()
        )
    )
    statement = (
        insert(ClientAssertion)
        .values(client_id=client_id, jti=jti, expires_at=expires_at)
        .on_conflict_do_nothing()
        .returning(ClientAssertion.jti)
    )
    return (await session.execute(statement)).first() is not None
