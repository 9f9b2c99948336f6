"""The webhook pipeline's figures: deliveries a second for one worker, and change-to-delivery latency.

A loopback receiver records when each webhook arrives. Throughput: N referrals are submitted (each writes one
event and one delivery in its transaction), then one worker drains them, timed. Latency: a worker runs as it
does in `hub serve` while referrals are submitted one at a time; each latency is from the change's commit to
the receiver's arrival. Run alone with `python -m bench.webhooks [--database-url URL]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from hub.agencies.models import AgencyKind
from hub.agencies.service import create_agency
from hub.auth.principal import Principal
from hub.auth.scopes import Role, scopes_for
from hub.auth.service import create_client
from hub.config import Settings
from hub.db import Database, drop_database, ensure_database, start_embedded, upgrade, with_database
from hub.referrals import service
from hub.referrals.inputs import ParticipantInput, ReferrerInput, SubmitReferralInput
from hub.referrals.models import IncidentKind, ParticipantRole
from hub.webhooks.models import WebhookEventType
from hub.webhooks.service import create_subscription
from hub.webhooks.ssrf import UrlPolicy
from hub.webhooks.types import CreateWebhookSubscriptionInput
from hub.webhooks.worker import Worker


class Receiver(ThreadingHTTPServer):
    """The loopback receiver: a thread per connection, and a backlog deep enough for a worker's whole batch (the
    default of 5 refuses connections under load, which the worker records as failed attempts and retries later)."""

    request_queue_size = 1024
    daemon_threads = True


class Arrivals:
    """When each referral's webhook reached the receiver."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.lock = threading.Lock()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        arrivals = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                reference = json.loads(body)["data"]["reference"]
                with arrivals.lock:
                    arrivals.at.setdefault(reference, time.monotonic())
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        return Handler


def submission(number: int) -> SubmitReferralInput:
    people = [
        ParticipantInput(role=ParticipantRole.HARMED, full_name="Bench Harmed", date_of_birth=date(1970, 1, 1)),
        ParticipantInput(
            role=ParticipantRole.RESPONSIBLE, full_name="Bench Responsible", date_of_birth=date(1990, 1, 1)
        ),
    ]
    return SubmitReferralInput(
        agency_reference=f"BENCH-HOOK-{number}-{time.time_ns()}",
        referrer=ReferrerInput(name="PC Bench"),
        district="Colchester",
        incident_kind=IncidentKind.CRIME,
        reported_to_police=True,
        responsibility_admitted=True,
        summary="A benchmark referral.",
        participants=people,
    )  # type: ignore[arg-type]


async def submit(database: Database, principal: Principal, number: int) -> tuple[str, float]:
    """One referral committed; its reference and the moment the commit returned."""
    async with database.transaction() as session:
        submitted = await service.submit(session, principal, submission(number))
        reference = submitted.referral.reference
    return reference, time.monotonic()


async def prepare(database: Database, settings: Settings, url: str) -> Principal:
    async with database.transaction() as session:
        agency = await create_agency(session, f"Bench webhooks {time.time_ns()}", AgencyKind.POLICE, ["Colchester"])
        roles = frozenset({Role.REFERRER})
        client = (await create_client(session, agency, "bench webhooks", set(roles))).client.client_id
        principal = Principal(agency.id, AgencyKind.POLICE, client, client, roles, scopes_for(roles))
        given = CreateWebhookSubscriptionInput(url=url, event_types=[WebhookEventType.REFERRAL_RECEIVED])  # type: ignore[arg-type]
        await create_subscription(session, principal, given, UrlPolicy.of(settings))
    return principal


async def throughput(
    database: Database, settings: Settings, principal: Principal, arrivals: Arrivals, count: int
) -> float:
    """Deliveries a second for one worker draining `count` due deliveries."""
    for number in range(count):
        await submit(database, principal, number)
    worker = Worker(database, settings)
    started = time.monotonic()
    while len(arrivals.at) < count and time.monotonic() - started < 300:
        if await worker.run_once() == 0:
            await asyncio.sleep(0.01)
    return count / (time.monotonic() - started)


async def latency(
    database: Database, settings: Settings, principal: Principal, arrivals: Arrivals, count: int
) -> list[float]:
    """Milliseconds from each change's commit to its webhook's arrival, with a worker running as in `hub serve`."""
    stop = asyncio.Event()
    worker = Worker(database, settings)
    running = asyncio.create_task(worker.run(stop))
    committed = {}
    try:
        for number in range(count):
            reference, at = await submit(database, principal, 10_000 + number)
            committed[reference] = at
            await asyncio.sleep(0.05)
        deadline = time.monotonic() + 60
        while any(r not in arrivals.at for r in committed) and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.02)  # the receiver is a thread: polling its record is simplest
    finally:
        stop.set()
        await running
    return sorted((arrivals.at[r] - at) * 1000 for r, at in committed.items() if r in arrivals.at)


async def measure(url: str, *, deliveries: int = 300, samples: int = 60) -> dict[str, float]:
    """The pipeline's figures on the database at `url` (migrated)."""
    arrivals = Arrivals()
    server = Receiver(("127.0.0.1", 0), arrivals.handler())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings = Settings(database_url=url, webhook_allow_private_networks=True, webhook_batch_size=50)
    database = Database.connect(url, settings)
    try:
        principal = await prepare(database, settings, f"http://127.0.0.1:{server.server_address[1]}/hook")
        per_second = await throughput(database, settings, principal, arrivals, deliveries)
        latencies = await latency(database, settings, principal, arrivals, samples)
    finally:
        server.shutdown()
        await database.dispose()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else float("nan")
    return {
        "deliveries_per_second_one_worker": round(per_second, 1),
        "change_to_delivery_p50_ms": round(statistics.median(latencies), 1) if latencies else float("nan"),
        "change_to_delivery_p99_ms": round(p99, 1),
        "poll_interval_ms": settings.webhook_poll_seconds * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks", description=__doc__)
    parser.add_argument("--database-url", help="a PostgreSQL server to use (default: an embedded one)")
    parser.add_argument("--deliveries", type=int, default=300)
    parser.add_argument("--samples", type=int, default=60)
    args = parser.parse_args()
    server = args.database_url or start_embedded(Path(".hub-data/bench-webhooks"))
    name = f"hub_bench_hooks_{time.time_ns() % 10**8}"
    asyncio.run(ensure_database(server, name))
    try:  # the database is the run's own: dropped at the end, as `python -m bench` drops its
        url = with_database(server, name)
        upgrade(url)
        print(f"webhooks: {args.deliveries} deliveries, {args.samples} latency samples", file=sys.stderr)
        figures = asyncio.run(measure(url, deliveries=args.deliveries, samples=args.samples))
    finally:
        asyncio.run(drop_database(server, name))
    for key, value in figures.items():
        print(f"{key:36} {value}")
    print(json.dumps({"webhooks": figures}))


if __name__ == "__main__":
    main()
