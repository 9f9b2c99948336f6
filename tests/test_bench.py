"""The benchmark harness (bench/): its data set loads consistent rows, the hub answers each scenario's request
without errors, and its figures are computed and printed as documented. No timing is asserted: the benchmark
reports figures, it does not judge them."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bench import bare, dataset, generator, load, report, run, scenarios
from hub.agencies.models import Agency
from hub.auth.scopes import Role
from tests.factories import create_client, token_for

REFERRALS, POOL = 50, 10


@pytest.fixture
async def loaded(connection: AsyncConnection) -> dataset.Dataset:
    """The data set for 50 referrals (and a pool of 10), inside the test's transaction."""
    await connection.execute(sa.text("SELECT 1"))  # the test's transaction begins at its first statement
    raw = (await connection.get_raw_connection()).driver_connection
    messages: list[str] = []
    data = await dataset.load(raw, REFERRALS, pool=POOL, seed=3, progress=messages.append)
    assert messages[-1] == "  analysing the tables"
    return data


async def scalar(connection: AsyncConnection, sql: str, *args) -> object:
    raw = (await connection.get_raw_connection()).driver_connection
    return await raw.fetchval(sql, *args)


async def test_the_data_set_is_consistent(connection: AsyncConnection, loaded: dataset.Dataset) -> None:
    assert loaded.rows["referral"] == REFERRALS + POOL
    assert loaded.rows["facilitator"] == generator.FACILITATORS
    assert await scalar(connection, "SELECT count(*) FROM referral") == REFERRALS + POOL
    # Every referral's version is the number of its stage events, and its stage the last event's.
    mismatched = """
        SELECT count(*) FROM referral r
        WHERE r.version <> (SELECT count(*) FROM stage_event e WHERE e.referral_id = r.id)
           OR r.stage <> (SELECT e.to_stage FROM stage_event e WHERE e.referral_id = r.id ORDER BY e.at DESC LIMIT 1)
    """
    assert await scalar(connection, mismatched) == 0
    partner = "SELECT count(*) FROM referral WHERE referring_agency_id = $1"
    assert await scalar(connection, partner, loaded.partner_agency_id) > 0
    highest = await scalar(connection, "SELECT max(substring(reference from 9)::int) FROM referral")
    assert await scalar(connection, "SELECT last_value FROM referral_reference_seq") == highest


async def test_the_advance_pool_goes_back_to_allocated(connection: AsyncConnection, loaded: dataset.Dataset) -> None:
    raw = (await connection.get_raw_connection()).driver_connection
    pool = loaded.advance_pool
    assert len(pool) == POOL
    first = pool[0]
    await raw.execute("UPDATE referral SET stage = 'CONTACT', version = 4 WHERE id = $1", first)
    await raw.execute(
        "INSERT INTO stage_event (id, referral_id, from_stage, to_stage, at) VALUES (gen_random_uuid(), $1, "
        "'ALLOCATED', 'CONTACT', now())",
        first,
    )
    await dataset.reset_advance_pool(raw, pool)
    rows = await raw.fetch("SELECT stage, version FROM referral WHERE id = ANY($1::uuid[])", pool)
    assert {(row["stage"], row["version"]) for row in rows} == {("ALLOCATED", dataset.POOL_VERSION)}
    assert await raw.fetchval("SELECT count(*) FROM stage_event WHERE referral_id = $1", first) == 3
    allocated = "SELECT count(DISTINCT referral_id) FROM allocation WHERE referral_id = ANY($1::uuid[])"
    assert await raw.fetchval(allocated, pool) == POOL


async def test_the_hub_answers_every_scenario(http, session: AsyncSession, loaded: dataset.Dataset) -> None:
    partner = await session.get(Agency, loaded.partner_agency_id)
    service = await session.get(Agency, loaded.service_agency_id)
    referrer = await create_client(session, partner, {Role.REFERRER})
    staff = await create_client(session, service, {Role.COORDINATOR, Role.MANAGER})
    context = scenarios.Context(loaded, await token_for(http, referrer), await token_for(http, staff))
    for scenario in scenarios.SCENARIOS:
        plan = scenarios.plan(scenario.key, scenarios.HUB, context)
        path, body = plan.requests[0]
        body = body.replace(scenarios.MARKER, "test-1")
        answer = await http.post(path, content=body, headers=plan.headers)
        checker = load.Checker(plan.to_json())
        assert checker.ok(answer.status_code, answer.content), (scenario.key, answer.text[:500])


def _as_answered(figures: dict) -> dict:
    """The bare route's figures as the hub names them: camelCase keys, days in ISO format."""

    def camel(key: str) -> str:
        first, *rest = key.split("_")
        return first + "".join(word.title() for word in rest)

    return {camel(k): v.isoformat() if isinstance(v, date) else v for k, v in figures.items()}


