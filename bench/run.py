"""One benchmark run: load the data set, register OAuth clients, start both servers, and measure each scenario with
a warm-up and then rounds that alternate the two sides."""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from bench import dataset, load, profile, webhooks
from bench.load import LoadResult
from bench.measure import Cost, Probe, cost, peak_rss_mb, reset_peak_rss
from bench.scenarios import BARE, HUB, SCENARIOS, Context, plan
from bench.server import Server, start_bare, start_hub, stop, wait_ready
from hub.db import plain_url, with_database

SIDES = (HUB, BARE)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Options:
    referrals: int = 20_000
    pool: int = 20_000
    concurrency: int = 16
    warmup: float = 3.0
    rounds: int = 3
    duration: float = 10.0
    client: str = "builtin"
    scenarios: str = "abcde"
    seed: int = 7
    workers: int = 1  # server processes per side
    profile: Path | None = None  # where py-spy's samples of the hub go (one file per scenario)


@dataclass
class Side:
    """A side's figures in one scenario, summed over its rounds."""

    result: LoadResult = field(default_factory=LoadResult)
    statements: float | None = 0
    server_cpu: float | None = 0.0
    database_cpu: float | None = 0.0
    peak_rss_mb: float | None = None

    def add(self, result: LoadResult, spent: Cost) -> None:
        self.result.merge(result)
        self.statements = _plus(self.statements, spent.statements)
        self.server_cpu = _plus(self.server_cpu, spent.server_cpu)
        self.database_cpu = _plus(self.database_cpu, spent.database_cpu)


def _plus(total: float | None, more: float | None) -> float | None:
    return None if total is None or more is None else total + more


@dataclass
class Outcome:
    """Everything the report prints."""

    options: Options
    dataset: dataset.Dataset
    client: str
    database: str
    postgres_version: str
    statements_counted: bool
    figures: dict[str, dict[str, Side]] = field(default_factory=dict)
    webhooks: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0


async def register_clients(url: str, data: dataset.Dataset) -> dict[str, tuple[str, str]]:
    """A REFERRER client for the partner police agency and a COORDINATOR + MANAGER client for the service."""
    from hub.agencies.models import Agency
    from hub.auth.scopes import Role
    from hub.auth.service import create_client
    from hub.config import Environment, Settings
    from hub.db import Database

    database = Database.connect(url, Settings(database_url=url, env=Environment.PRODUCTION))
    try:
        async with database.transaction() as session:
            partner = await session.get(Agency, data.partner_agency_id)
            service = await session.get(Agency, data.service_agency_id)
            assert partner is not None and service is not None  # loaded with the data set
            referrer = await create_client(session, partner, "Benchmark partner system", {Role.REFERRER})
            staff = await create_client(session, service, "Benchmark case system", {Role.COORDINATOR, Role.MANAGER})
            await _unlimited(session, [referrer.client.client_id, staff.client.client_id])
    finally:
        await database.dispose()
    return {
        "referrer": (referrer.client.client_id, referrer.secret),
        "staff": (staff.client.client_id, staff.secret),
    }


async def _unlimited(session: Any, client_ids: list[str]) -> None:
    """Lift the clients' own rate limits as far as they go, where the hub has per-client limits."""
    import sqlalchemy as sa

    has_limits = sa.text(
        "SELECT 1 FROM information_schema.columns WHERE table_name = 'oauth_client' "
        "AND column_name = 'rate_limit_per_minute'"
    )
    if (await session.execute(has_limits)).first() is not None:
        lift = sa.text("UPDATE oauth_client SET rate_limit_per_minute = 2000000000 WHERE client_id = ANY(:ids)")
        await session.execute(lift, {"ids": client_ids})


async def fetch_token(hub: Server, client: tuple[str, str]) -> str:
    async with httpx.AsyncClient(base_url=hub.base_url, timeout=30) as http:
        answer = await http.post("/oauth/token", auth=client, data={"grant_type": "client_credentials"})
    answer.raise_for_status()
    return str(answer.json()["access_token"])


