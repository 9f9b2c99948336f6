"""`python -m bench`: start PostgreSQL, load the data set, measure the hub and the bare side, print the figures.

Progress goes to stderr; the table and, last, one JSON line go to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from bench import load, profile
from bench.bare import SERIALISER
from bench.database import create_database, remove_database, start_server, statement_statistics
from bench.report import json_line, table
from bench.run import Bench, Options, is_local, say


def parse(argv: list[str] | None) -> tuple[Options, argparse.Namespace]:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Measure the hub against a bare asyncpg + orjson app on the same data: req/s, p50, p99, "
        "SQL statements, CPU and peak memory per request. Prints a table, then one JSON line.",
    )
    parser.add_argument("--quick", action="store_true", help="a short run: 1 round of 4s per side, 2s warm-up")
    parser.add_argument("--referrals", type=int, default=20_000, help="referrals in the data set (default 20000)")
    parser.add_argument(
        "--pool", type=int, help="referrals at ALLOCATED for advanceStage, two moves each (default 20000; quick 10000)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="server processes per side, the hub's and the bare app's alike (default: one per core)",
    )
    parser.add_argument("--concurrency", type=int, default=16, help="connections kept busy (default 16)")
    parser.add_argument("--rounds", type=int, help="measured rounds per side (default 3; quick 1)")
    parser.add_argument("--duration", type=float, help="seconds per round (default 10; quick 4)")
    parser.add_argument("--warmup", type=float, help="warm-up seconds per side (default 3; quick 2)")
    parser.add_argument("--scenarios", default="abcde", help="which of a-e to run (default abcde)")
    parser.add_argument("--client", choices=("auto", "wrk", "builtin"), default="auto", help="wrk when installed")
    parser.add_argument("--database-url", help="a PostgreSQL server to use instead of an embedded one")
    parser.add_argument("--data-dir", type=Path, help="where the embedded server keeps its data (default: temporary)")
    parser.add_argument("--keep", action="store_true", help="keep the bench database at the end")
    parser.add_argument("--seed", type=int, default=7, help="seed of the data set")
    parser.add_argument(
        "--profile", type=Path, metavar="DIR", help="sample the hub with py-spy in each scenario's first round"
    )
    args = parser.parse_args(argv)
    quick = args.quick
    options = Options(
        referrals=args.referrals,
        pool=args.pool if args.pool is not None else (10_000 if quick else 20_000),
        concurrency=args.concurrency,
        warmup=args.warmup if args.warmup is not None else (2.0 if quick else 3.0),
        rounds=args.rounds if args.rounds is not None else (1 if quick else 3),
        duration=args.duration if args.duration is not None else (4.0 if quick else 10.0),
        client=args.client,
        scenarios="".join(s for s in "abcde" if s in args.scenarios.lower()),
        seed=args.seed,
        profile=args.profile,
        workers=max(1, args.workers),
    )
    if options.client == "auto":
        options.client = "wrk" if load.wrk_available() else "builtin"
    if options.client == "wrk" and not load.wrk_available():
        parser.error("--client wrk: wrk is not installed")
    if options.profile is not None and not profile.available():
        parser.error("--profile: py-spy is not installed (pip install py-spy)")
    if options.referrals < 100 or options.pool < 100 or not options.scenarios:
        parser.error("--referrals and --pool must be at least 100, and --scenarios name at least one of a-e")
    return options, args


def main(argv: list[str] | None = None) -> int:
    options, args = parse(argv)
    if SERIALISER != "orjson":
        say("orjson is not installed (pip install -e '.[bench]'): the bare side answers with the json module")
    server = start_server(args.database_url, args.data_dir, say)
    statements = asyncio.run(statement_statistics(server.url))
    if not statements:
        say("pg_stat_statements cannot be read on this server: SQL statements per request are not measured")
    name, url = create_database(server.url)
    say(f"created and migrated the database {name}")
    try:
        bench = Bench(options, url, name, local_database=server.embedded or is_local(url))
        outcome = asyncio.run(bench.run(statements))
    finally:
        if args.keep:
            say(f"kept the database {name}")
        else:
            remove_database(server.url, name)
    print(table(outcome))
    if options.profile is not None:
        for key in options.scenarios:
            print("\n".join(profile.summarise(options.profile / f"{key}.txt").lines(f"profile of ({key})")))
    print(json_line(outcome), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
