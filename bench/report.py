"""The benchmark's output: a header saying how each figure is measured, one table row per scenario and side, and
last one JSON line `{"bench": {...}}` with the same figures."""

from __future__ import annotations

import json
from typing import Any

from bench.bare import SERIALISER
from bench.run import SIDES, Outcome, Side
from bench.scenarios import BARE, HUB, SCENARIOS

COLUMNS = (
    ("req/s", 9),
    ("p50 ms", 8),
    ("p99 ms", 8),
    ("hub/bare", 8),
    ("SQL/req", 8),
    ("CPU ms/req", 10),
    ("DB CPU ms/req", 13),
    ("peak RSS MB", 11),
    ("errors", 7),
)
TITLE_WIDTH = 49


def figures(side: Side, bare: Side | None = None) -> dict[str, Any]:
    """One side's figures in one scenario; `ratio` is hub req/s over bare req/s (1 on the bare side)."""
    result = side.result
    requests = result.requests
    worked = max(result.sent, requests)  # the server's work covers the requests it was sent

    def per_request(total: float | None, scale: float = 1.0, places: int = 2) -> float | None:
        return round(total * scale / worked, places) if total is not None and worked else None

    rate = requests / result.elapsed if result.elapsed else 0.0
    ratio = None
    if bare is not None and bare.result.elapsed and bare.result.requests:
        ratio = round(rate / (bare.result.requests / bare.result.elapsed), 3)
    return {
        "requests": requests,
        "sent": worked,
        "req_per_s": round(rate, 1),
        "p50_ms": _round(result.percentile(0.50)),
        "p99_ms": _round(result.percentile(0.99)),
        "ratio_to_bare": ratio if bare is not None else 1.0,
        "sql_per_req": per_request(side.statements),
        "cpu_ms_per_req": per_request(side.server_cpu, 1000),
        "db_cpu_ms_per_req": per_request(side.database_cpu, 1000),
        "peak_rss_mb": _round(side.peak_rss_mb, 1),
        "errors": result.errors,
    }


def _round(value: float | None, places: int = 2) -> float | None:
    return None if value is None else round(value, places)


def results(outcome: Outcome) -> dict[str, Any]:
    scenarios = {}
    for scenario in SCENARIOS:
        sides = outcome.figures.get(scenario.key)
        if sides is None:
            continue
        scenarios[scenario.key] = {
            "title": scenario.title,
            HUB: figures(sides[HUB], sides[BARE]),
            BARE: figures(sides[BARE]),
        }
    return scenarios


def header(outcome: Outcome) -> list[str]:
    options, data = outcome.options, outcome.dataset
    where = f"PostgreSQL {outcome.postgres_version.split()[0]}, database {outcome.database}"
    return [
        f"RJ Partner Hub benchmark: {data.referrals:,} referrals (+ {len(data.advance_pool):,} in the advance pool), "
        f"{sum(data.rows.values()):,} rows; {where}",
        f"load: {outcome.client} client in its own process, {options.concurrency} connections, "
        f"{options.warmup:g}s warm-up per side, then {options.rounds} round(s) of {options.duration:g}s per side, "
        "sides alternating",
        "req/s: requests completed / time, over all rounds   p50/p99: latency per request, first byte sent to last "
        "read   hub/bare: hub req/s / bare req/s",
        "SQL/req: "
        + (
            "top-level statements PostgreSQL ran in the bench database (pg_stat_statements calls, BEGIN/COMMIT "
            "included, SAVEPOINT/RELEASE not: pg_stat_statements leaves them out here) / requests"
            if outcome.statements_counted
            else "not measured (pg_stat_statements cannot be loaded on this server)"
        ),
        "CPU ms/req: the server's processes' user+system CPU (/proc) / requests   DB CPU: the same for the "
        "PostgreSQL backends of its connections   peak RSS: the server's processes' VmHWM in the scenario, summed",
        f"hub: `python -m hub serve --workers {options.workers}`, HUB_ENV=production, OAuth bearer tokens   "
        f"bare: bench/bare.py, asyncpg + {SERIALISER}, no auth, uvicorn --workers {options.workers}",
    ]


def _cell(value: Any, width: int) -> str:
    if value is None:
        text = "-"
    elif isinstance(value, float):
        text = f"{value:,.1f}" if abs(value) >= 100 else f"{value:.2f}"
    else:
        text = f"{value:,}" if isinstance(value, int) else str(value)
    return text.rjust(width)


def table(outcome: Outcome) -> str:
    lines = header(outcome)
    titles = "scenario".ljust(TITLE_WIDTH) + " side " + " ".join(name.rjust(width) for name, width in COLUMNS)
    lines += ["", titles, "-" * len(titles)]
    keys = (
        "req_per_s",
        "p50_ms",
        "p99_ms",
        "ratio_to_bare",
        "sql_per_req",
        "cpu_ms_per_req",
        "db_cpu_ms_per_req",
        "peak_rss_mb",
        "errors",
    )
    for key, scenario in results(outcome).items():
        for side in SIDES:
            title = f"({key}) {scenario['title']}" if side == HUB else ""
            row = scenario[side]
            cells = " ".join(_cell(row[k], width) for k, (_, width) in zip(keys, COLUMNS, strict=True))
            lines.append(f"{title.ljust(TITLE_WIDTH)} {side:<4} {cells}")
    if outcome.webhooks:
        lines += ["", "webhook pipeline (loopback receiver, one worker, poll interval as in hub serve):"]
        lines += [f"  {name.replace('_', ' ')}: {value}" for name, value in outcome.webhooks.items()]
    return "\n".join(lines)


def json_line(outcome: Outcome) -> str:
    options, data = outcome.options, outcome.dataset
    document = {
        "bench": {
            "referrals": data.referrals,
            "advance_pool": len(data.advance_pool),
            "rows": sum(data.rows.values()),
            "load_seconds": round(data.seconds, 1),
            "postgres": outcome.postgres_version.split()[0],
            "client": outcome.client,
            "concurrency": options.concurrency,
            "workers": options.workers,
            "warmup_s": options.warmup,
            "rounds": options.rounds,
            "round_s": options.duration,
            "sql_counted": outcome.statements_counted,
            "bare_serialiser": SERIALISER,
            "seconds": round(outcome.seconds, 1),
            "scenarios": results(outcome),
        }
    }
    document["bench"]["webhooks"] = outcome.webhooks
    return json.dumps(document, separators=(",", ":"))