class Bench:
    def __init__(self, options: Options, url: str, database: str, *, local_database: bool) -> None:
        self.options = options
        self.url = url
        self.database = database
        self.local_database = local_database
        self.runs = 0
        self.pool: list = []

    async def run(self, statements: bool) -> Outcome:
        started = time.monotonic()
        conn = await asyncpg.connect(plain_url(self.url), server_settings={"application_name": "bench-harness"})
        monitor = await asyncpg.connect(plain_url(with_database(self.url, "postgres")))  # readings not counted
        try:
            data = await self._load(conn)
            self.pool = data.advance_pool
            version = str(await conn.fetchval("SHOW server_version"))
            outcome = Outcome(self.options, data, self.options.client, self.database, version, statements)
            clients = await register_clients(self.url, data)
            probe = Probe(monitor, self.database, statements=statements, local_database=self.local_database)
            await self._measure(outcome, conn, probe, clients)
            short = self.options.rounds <= 1
            say("measuring the webhook pipeline: one worker draining deliveries, then change-to-delivery latency")
            outcome.webhooks = await webhooks.measure(
                self.url, deliveries=100 if short else 300, samples=30 if short else 60
            )
        finally:
            await conn.close()
            await monitor.close()
        outcome.seconds = time.monotonic() - started
        return outcome

    async def _load(self, conn: asyncpg.Connection) -> dataset.Dataset:
        options = self.options
        say(f"loading {options.referrals:,} referrals and an advance pool of {options.pool:,}")
        data = await dataset.load(conn, options.referrals, pool=options.pool, seed=options.seed, progress=say)
        rows = sum(data.rows.values())
        say(f"loaded {rows:,} rows in {data.seconds:.1f}s")
        return data

    async def _measure(self, outcome: Outcome, conn: asyncpg.Connection, probe: Probe, clients: dict) -> None:
        with tempfile.TemporaryDirectory(prefix="hub-bench-logs-") as logs:
            workers = self.options.workers
            servers = {HUB: start_hub(self.url, Path(logs), workers), BARE: start_bare(self.url, Path(logs), workers)}
            try:
                for server in servers.values():
                    await asyncio.to_thread(wait_ready, server)
                say(f"hub (pid {servers[HUB].pid}) and bare (pid {servers[BARE].pid}) are ready")
                context = Context(outcome.dataset)
                for scenario in SCENARIOS:
                    if scenario.key in self.options.scenarios:
                        context.referrer_token = await fetch_token(servers[HUB], clients["referrer"])
                        context.staff_token = await fetch_token(servers[HUB], clients["staff"])
                        figures = await self._scenario(scenario.key, context, servers, conn, probe)
                        outcome.figures[scenario.key] = figures
            finally:
                for server in servers.values():
                    stop(server)

    async def _scenario(
        self, key: str, context: Context, servers: dict[str, Server], conn: asyncpg.Connection, probe: Probe
    ) -> dict[str, Side]:
        options = self.options
        figures = {side: Side() for side in SIDES}
        plans = {side: plan(key, side, context).to_json() for side in SIDES}
        for side in SIDES:
            reset_peak_rss(servers[side].pid)
            say(f"({key}) {side}: warm-up {options.warmup:g}s")
            await self._prepare(key, conn)
            await self._round(side, servers[side], plans[side], options.warmup)
            await probe.settle(servers[side].application_name)
        for number in range(options.rounds):
            for side in SIDES if number % 2 == 0 else SIDES[::-1]:
                server = servers[side]
                await self._prepare(key, conn)
                before = await probe.snapshot(server.pid, server.application_name)
                sampler = self._sampler(key, side, server, number)
                result = await self._round(side, server, plans[side], options.duration)
                if sampler is not None:
                    await asyncio.to_thread(sampler.wait)
                await probe.settle(server.application_name)
                after = await probe.snapshot(server.pid, server.application_name)
                figures[side].add(result, cost(before, after))
                errors = f", {result.errors} failed" if result.errors else ""
                rate = result.requests / result.elapsed
                say(f"({key}) {side}: round {number + 1}/{options.rounds}: {rate:,.0f} req/s{errors}")
                if result.exhausted:
                    say(f"({key}) {side}: the advance pool ran out before the round's time was up: use a larger --pool")
        for side in SIDES:
            figures[side].peak_rss_mb = peak_rss_mb(servers[side].pid)
            for sample in figures[side].result.samples:
                say(f"({key}) {side}: failure: {sample}")
            if figures[side].result.samples:  # what the server said about them (the hub logs no personal data)
                logged = servers[side].log_tail(500).splitlines()
                said = [line for line in logged if " WARNING " in line or " ERROR " in line]
                for line in said[-10:]:
                    say(f"({key}) {side}: its log: {line}")
        return figures

    def _sampler(self, key: str, side: str, server: Server, number: int) -> Any:
        """py-spy on the hub through its first measured round of a scenario, when --profile asked for it."""
        directory = self.options.profile
        if directory is None or side != HUB or number != 0:
            return None
        directory.mkdir(parents=True, exist_ok=True)
        return profile.record(server.pid, self.options.duration, directory / f"{key}.txt")

    async def _prepare(self, key: str, conn: asyncpg.Connection) -> None:
        """Before every run of advanceStage, the advance pool goes back to ALLOCATED (outside the measurement)."""
        if key == "d":
            await dataset.reset_advance_pool(conn, self.pool)

    async def _round(self, side: str, server: Server, plan_json: dict, seconds: float) -> LoadResult:
        self.runs += 1
        spec = load.Spec("127.0.0.1", server.port, self.options.concurrency, seconds, f"{side}{self.runs}", plan_json)
        return await asyncio.to_thread(load.run, spec, self.options.client)


def is_local(url: str) -> bool:
    """Whether the database server runs on this machine (a Unix socket or a loopback address)."""
    parsed = make_url(url)
    host = str(parsed.host or parsed.query.get("host") or "")
    return host.startswith("/") or host in ("", "localhost", "127.0.0.1", "::1")
