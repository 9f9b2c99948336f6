"""Test fixtures: one real PostgreSQL database per run, migrated once, and a rolled-back transaction per test.

HUB_TEST_DATABASE_URL names a server to use (a database is created on it and dropped after the run);
without it an embedded PostgreSQL starts in a temporary folder.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker, create_async_engine
from starlette.applications import Starlette

from hub.app import create_app
from hub.config import Settings
from hub.db import Database, async_url, drop_database, ensure_database, start_embedded, upgrade, with_database

PUBLIC_URL = "http://127.0.0.1:8000"


def _server_url() -> str:
    configured = os.environ.get("HUB_TEST_DATABASE_URL")
    if configured:
        return configured
    # Not under pytest's basetemp, which another pytest run on the machine may rotate away.
    folder = tempfile.mkdtemp(prefix="hub-test-pg-")
    atexit.register(shutil.rmtree, folder, True)  # registered first, so it runs after the server has stopped
    return start_embedded(Path(folder), delete_on_exit=True)


@pytest.fixture(scope="session", autouse=True)
def cheap_secret_hashing() -> Iterator[None]:
    """argon2id with the lowest cost inside this test process: tests make hundreds of clients, and the hashing's
    cost is a production setting, not behaviour under test (hashes still are argon2id; verifying reads the cost
    from the hash). Commands run as subprocesses keep the real cost."""
    from argon2 import PasswordHasher

    from hub.auth import passwords

    real = passwords._hasher
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    passwords._hasher = real


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A fresh database for this run, at Alembic head."""
    server = _server_url()
    name = f"hub_test_{uuid.uuid4().hex[:10]}"
    asyncio.run(ensure_database(server, name))
    url = with_database(server, name)
    upgrade(url)
    yield url
    asyncio.run(drop_database(server, name))


@pytest.fixture(scope="session")
def server_url(database_url: str) -> str:
    return with_database(database_url, "postgres")


@pytest.fixture
def empty_database(server_url: str) -> Iterator[str]:
    """A database of its own, not migrated, for tests whose code commits; dropped afterwards."""
    name = f"hub_empty_{uuid.uuid4().hex[:8]}"
    asyncio.run(ensure_database(server_url, name))
    yield with_database(server_url, name)
    asyncio.run(drop_database(server_url, name))


@pytest.fixture
async def committed_database(empty_database: str, settings: Settings) -> AsyncIterator[Database]:
    """A migrated database of its own, where each transaction commits on its own connection (as in production:
    a session's reads may run alone, outside a transaction, which the test's transaction never lets them)."""
    await asyncio.to_thread(upgrade, empty_database)
    database = Database.connect(empty_database, settings)
    yield database
    await database.dispose()


@pytest.fixture(scope="session")
def settings() -> Settings:
    # The per-address limit of the token endpoint is lifted: every test's client comes from 127.0.0.1.
    return Settings(public_url=PUBLIC_URL, env="development", database_url=None, auth_rate_limit_per_minute=1_000_000)


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator:
    engine = create_async_engine(async_url(database_url))
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine) -> AsyncIterator[AsyncConnection]:
    """One connection per test inside a transaction that is rolled back at the end.

    The transaction never commits, so the deferred triggers that keep the statistics' counts (they run at commit)
    run at each statement instead: what a test writes is counted when it reads. Tests that commit for real use
    the engine, and see the triggers run at commit as in production."""
    async with engine.connect() as conn:
        transaction = await conn.begin()
        await conn.execute(sa.text("SET CONSTRAINTS ALL IMMEDIATE"))
        yield conn
        if transaction.is_active:
            await transaction.rollback()


@pytest.fixture
def database(connection: AsyncConnection) -> Database:
    """A Database whose sessions all run inside the test's transaction (commits become savepoints)."""
    sessions = async_sessionmaker(bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
    return Database(engine=connection.engine, sessions=sessions)


@pytest.fixture
async def session(database: Database) -> AsyncIterator[AsyncSession]:
    async with database.sessions() as session:
        yield session


@pytest.fixture
async def app(settings: Settings, database: Database) -> AsyncIterator[Starlette]:
    application = create_app(settings, database=database)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
        yield client
