"""`hub audit verify`: an intact chain exits 0; an entry a superuser edited behind the trigger's back is named."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from typer.testing import CliRunner

from hub.cli import app
from hub.db import Database, plain_url, upgrade
from tests.audit.trail import append_samples

runner = CliRunner()
ALTERED = "its content does not match its hash (it was altered after it was written)"


def verify(url: str):
    return runner.invoke(app, ["audit", "verify"], env={"DATABASE_URL": url})


async def _write_chain(url: str, settings, how_many: int) -> None:
    database = Database.connect(url, settings)
    try:
        async with database.transaction() as session:
            await append_samples(session, how_many)
    finally:
        await database.dispose()


async def _run(url: str, *statements: str, superuser: bool = False) -> None:
    """Run statements on a connection of their own as the test server's role (skip if a superuser is needed and it
    is not one)."""
    connection = await asyncpg.connect(plain_url(url))
    try:
        if superuser and await connection.fetchval("SELECT current_setting('is_superuser')") != "on":
            pytest.skip("the test server's role is not a superuser")
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def chain_of(url: str, settings, how_many: int) -> None:
    upgrade(url)
    asyncio.run(_write_chain(url, settings, how_many))


def test_an_intact_chain_verifies(empty_database, settings):
    chain_of(empty_database, settings, 3)
    result = verify(empty_database)
    assert (result.exit_code, result.output) == (0, "audit chain intact: 3 entries\n")


def test_an_empty_chain_verifies(empty_database):
    upgrade(empty_database)
    result = verify(empty_database)
    assert (result.exit_code, result.output) == (0, "audit chain intact: 0 entries\n")


def test_a_row_a_superuser_edited_is_reported(empty_database, settings):
    chain_of(empty_database, settings, 3)
    asyncio.run(
        _run(
            empty_database,
            "SET session_replication_role = replica",  # triggers off for this session: only a superuser may
            "UPDATE audit_entry SET actor_client_id = 'hub_someone_else' WHERE sequence = 2",
            superuser=True,
        )
    )
    result = verify(empty_database)
    assert result.exit_code == 1
    assert result.output == f"error: audit entry #2 is broken: {ALTERED}\n"


def test_a_row_deleted_with_the_trigger_disabled_is_reported(empty_database, settings):
    chain_of(empty_database, settings, 3)
    asyncio.run(
        _run(
            empty_database,
            "ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_no_update_or_delete",
            "DELETE FROM audit_entry WHERE sequence = 1",
            "ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_no_update_or_delete",
        )
    )
    result = verify(empty_database)
    assert result.exit_code == 1
    assert result.output == "error: audit entry #2 is broken: entry #1 before it is missing\n"


def test_without_bypassing_the_trigger_not_even_the_tables_owner_can_edit(empty_database, settings):
    chain_of(empty_database, settings, 2)
    for statement in ("UPDATE audit_entry SET operation = 'x'", "DELETE FROM audit_entry", "TRUNCATE audit_entry"):
        try:
            asyncio.run(_run(empty_database, statement))
        except asyncpg.InsufficientPrivilegeError as error:
            assert "audit entries are append-only" in str(error)
        else:
            raise AssertionError(f"{statement} was allowed")
    assert verify(empty_database).output == "audit chain intact: 2 entries\n"
