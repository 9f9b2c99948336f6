"""Every query of the audit trail. Reads start from readable(principal): rows are filtered in SQL."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub.audit.models import AuditAction, AuditEntry
from hub.auth.principal import Principal
from hub.auth.scopes import Scope
from hub.prepared import Prepared

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


# Appending runs on every change and every read of restricted data, and holds the chain until its transaction
# ends: one statement (the function of migration 0009), prepared once (hub.prepared).
# Alone (hub.prepared): audit_append does all its work under the chain lock, so where the session has not begun a
# transaction (a query's reads ran alone), it is a transaction of its own, lock and all, and a query that read
# restricted data notes it without the round trips of BEGIN and COMMIT. In a begun transaction (every change), it
# runs inside it and holds the chain until that commits, as the entries must exist exactly when the change does.
# The entries go as JSON text written by orjson: SQLAlchemy's JSONB parameter would write it with the json module,
# several times slower, on every append.
_APPEND = Prepared(
    sa.text("SELECT sequence, prev_hash, hash FROM audit_append(:chain, CAST(:entries AS jsonb))")
    .bindparams(sa.bindparam("chain", type_=sa.String), sa.bindparam("entries", type_=sa.Text))
    .columns(sequence=sa.BigInteger, prev_hash=sa.String, hash=sa.String),
    alone=True,
)


async def append_chained(session: AsyncSession, entries: Sequence[dict[str, Any]]) -> list[tuple[int, str, str]]:
    """Join the entries (as service._to_chain gives them) to the end of the chain, in order, holding the chain until
    the transaction ends (the statement's own, if the session has not begun one): (sequence, prev_hash, hash) of
    each."""
    rows = await _APPEND.rows(session, chain=CHAIN_LOCK, entries=orjson.dumps(list(entries)).decode())
    return [(int(row.sequence), str(row.prev_hash), str(row.hash)) for row in rows]


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
