"""Helpers for tests of the audit trail: read the chain, and append entries without a request."""

from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub.audit.models import AuditAction, AuditEntry
from hub.audit.service import Actor, PendingEntry, append, record


async def entries(session: AsyncSession) -> list[AuditEntry]:
    """The whole chain, in order, read afresh."""
    statement = sa.select(AuditEntry).order_by(AuditEntry.sequence).execution_options(populate_existing=True)
    return list((await session.execute(statement)).scalars())


async def count(session: AsyncSession) -> int:
    return int((await session.execute(sa.select(sa.func.count()).select_from(AuditEntry))).scalar_one())


def sample(number: int, action: AuditAction = AuditAction.ALTERATION) -> PendingEntry:
    """An entry as a change would make it (no personal data, only a type, an id and field names)."""
    return PendingEntry(
        action=action,
        operation="acceptReferral",
        records=[record("Referral", uuid.UUID(int=number), ["stage", "version"])],
        actor=Actor(uuid.UUID(int=1000 + number), f"hub_client_{number}"),
        request_id=uuid.UUID(int=number).hex,
        source_address="192.0.2.10",
    )


async def append_samples(session: AsyncSession, how_many: int) -> list[AuditEntry]:
    return [await append(session, sample(number)) for number in range(1, how_many + 1)]


def as_text(entry: AuditEntry) -> str:
    """Everything an entry holds, as one string, to show that no value of personal data is in it."""
    return json.dumps(entry.model_dump(mode="json"), sort_keys=True)


async def bypass_trigger(session: AsyncSession) -> None:
    """Turn triggers off for the rest of the test's transaction, as only a superuser may (skip if not one)."""
    if (await session.execute(sa.text("SELECT current_setting('is_superuser')"))).scalar_one() != "on":
        pytest.skip("the test server's role is not a superuser, so it cannot bypass the trigger")
    await session.execute(sa.text("SET LOCAL session_replication_role = replica"))


async def restore_trigger(session: AsyncSession) -> None:
    await session.execute(sa.text("SET LOCAL session_replication_role = origin"))
