"""Alembic: upgrade head on an empty database gives exactly the models, and downgrade base removes it all."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import hub.models  # noqa: F401
from hub.db import async_url, downgrade, head_revision, upgrade


async def _inspect(url: str):
    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), SQLModel.metadata
                )
            )
            tables = (await conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))).scalars()
            return diff, set(tables)
    finally:
        await engine.dispose()


def test_upgrade_gives_exactly_the_models_and_downgrade_removes_them(empty_database):
    upgrade(empty_database)
    diff, tables = asyncio.run(_inspect(empty_database))
    assert diff == []
    assert tables == set(SQLModel.metadata.tables) | {"alembic_version"}
    downgrade(empty_database, "base")
    diff, tables = asyncio.run(_inspect(empty_database))
    assert tables == {"alembic_version"}
    added = {change[1].name for change in diff if change[0] == "add_table"}
    assert added == set(SQLModel.metadata.tables)  # every table would have to be added again


def test_head_is_the_single_current_revision():
    assert head_revision() is not None
