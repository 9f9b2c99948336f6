"""Every query of the audit trail. Reads start from readable(principal): rows are filtered in SQL."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub.audit.models import AuditAction, AuditEntry
from hub.auth.principal import Principal
from hub.auth.scopes import Scope
from hub.db import advisory_lock
from hub.prepared import Inserts, Prepared

# Every append takes this transaction-level lock first, so entries join the chain one at a time.
CHAIN_LOCK = "audit_entry:chain"


def readable(principal: Principal) -> sa.Select[tuple[AuditEntry]]:
    """Every entry for the service's manager and auditors (scope audit:read); none for anyone else."""
    statement = sa.select(AuditEntry)
    return statement if principal.has_scope(Scope.AUDIT_READ) else statement.where(sa.false())


@dataclass(frozen=True)
class AuditFilter:
    actor_agency_id: uuid.UUID | None = None
    record_id: str | None = None
    action: AuditAction | None = None
    at_from: datetime | None = None
    at_to: datetime | None = None


def filtered(principal: Principal, where: AuditFilter) -> sa.Select[tuple[AuditEntry]]:
    statement = readable(principal)
    if where.actor_agency_id is not None:
        statement = statement.where(AuditEntry.actor_agency_id == where.actor_agency_id)
    if where.record_id is not None:
        # Containment on the records list, served by the GIN index.
        statement = statement.where(AuditEntry.records.contains([{"id": where.record_id}]))
    if where.action is not None:
        statement = statement.where(AuditEntry.action == where.action)
    if where.at_from is not None:
        statement = statement.where(AuditEntry.at >= where.at_from)
    if where.at_to is not None:
        statement = statement.where(AuditEntry.at < where.at_to)
    return statement


# Appending runs on every change and every read of restricted data: its three statements are prepared once
# (hub.prepared). The lock and the read of the last link stay two statements: the read must see what was
# committed while this one waited for the lock, and a statement sees only what was committed when it began.
_LAST_LINK = Prepared(sa.select(AuditEntry.sequence, AuditEntry.hash).order_by(AuditEntry.sequence.desc()).limit(1))
_ENTRY_COLUMNS = tuple(column.name for column in AuditEntry.__table__.columns)
_ENTRIES = Inserts(AuditEntry.__table__)


async def lock_chain(session: AsyncSession) -> None:
    """Hold the chain until the transaction ends: concurrent appends wait, so the chain never forks."""
    await advisory_lock(session, CHAIN_LOCK)


async def last_link(session: AsyncSession) -> tuple[int, str] | None:
    """The sequence number and hash of the newest entry; None while the chain is empty."""
    row = await _LAST_LINK.first(session)
    return (int(row.sequence), str(row.hash)) if row is not None else None


async def insert_entries(session: AsyncSession, entries: Sequence[AuditEntry]) -> None:
    """Write the entries (already chained) as they are, in order."""
    for entry in entries:
        await _ENTRIES.add(session, {name: getattr(entry, name) for name in _ENTRY_COLUMNS})


async def chain_after(session: AsyncSession, sequence: int, limit: int) -> Sequence[AuditEntry]:
    """Up to `limit` entries after the given sequence number, in chain order, as stored now."""
    statement = (
        sa.select(AuditEntry)
        .where(AuditEntry.sequence > sequence)
        .order_by(AuditEntry.sequence)
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(statement)).scalars().all()