async def test_the_bare_statistics_are_the_hubs_figures(http, session, connection, loaded) -> None:
    """Both sides of scenario (e) read the same counts, so they answer the same figures for the year and the one
    before (the counts were recounted after COPY skipped the triggers: without that, the year has none)."""
    manager = await create_client(session, await session.get(Agency, loaded.service_agency_id), {Role.MANAGER})
    context = scenarios.Context(loaded, "", await token_for(http, manager))
    plan = scenarios.plan("e", scenarios.HUB, context)
    path, body = plan.requests[0]
    hub = (await http.post(path, content=body, headers=plan.headers)).json()["data"]["serviceStatistics"]
    raw = (await connection.get_raw_connection()).driver_connection
    start, end = context.year
    year = _as_answered(await bare._figures(raw, start, end))
    previous = _as_answered(await bare._figures(raw, start - (end - start), start))
    assert hub["referralsReceived"] > 0 and hub["referralsAccepted"] > 0 and hub["harmedPartiesContacted"] > 0
    assert hub == year | {"previousPeriod": previous}


def test_every_scenario_has_a_bare_request(loaded_free_context: scenarios.Context) -> None:
    for scenario in scenarios.SCENARIOS:
        plan = scenarios.plan(scenario.key, scenarios.BARE, loaded_free_context)
        assert plan.requests, scenario.key
        assert all(path.startswith("/bare/") for path, _ in plan.requests)


@pytest.fixture
def loaded_free_context() -> scenarios.Context:
    import uuid

    data = dataset.Dataset(uuid.uuid4(), uuid.uuid4(), 10, [uuid.uuid4()], [uuid.uuid4(), uuid.uuid4()])
    return scenarios.Context(data, "referrer-token", "staff-token")


def test_advance_requests_carry_each_moves_version() -> None:
    sent = scenarios.advance_requests(["a", "b"], lambda row, version, stage: (row, f"{version}:{stage}"))
    assert sent == [("a", "3:CONTACT"), ("b", "3:CONTACT"), ("a", "4:ASSESSMENT"), ("b", "4:ASSESSMENT")]


def test_unique_requests_differ_and_count_their_length() -> None:
    plan = {"method": "POST", "headers": {"A": "b"}, "requests": [["/x", '{"ref":"R/@@N@@"}']], "mode": "unique"}
    requests = load.Requests(load.Spec("127.0.0.1", 80, 1, 1.0, "hub7", plan))
    first, second = requests.get(0), requests.get(1)
    assert first.endswith(b'{"ref":"R/hub7-0"}') and second.endswith(b'{"ref":"R/hub7-1"}')
    assert b"Content-Length: 18\r\n" in first


def test_latency_percentiles_merge_rounds_exactly() -> None:
    one = load.LoadResult(4, 1, 2.0, Counter({1000: 3, 9000: 1}))
    two = load.LoadResult(4, 0, 2.0, Counter({2000: 4}))
    one.merge(two)
    assert (one.requests, one.errors, one.elapsed) == (8, 1, 4.0)
    assert one.percentile(0.5) == 2.0
    assert one.percentile(0.99) == 9.0


def test_the_report_prints_a_table_then_one_json_line(loaded_free_context: scenarios.Context) -> None:
    def side(requests: int, statements: int) -> run.Side:
        figures = run.Side(statements=statements, server_cpu=0.5, database_cpu=0.25, peak_rss_mb=100.0)
        figures.result = load.LoadResult(requests, 0, 10.0, Counter({5000: requests}))
        return figures

    outcome = run.Outcome(run.Options(), loaded_free_context.dataset, "builtin", "hub_bench_1", "18.1", True)
    outcome.figures["a"] = {scenarios.HUB: side(100, 900), scenarios.BARE: side(400, 800)}
    printed = report.table(outcome)
    assert "(a) partner's 50 newest referrals" in printed
    figures = json.loads(report.json_line(outcome))["bench"]["scenarios"]["a"]
    assert figures["hub"]["req_per_s"] == 10.0 and figures["hub"]["ratio_to_bare"] == 0.25
    assert figures["hub"]["sql_per_req"] == 9.0 and figures["bare"]["sql_per_req"] == 2.0
    assert figures["hub"]["cpu_ms_per_req"] == 5.0 and figures["hub"]["p50_ms"] == 5.0


def test_the_command_explains_itself() -> None:
    shown = subprocess.run([sys.executable, "-m", "bench", "--help"], capture_output=True, text=True, check=True)
    assert "--quick" in shown.stdout and "--referrals" in shown.stdout


def test_the_webhook_bench_alone_leaves_no_database_behind(server_url):
    """`python -m bench.webhooks --database-url URL` makes a database of its own for the run and drops it."""
    command = [sys.executable, "-m", "bench.webhooks", "--database-url", server_url]
    command += ["--deliveries", "3", "--samples", "1"]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert finished.returncode == 0, finished.stderr[-2000:]
    figures = json.loads(finished.stdout.strip().splitlines()[-1])["webhooks"]
    assert figures["deliveries_per_second_one_worker"] > 0
    listing = subprocess.run(
        [sys.executable, "-c", LIST_DATABASES, server_url], capture_output=True, text=True, timeout=60, check=True
    )
    assert "hub_bench_hooks_" not in listing.stdout


LIST_DATABASES = """
import asyncio, sys, asyncpg
from hub.db import plain_url
async def main():
    conn = await asyncpg.connect(plain_url(sys.argv[1]))
    print([r[0] for r in await conn.fetch("SELECT datname FROM pg_database")])
    await conn.close()
asyncio.run(main())
"""
