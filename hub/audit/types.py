"""GraphQL types of the audit trail: entries name records and fields, never a value of personal data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from hub.agencies.types import AgencyType
from hub.api.context import Info
from hub.audit.models import AuditAction, AuditEntry, RecordChange

AuditActionType = strawberry.enum(
    AuditAction,
    name="AuditAction",
    description="What was done with the data (the kinds of processing UK DPA 2018 s.62 asks to be logged): "
    "COLLECTION (new records, e.g. a referral submitted), ALTERATION (records changed), CONSULTATION "
    "(restricted personal data read), DISCLOSURE (data sent to someone, e.g. a webhook), COMBINATION (data "
    "combined with other data) or ERASURE (records deleted).",
)
RecordChangeType = strawberry.enum(
    RecordChange, name="RecordChange", description="What a change did to a record: INSERT, UPDATE or DELETE."
)


@strawberry.type(description="One record an audit entry names: its type and id, and the fields concerned.")
class AuditRecord:
    type: str = strawberry.field(description="The kind of record, e.g. Referral, Participant, StageEvent.")
    id: str = strawberry.field(description="The record's row id (several ids joined by / for a compound key).")
    fields: list[str] = strawberry.field(
        description="The names of the fields read (CONSULTATION) or written (the others); never their values."
    )
    change: RecordChangeType | None = strawberry.field(  # type: ignore[valid-type]
        description="For a change: whether the record was inserted, updated or deleted. Null for reads."
    )

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> AuditRecord:
        return cls(
            type=value["type"], id=value["id"], fields=list(value["fields"]), change=_change(value.get("change"))
        )


def _change(value: str | None) -> RecordChange | None:
    return RecordChange(value) if value is not None else None


@strawberry.type(
    name="AuditEntry",
    description="One entry of the append-only audit trail: who did what to which records, when and from where. "
    "Each entry carries the hash of the one before it, so any later edit breaks the chain (`hub audit verify`).",
)
class AuditEntryType:
    row: strawberry.Private[AuditEntry]
    sequence: int = strawberry.field(description="The entry's place in the chain: 1, 2, 3 ... with no gaps.")
    at: datetime = strawberry.field(description="When it happened.")
    action: AuditActionType = strawberry.field(description="What kind of processing it was.")  # type: ignore[valid-type]
    operation: str = strawberry.field(
        description="What was done: the mutation's name (e.g. acceptReferral); for a CONSULTATION, the names of "
        "the request's mutations, or query."
    )
    actor_client_id: str | None = strawberry.field(description="The OAuth client that acted.")
    actor_person: str | None = strawberry.field(
        description="The person who acted, when a person signed in through a portal; null for a partner system."
    )
    recipient: str | None = strawberry.field(description="For a disclosure: to whom the data went.")
    request_id: str | None = strawberry.field(description="The id of the request, as in the hub's logs.")
    source_address: str | None = strawberry.field(description="The network address the request came from.")
    records: list[AuditRecord] = strawberry.field(description="The records concerned, and which of their fields.")
    previous_hash: str = strawberry.field(description="The hash of the entry before (64 zeros for the first).")
    hash: str = strawberry.field(description="sha256 of this entry's canonical form, its previous hash included.")

    @classmethod
    def from_row(cls, row: AuditEntry) -> AuditEntryType:
        return cls(
            row=row,
            sequence=row.sequence,
            at=row.at,
            action=row.action,
            operation=row.operation,
            actor_client_id=row.actor_client_id,
            actor_person=row.actor_person,
            recipient=row.recipient,
            request_id=row.request_id,
            source_address=row.source_address,
            records=[AuditRecord.from_json(value) for value in row.records],
            previous_hash=row.prev_hash,
            hash=row.hash,
        )

    @strawberry.field(description="The agency the actor acted for.")
    async def actor_agency(self, info: Info) -> AgencyType | None:
        if self.row.actor_agency_id is None:
            return None
        agency = await info.context.loaders.agency_by_id.load(self.row.actor_agency_id)
        return AgencyType.from_row(agency) if agency is not None else None
