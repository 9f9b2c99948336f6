"""Demo data: a county RJ service, its partner agencies, facilitators, and generated referrals at every stage.

Everything is generated from one seed, so the same seed (and the same `now`) gives the same cases. Names, phone
numbers (Ofcom's drama ranges) and email addresses (example.org/example.net) are fictional."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from hub.agencies.models import Agency
from hub.agencies.service import create_agency
from hub.columns import utcnow
from hub.demo.builder import DemoBuilder
from hub.demo.catalogue import AGENCIES, HISTORY_DAYS, POLICE_PREFIX
from hub.demo.plans import plans, timeline


@dataclass
class DemoData:
    """What load_demo created: the RJ service, a police agency to act for, every agency, and the case count."""

    service_agency: Agency
    police_agency: Agency
    agencies: list[Agency]
    referral_count: int


# --- loading ---------------------------------------------------------------------------------------------------------


async def _create_agencies(session: AsyncSession, registered: datetime) -> list[Agency]:
    agencies = [await create_agency(session, name, kind, list(districts)) for name, kind, districts in AGENCIES]
    for agency in agencies:
        agency.created_at = registered  # registered before the first demo referral
    return agencies


async def _reference_numbers(session: AsyncSession, count: int) -> list[int]:
    """The next `count` hub reference numbers, in ascending order."""
    statement = sa.text("SELECT nextval('referral_reference_seq') FROM generate_series(1, :count)")
    return sorted((await session.execute(statement, {"count": count})).scalars())


async def _flush_tiers(session: AsyncSession, tiers: Sequence[list[SQLModel]]) -> None:
    for rows in tiers:
        session.add_all(rows)
        await session.flush()


async def load_demo(
    session: AsyncSession, *, seed: int = 2026, referrals: int = 60, now: datetime | None = None
) -> DemoData | None:
    """Fill an empty database with a county's agencies, facilitators and cases; None if it already holds agencies."""
    if (await session.execute(sa.select(sa.literal(1)).select_from(Agency).limit(1))).first() is not None:
        return None
    now = now or utcnow()
    rng = random.Random(seed)
    agencies = await _create_agencies(session, now - timedelta(days=HISTORY_DAYS + 60))
    builder = DemoBuilder(rng, now, agencies)
    cases = [(plan, timeline(rng, plan, now.date())) for plan in plans(rng, referrals)]
    cases.sort(key=lambda case: case[1][0])
    for (plan, times), number in zip(cases, await _reference_numbers(session, len(cases)), strict=True):
        builder.case(plan, times, number)
    builder.other_hours()
    await _flush_tiers(session, builder.tiers)
    police = next(a for a in agencies if a.name == f"{POLICE_PREFIX}Colchester")
    return DemoData(service_agency=builder.service, police_agency=police, agencies=agencies, referral_count=len(cases))
