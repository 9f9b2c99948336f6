"""Walking the audit chain: every hash recomputed, every link and sequence number checked, in batches."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from hub.audit import repository
from hub.audit.models import GENESIS_HASH, AuditEntry
from hub.audit.service import hash_of

BATCH_SIZE = 1000


@dataclass(frozen=True)
class Break:
    """The first entry where the chain does not hold, and why."""

    sequence: int
    reason: str


@dataclass(frozen=True)
class Verdict:
    """How many entries were checked, and the first break if there is one."""

    entries: int
    broken: Break | None = None


def check_link(entry: AuditEntry, sequence: int, prev_hash: str) -> str | None:
    """Why the entry does not follow the one before it (expected `sequence` and `prev_hash`); None when it does."""
    if entry.sequence != sequence:
        if entry.sequence == sequence + 1:
            return f"entry #{sequence} before it is missing"
        return f"entries #{sequence} to #{entry.sequence - 1} before it are missing"
    if entry.prev_hash != prev_hash:
        before = "the start of the chain" if sequence == 1 else f"the hash of entry #{sequence - 1}"
        return f"its previous hash does not match {before}"
    if hash_of(entry) != entry.hash:
        return "its content does not match its hash (it was altered after it was written)"
    return None


async def verify_chain(session: AsyncSession, batch_size: int = BATCH_SIZE) -> Verdict:
    """Check the whole chain from its first entry; stop at the first break."""
    checked, prev_hash = 0, GENESIS_HASH
    while True:
        batch = await repository.chain_after(session, checked, batch_size)
        for entry in batch:
            reason = check_link(entry, checked + 1, prev_hash)
            if reason is not None:
                return Verdict(checked, Break(entry.sequence, reason))
            checked, prev_hash = entry.sequence, entry.hash
        session.expunge_all()  # a long chain is read once: keep memory flat
        if len(batch) < batch_size:
            return Verdict(checked)
