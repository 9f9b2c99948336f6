"""Alembic environment: async, on the URL the hub hands over (or DATABASE_URL / the embedded server)."""

import asyncio

from alembic import context
from sqlalchemy import Connection, pool
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import hub.models  # noqa: F401  (registers every table on the metadata)
from hub.db import async_url

target_metadata = SQLModel.metadata


def database_url() -> str:
    url = context.config.attributes.get("database_url")
    if url:
        return url
    from hub.config import load_settings
    from hub.db import resolve_database_url

    return resolve_database_url(load_settings())[0]


def run_migrations(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    engine = create_async_engine(async_url(database_url()), poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(run_migrations)
    await engine.dispose()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
    else:
        asyncio.run(run_async_migrations())


if context.is_offline_mode():
    context.configure(url=async_url(database_url()), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
