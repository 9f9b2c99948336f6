"""Appending to the audit trail: the only code that writes audit entries.

Each entry's hash is sha256 over a canonical serialisation of the entry, its previous hash included, so changing,
removing or reordering any entry breaks the chain from there on (`hub audit verify` finds it). Entries are
written in the caller's transaction: they exist exactly when what they describe does.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from hub.audit import repository
from hub.audit.models import AuditAction, AuditEntry, RecordChange
from hub.auth.principal import Principal
from hub.columns import utcnow


@dataclass(frozen=True)
class Actor:
    """Who acted: the agency, the OAuth client, and the person when a person signed in."""

    agency_id: uuid.UUID | None
    client_id: str | None
    person: str | None = None

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        person = None if principal.subject == principal.client_id else principal.subject
        return cls(principal.agency_id, principal.client_id, person)


@dataclass(frozen=True)
class PendingEntry:
    """What happened, not yet in the chain (it gets its sequence number and hashes when appended)."""

    action: AuditAction
    operation: str
    records: list[dict[str, Any]]
    actor: Actor | None = None
    request_id: str | None = None
    source_address: str | None = None
    recipient: str | None = None
    at: datetime = field(default_factory=utcnow)
    id: uuid.UUID = field(default_factory=uuid.uuid4)  # the entry's, as AuditEntry's own default would give it

    # The entry's actor columns, as AuditEntry has them (so _body reads a pending entry as it reads a written one).
    @property
    def actor_agency_id(self) -> uuid.UUID | None:
        return self.actor.agency_id if self.actor else None

    @property
    def actor_client_id(self) -> str | None:
        return self.actor.client_id if self.actor else None

    @property
    def actor_person(self) -> str | None:
        return self.actor.person if self.actor else None

    def chained(self, sequence: int, prev_hash: str) -> AuditEntry:
        entry = self.unchained()
        entry.sequence, entry.prev_hash = sequence, prev_hash
        entry.hash = hash_of(entry)
        return entry

    def unchained(self) -> AuditEntry:
        """The entry before it joins the chain: sequence 0, no hashes."""
        return AuditEntry(
            id=self.id,
            sequence=0,
            at=self.at,
            action=self.action,
            operation=self.operation,
            actor_agency_id=self.actor_agency_id,
            actor_client_id=self.actor_client_id,
            actor_person=self.actor_person,
            recipient=self.recipient,
            request_id=self.request_id,
            source_address=self.source_address,
            records=self.records,
            prev_hash="",
            hash="",
        )


def record(
    record_type: str, record_id: object, fields: Iterable[str], change: RecordChange | None = None
) -> dict[str, Any]:
    """One record an entry names: its type, id and the names of the fields concerned (never their values)."""
    named: dict[str, Any] = {"type": record_type, "id": str(record_id), "fields": sorted(set(fields))}
    if change is not None:
        named["change"] = RecordChange(change).value
    return named


def canonical(entry: AuditEntry) -> bytes:
    """The entry as the hash sees it: sorted keys, no spaces, UTC time to the microsecond, UTF-8."""
    return canonical_text(_body(entry, entry.sequence, entry.prev_hash)).encode()


def canonical_text(body: dict[str, Any]) -> str:
    """The entry's canonical JSON: keys sorted, no spaces, text as it is (not escaped to ASCII), as
    `json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)` writes it. orjson writes the same
    text for what an entry holds (text, integers, null, lists, objects with text keys: no floats), some ten times
    faster (1.3 µs against 15 µs for the entry of a read of one case, and it is written for every entry); what it
    refuses (an integer beyond 64 bits, text with a lone surrogate) goes to json, as before."""
    try:
        return orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode()
    except (orjson.JSONEncodeError, UnicodeDecodeError):
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _body(entry: AuditEntry | PendingEntry, sequence: int, prev_hash: str) -> dict[str, Any]:
    return {
        "sequence": sequence,
        "at": entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "action": AuditAction(entry.action).value,
        "operation": entry.operation,
        "actor_agency_id": str(entry.actor_agency_id) if entry.actor_agency_id is not None else None,
        "actor_client_id": entry.actor_client_id,
        "actor_person": entry.actor_person,
        "recipient": entry.recipient,
        "request_id": entry.request_id,
        "source_address": entry.source_address,
        "records": entry.records,
        "prev_hash": prev_hash,
    }


def hash_of(entry: AuditEntry) -> str:
    """The entry's hash (hex sha256 of its canonical form, which includes the previous entry's hash)."""
    return hashlib.sha256(canonical(entry)).hexdigest()


async def append(session: AsyncSession, pending: PendingEntry) -> AuditEntry:
    """Add one entry at the end of the chain, in the session's transaction: the entry as written."""
    ((sequence, prev_hash, hash_),) = await append_all(session, [pending])
    entry = pending.unchained()
    entry.sequence, entry.prev_hash, entry.hash = sequence, prev_hash, hash_
    return entry


async def append_all(session: AsyncSession, pending: Sequence[PendingEntry]) -> list[tuple[int, str, str]]:
    """Add entries at the end of the chain, in order, in the session's transaction (or, if it has not begun one,
    in a transaction of the statement's own), in one statement (repository.append_chained): each one's sequence
    number, previous hash and hash.

    The chain lock is held until the transaction ends, so a concurrent append reads this one as the last.
    """
    if not pending:
        return []
    return await repository.append_chained(session, [_to_chain(item) for item in pending])


def _to_chain(entry: PendingEntry) -> dict[str, Any]:
    """What the database's audit_append takes for an entry: its values as its canonical form has them (the time
    in UTC), its id, and its canonical text in pieces around the link (around_the_link)."""
    body = _body(entry, sequence=0, prev_hash="")
    head, middle, tail = around_the_link(canonical_text(body))
    return {**body, "id": str(entry.id), "head": head, "middle": middle, "tail": tail}


def around_the_link(text: str) -> tuple[str, str, str]:
    """The canonical text of an entry not yet chained (sequence 0, previous hash "") in three pieces, around its
    previous hash and its sequence number: the database fills them in as it chains the entry, and canonical(entry)
    is then head + prev_hash + middle + sequence + tail.

    Every other value in the text is a JSON string (its quotes escaped), a UUID or null, so the keys are found
    where they are: prev_hash is the first key whose name could match, sequence the last."""
    link = '"prev_hash":"'
    start = text.index(link) + len(link)
    number = '"sequence":0'
    end = text.rindex(number) + len(number) - 1
    return text[:start], text[start:end], text[end + 1 :]
