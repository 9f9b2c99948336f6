"""What a round cost the server side, read from outside it so both sides are measured the same way.

- SQL statements: PostgreSQL's own count, pg_stat_statements' `calls` summed over the bench database (top-level
  statements, BEGIN/COMMIT included), read before and after the round from a connection to another database, so
  the reading is not counted. Nothing else uses the bench database during a round. SAVEPOINT and RELEASE are not
  in it: pg_stat_statements leaves them out here (SQLAlchemy sends them through asyncpg's extended protocol; one
  advanceStage with a savepoint showed 12 statements in the server's log and 10 in the count).
- CPU: utime + stime from /proc/<pid>/stat of the server process and its worker processes, and of the PostgreSQL
  backends serving its connections (found by database and application_name in pg_stat_activity; a backend started
  during the round counts from zero). Backends are only measured when PostgreSQL runs on this machine.
- Peak RSS: VmHWM from /proc/<pid>/status, summed over the server process and its workers, reset (clear_refs 5) at
  the start of each scenario where allowed.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
STATEMENTS = """
SELECT coalesce(sum(calls), 0)::bigint FROM pg_stat_statements
WHERE dbid = (SELECT oid FROM pg_database WHERE datname = $1)
"""
BACKENDS = "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = $2"
BUSY = "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2 AND state <> 'idle'"
SETTLE_SECONDS = 60.0
POLL_SECONDS = 0.1


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far, or None if it cannot be read."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (a server's worker processes)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                queue.extend(int(child) for child in (task / "children").read_text().split())
            except OSError:
                continue
    return found


def server_cpu_seconds(pid: int) -> float | None:
    """CPU time of a server so far: its process and its worker processes."""
    if cpu_seconds(pid) is None:
        return None
    return sum(cpu_seconds(member) or 0.0 for member in process_tree(pid))


def _is_postgres(pid: int) -> bool:
    """Whether the process of that pid on this machine is a PostgreSQL backend (not just one with the same pid)."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().startswith("postgres")
    except OSError:
        return False


def peak_rss_mb(pid: int) -> float | None:
    """Peak resident memory of a server: its process and its worker processes, summed."""
    peaks = [peak for member in process_tree(pid) if (peak := _peak_rss_mb(member)) is not None]
    return sum(peaks) if peaks else None


def _peak_rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def reset_peak_rss(pid: int) -> bool:
    """Start the server's peak RSS afresh (Linux clear_refs), workers included; False where not allowed."""
    try:
        for member in process_tree(pid):
            Path(f"/proc/{member}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


@dataclass
class Snapshot:
    statements: int | None
    server_cpu: float | None
    backends: dict[int, float] = field(default_factory=dict)


@dataclass
class Cost:
    statements: int | None
    server_cpu: float | None
    database_cpu: float | None


class Probe:
    """Reads the counters of one server process and of its database backends."""

    def __init__(self, monitor: asyncpg.Connection, database: str, *, statements: bool, local_database: bool) -> None:
        self.monitor = monitor
        self.database = database
        self.statements = statements
        self.local_database = local_database

    async def settle(self, application_name: str) -> None:
        """Wait until the server has finished with the database: requests the load generator stopped waiting for
        (wrk leaves the last ones unanswered) finish before the reading, so they count in this round. Finished means
        no connection of the server busy, and no statement run, across one poll interval."""
        last = None
        for _ in range(round(SETTLE_SECONDS / POLL_SECONDS)):
            busy = await self.monitor.fetchval(BUSY, self.database, application_name)
            count = await self.monitor.fetchval(STATEMENTS, self.database) if self.statements else None
            if not busy and count == last:
                return
            last = count
            await asyncio.sleep(POLL_SECONDS)

    async def snapshot(self, pid: int, application_name: str) -> Snapshot:
        count = await self.monitor.fetchval(STATEMENTS, self.database) if self.statements else None
        backends: dict[int, float] = {}
        if self.local_database:
            for row in await self.monitor.fetch(BACKENDS, self.database, application_name):
                seconds = cpu_seconds(row["pid"]) if _is_postgres(row["pid"]) else None
                if seconds is not None:
                    backends[row["pid"]] = seconds
        return Snapshot(count, server_cpu_seconds(pid), backends)


def cost(before: Snapshot, after: Snapshot) -> Cost:
    statements = None
    if before.statements is not None and after.statements is not None:
        statements = after.statements - before.statements
    server = None
    if before.server_cpu is not None and after.server_cpu is not None:
        server = after.server_cpu - before.server_cpu
    database = None
    if after.backends:
        database = sum(seconds - before.backends.get(pid, 0.0) for pid, seconds in after.backends.items())
    return Cost(statements, server, database)
