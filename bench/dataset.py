"""The benchmark's data set: N referrals with everything recorded on them (bench/generator.py makes the rows),
loaded with PostgreSQL COPY in batches, with progress.

Besides the N referrals there is an "advance pool": recent referrals at ALLOCATED (version 3) that the advanceStage
scenario moves to CONTACT and then ASSESSMENT, and that reset_advance_pool() puts back between runs.
"""

from __future__ import annotations

import random
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg

from bench.generator import PARTNER_AGENCY, POOL_AGENCY, Generator, reached
from bench.tables import COLUMNS, TABLES
from hub.demo.plans import timeline

BATCH = 5_000
POOL_VERSION = 3  # RECEIVED, ACCEPTED, ALLOCATED: one event each
ADVANCE_STEPS = ("CONTACT", "ASSESSMENT")
CASE_SAMPLE = 500


@dataclass
class Dataset:
    """What the scenarios need to know about the loaded data."""

    partner_agency_id: uuid.UUID
    service_agency_id: uuid.UUID
    referrals: int
    case_ids: list[uuid.UUID]  # rich cases (agreement, sessions, assessments) for "one referral by id"
    advance_pool: list[uuid.UUID]  # at ALLOCATED, version POOL_VERSION
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


# --- loading ---------------------------------------------------------------------------------------------------------

Progress = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def copy_rows(conn: asyncpg.Connection, rows: dict[str, list[tuple]], counts: dict[str, int]) -> None:
    """COPY each table's rows, parents before children."""
    for table in TABLES:
        records = rows.get(table)
        if records:
            await conn.copy_records_to_table(table, records=records, columns=list(COLUMNS[table]))
            counts[table] = counts.get(table, 0) + len(records)


async def load(
    conn: asyncpg.Connection,
    referrals: int,
    *,
    pool: int,
    seed: int = 7,
    now: datetime | None = None,
    progress: Progress = _stderr,
) -> Dataset:
    """Generate and COPY the data set into an empty, migrated database; progress goes to `progress`."""
    started = time.monotonic()
    now = now or datetime.now(UTC)
    generator = Generator(random.Random(seed), now)  # noqa: S311 (made-up data, no secret)
    generator.number = await conn.fetchval("SELECT last_value FROM referral_reference_seq")  # after any referral
    generator.static_rows()
    await _skip_row_checks(conn)
    counts: dict[str, int] = {}
    await copy_rows(conn, generator.take(), counts)
    cases: list[uuid.UUID] = []
    reported, done = 0.0, 0
    while done < referrals:
        size = min(BATCH, referrals - done)
        for _ in range(size):
            plan = generator.plan()
            case = generator.referral(plan, timeline(generator.rng, plan, now.date()))
            if len(cases) < CASE_SAMPLE and reached(case.path, "AGREEMENT_MONITORING"):
                cases.append(case.id)
        await copy_rows(conn, generator.take(), counts)
        done += size
        if time.monotonic() - reported > 2 or done == referrals:
            reported = time.monotonic()
            rate = done / max(reported - started, 1e-6)
            progress(f"  loaded {done:,} / {referrals:,} referrals ({rate:,.0f}/s)")
    pool_ids = await _load_pool(conn, generator, pool, counts)
    await conn.execute("SELECT setval('referral_reference_seq', $1)", generator.number)  # the hub numbers on
    await conn.execute("RESET session_replication_role")
    # COPY skipped the triggers that keep the statistics' counts (replica mode): count the loaded rows once.
    progress("  counting the statistics")
    await conn.execute("SELECT statistic_rebuild()")
    progress("  analysing the tables")
    await conn.execute("ANALYZE")
    return Dataset(
        partner_agency_id=generator.by_name[PARTNER_AGENCY][0],
        service_agency_id=generator.service[0],
        referrals=referrals,
        case_ids=cases,
        advance_pool=pool_ids,
        rows=counts,
        seconds=time.monotonic() - started,
    )


async def _skip_row_checks(conn: asyncpg.Connection) -> None:
    """Skip the foreign-key triggers while loading (the rows are generated consistent), where the role may: they
    are most of the cost of COPY. CHECK constraints and unique indexes still hold every row."""
    try:
        await conn.execute("SET session_replication_role = replica")
    except asyncpg.InsufficientPrivilegeError:
        pass


async def _load_pool(conn: asyncpg.Connection, generator: Generator, size: int, counts: dict[str, int]) -> list:
    agency = generator.by_name[POOL_AGENCY]
    ids = []
    for start in range(0, size, BATCH):
        for _ in range(min(BATCH, size - start)):
            plan, times = generator.pool_plan()
            ids.append(generator.referral(plan, times, agency).id)
        await copy_rows(conn, generator.take(), counts)
    return ids


async def reset_advance_pool(conn: asyncpg.Connection, pool: list[uuid.UUID]) -> None:
    """Put the advance pool back at ALLOCATED, version 3, as loaded (the advances' events are removed)."""
    async with conn.transaction():
        await conn.execute(
            "DELETE FROM stage_event WHERE referral_id = ANY($1::uuid[]) AND to_stage = ANY($2::text[])",
            pool,
            list(ADVANCE_STEPS),
        )
        await conn.execute(
            "UPDATE referral SET stage = 'ALLOCATED', version = $2 WHERE id = ANY($1::uuid[]) AND version <> $2",
            pool,
            POOL_VERSION,
        )
