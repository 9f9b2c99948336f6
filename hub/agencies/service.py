"""The business rules of agencies; the only code that writes them."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from hub.agencies import repository
from hub.agencies.inputs import CreateAgencyInput
from hub.agencies.models import Agency, AgencyKind
from hub.auth.principal import Principal
from hub.problems import ProblemCode, Refused
from hub.validation import Checker

MAX_DISTRICTS = 50


class AgencyError(Refused):
    """An agency cannot be created as asked; the message says why."""


async def create_agency(session: AsyncSession, name: str, kind: AgencyKind, districts: list[str]) -> Agency:
    """Register a partner agency (or the RJ service) with the districts it covers."""
    check = Checker()
    clean_name = check.text(name, ("input", "name"), 200, required=True)
    check.count(districts, ("input", "districts"), 0, MAX_DISTRICTS, "districts")
    cleaned = [check.text(d, ("input", "districts", i), 100) for i, d in enumerate(districts)]
    if check.problems:
        raise AgencyError(check.problems)
    assert clean_name is not None
    if await repository.by_name(session, clean_name) is not None:
        raise AgencyError.one(
            ("input", "name"), f"an agency named {clean_name!r} already exists", ProblemCode.ALREADY_EXISTS
        )
    agency = Agency(name=clean_name, kind=kind, districts=list(dict.fromkeys(d for d in cleaned if d)))
    session.add(agency)
    await session.flush()
    return agency


async def register_agency(session: AsyncSession, principal: Principal, given: CreateAgencyInput) -> Agency:
    """An administrator registers an agency through the API."""
    return await create_agency(session, given.name, AgencyKind(given.kind), list(given.districts))
