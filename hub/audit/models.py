"""The audit trail: an append-only chain of entries, each carrying the hash of the one before it.

An entry says who did what to which records, when, from where and for which request — never a value of personal
data: only ids, type names and field names (UK Data Protection Act 2018 s.62).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Field, SQLModel

from hub.columns import enum_field, id_field

HASH_LENGTH = 64  # hex sha256
GENESIS_HASH = "0" * HASH_LENGTH  # the "previous hash" of the first entry


class AuditAction(StrEnum):
    """The kinds of processing s.62 asks to be logged."""

    COLLECTION = "COLLECTION"
    ALTERATION = "ALTERATION"
    CONSULTATION = "CONSULTATION"
    DISCLOSURE = "DISCLOSURE"
    COMBINATION = "COMBINATION"
    ERASURE = "ERASURE"


class RecordChange(StrEnum):
    """What a change did to one record it names."""

    INSERT = "INSERT"
    UPDATE = "UPDATE"
    DELETE = "DELETE"


def _text(nullable: bool, length: int) -> Any:
    return Field(default=None, sa_column=sa.Column(sa.String(length), nullable=nullable))


class AuditEntry(SQLModel, table=True):
    """One entry of the chain. Rows are never updated or deleted: a trigger refuses it (migration 0004)."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        sa.CheckConstraint("sequence >= 1", name="sequence_positive"),
        sa.CheckConstraint("jsonb_typeof(records) = 'array'", name="records_is_a_list"),
        # Newest-first pages seek on (sequence, id); the filters each have an index.
        sa.Index("ix_audit_entry_sequence_id", "sequence", "id"),
        sa.Index("ix_audit_entry_actor_agency", "actor_agency_id", "sequence"),
        sa.Index("ix_audit_entry_action", "action", "sequence"),
        sa.Index("ix_audit_entry_at", "at"),
        sa.Index(
            "ix_audit_entry_records", "records", postgresql_using="gin", postgresql_ops={"records": "jsonb_path_ops"}
        ),
    )

    id: uuid.UUID = id_field()
    sequence: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False, unique=True))
    at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    action: AuditAction = enum_field(AuditAction)
    # What was done: the mutation's name (e.g. acceptReferral), "query", or a job's name.
    operation: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    # No foreign key: the trail must outlive anything it names.
    actor_agency_id: uuid.UUID | None = Field(default=None, sa_column=sa.Column(sa.Uuid, nullable=True))
    actor_client_id: str | None = _text(True, 100)
    actor_person: str | None = _text(True, 320)
    recipient: str | None = _text(True, 500)
    request_id: str | None = _text(True, 64)
    source_address: str | None = _text(True, 64)
    # [{"type": ..., "id": ..., "fields": [...], "change": INSERT|UPDATE|DELETE (changes only)}]
    records: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=sa.Column(postgresql.JSONB, nullable=False, server_default="[]")
    )
    prev_hash: str = Field(sa_column=sa.Column(sa.String(HASH_LENGTH), nullable=False))
    hash: str = Field(sa_column=sa.Column(sa.String(HASH_LENGTH), nullable=False))
