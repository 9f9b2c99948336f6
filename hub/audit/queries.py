"""Thin resolvers of the audit trail: parse the filter, ask the repository, shape the page."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from hub.api.context import Info
from hub.api.errors import bad_input
from hub.api.pagination import MAX_PAGE_SIZE, Ordering, PageArgs, fetch_page, to_connection
from hub.api.permissions import ReadsAuditLog
from hub.audit import repository
from hub.audit.models import AuditEntry
from hub.audit.types import AuditActionType, AuditEntryType

# Newest first: by place in the chain, which is also the order entries were written in.
_NEWEST_FIRST = Ordering(AuditEntry.sequence, AuditEntry.id, True, lambda row: row.sequence)


@strawberry.input(description="Narrows the audit log; every condition given must hold.")
class AuditLogFilter:
    actor_agency_id: strawberry.ID | None = strawberry.field(
        default=None, description="The id of the agency the actor acted for."
    )
    record_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A record the entry names: a global id as the hub gives it out (e.g. a Referral's or a "
        "Participant's), or a row id as entries show it.",
    )
    action: AuditActionType | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Only entries of this kind."
    )
    from_: datetime | None = strawberry.field(default=None, name="from", description="At or after this time.")
    to: datetime | None = strawberry.field(default=None, description="Before this time.")


def _record_id(value: str) -> str:
    """The row id inside a global id; anything else is taken as a row id already."""
    try:
        return relay.GlobalID.from_id(value).node_id
    except (ValueError, relay.GlobalIDValueError):
        return value


def _filter(where: AuditLogFilter | None) -> repository.AuditFilter:
    if where is None:
        return repository.AuditFilter()
    if where.from_ and where.to and where.from_ >= where.to:
        raise bad_input("filter.from must be before filter.to.")
    agency_id = None
    if where.actor_agency_id is not None:
        from hub.api.node import parse_id

        agency_id = parse_id(where.actor_agency_id, "Agency", "filter.actorAgencyId")
    return repository.AuditFilter(
        actor_agency_id=agency_id,
        record_id=_record_id(where.record_id) if where.record_id is not None else None,
        action=where.action,
        at_from=where.from_,
        at_to=where.to,
    )


@strawberry.type
class AuditQuery:
    @strawberry.field(
        description=f"The audit trail, newest entry first, at most {MAX_PAGE_SIZE} a page. {ReadsAuditLog.__doc__} "
        "Anyone else gets null and a FORBIDDEN error.",
        permission_classes=[ReadsAuditLog],
    )
    async def audit_log(
        self,
        info: Info,
        filter: AuditLogFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> relay.Connection[AuditEntryType] | None:  # type: ignore[type-var]  # entries are not nodes
        statement = repository.filtered(info.context.principal, _filter(filter))
        page = await info.context.run(fetch_page, statement, _NEWEST_FIRST, PageArgs(first, after, last, before))
        return to_connection(page, _NEWEST_FIRST, AuditEntryType.from_row)
