"""Every query of the auth domain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.models import OAuthClient, SigningKey


async def client_by_client_id(session: AsyncSession, client_id: str) -> OAuthClient | None:
    return (await session.execute(select(OAuthClient).where(OAuthClient.client_id == client_id))).scalar_one_or_none()


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
