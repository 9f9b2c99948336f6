"""The business rules of agencies; the only code that writes them."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from hub.agencies import repository
from hub.agencies.models import Agency, AgencyKind


class AgencyError(Exception):
    """An agency cannot be created as asked; the message says why."""


async def create_agency(session: AsyncSession, name: str, kind: AgencyKind, districts: list[str]) -> Agency:
    """Register a partner agency (or the RJ service) with the districts it covers."""
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise AgencyError("the agency name must be 1 to 200 characters")
    if await repository.by_name(session, name) is not None:
        raise AgencyError(f"an agency named {name!r} already exists")
    cleaned = list(dict.fromkeys(d.strip() for d in districts if d.strip()))
    agency = Agency(name=name, kind=kind, districts=cleaned)
    session.add(agency)
    await session.flush()
    return agency
