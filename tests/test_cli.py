"""The operator's commands: each failure is one line and a non-zero exit, never a traceback."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from hub.cli import app
from hub.db import head_revision, upgrade

runner = CliRunner()


def invoke(url: str, *args: str):
    return runner.invoke(app, list(args), env={"DATABASE_URL": url})


def create_client_command(url: str, *options: str):
    return invoke(url, "client", "create", "--agency", "Essex Police — Colchester", *options)


def one_line_error(result, text: str) -> None:
    assert result.exit_code == 1
    assert result.output == f"error: {text}\n"
    assert "Traceback" not in result.output


def test_commands_refuse_a_database_that_is_behind(empty_database):
    behind = f"the database schema is at revision none but this hub needs {head_revision()}: run `hub migrate` first"
    result = invoke(empty_database, "agency", "create", "--name", "Essex Police", "--kind", "police")
    one_line_error(result, behind)
    serve = invoke(empty_database, "serve", "--port", "0")
    one_line_error(serve, behind)


def test_migrate_then_agency_and_client_admin(empty_database):
    assert invoke(empty_database, "migrate").output == "database schema is up to date (DATABASE_URL)\n"
    created = invoke(
        empty_database,
        "agency",
        "create",
        "--name",
        "Essex Police — Colchester",
        "--kind",
        "police",
        "--district",
        "Colchester",
    )
    assert created.exit_code == 0, created.output
    assert created.output.startswith("created agency 'Essex Police — Colchester' (POLICE) id ")
    again = invoke(empty_database, "agency", "create", "--name", "essex police — colchester", "--kind", "police")
    one_line_error(again, "an agency named 'essex police — colchester' already exists")

    client = create_client_command(empty_database, "--role", "referrer", "--scope", "referrals:read", "--json")
    assert client.exit_code == 0, client.output
    issued = json.loads(client.output)
    assert issued["client_id"].startswith("hub_")
    assert len(issued["client_secret"]) >= 40
    assert (issued["roles"], issued["scopes"]) == (["REFERRER"], ["referrals:read"])

    one_line_error(
        invoke(empty_database, "client", "create", "--agency", "Nobody", "--role", "referrer"),
        "no agency is named 'Nobody' (see `hub agency create`)",
    )
    one_line_error(
        create_client_command(empty_database, "--role", "manager"),
        "the role MANAGER is only for the RJ service's own agency, not for 'Essex Police — Colchester'",
    )
    one_line_error(
        create_client_command(empty_database, "--role", "referrer", "--scope", "statistics:read"),
        "the roles given do not allow the scopes: statistics:read",
    )


def test_key_rotation_command(empty_database):
    upgrade(empty_database)
    first = invoke(empty_database, "key", "rotate")
    second = invoke(empty_database, "key", "rotate")
    assert first.exit_code == second.exit_code == 0
    assert first.output.startswith("now signing with key ") and first.output != second.output


def test_a_configuration_error_is_one_line(empty_database):
    result = runner.invoke(app, ["migrate"], env={"DATABASE_URL": empty_database, "HUB_ENV": "prod"})
    one_line_error(result, "HUB_ENV: must be one of development, production (got 'prod')")


def test_an_unreachable_database_is_one_line():
    result = runner.invoke(app, ["migrate"], env={"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    assert result.exit_code == 1
    assert result.output.startswith("error: cannot reach the database")
    assert result.output.count("\n") == 1


def test_export_schema_writes_the_contract(tmp_path):
    target = tmp_path / "hub.graphql"
    result = runner.invoke(app, ["export-schema", "--output", str(target)])
    assert result.exit_code == 0
    from hub.api.schema import print_sdl

    assert target.read_text() == print_sdl()


def test_demo_loads_once_and_prints_credentials(empty_database):
    upgrade(empty_database)
    first = invoke(empty_database, "demo")
    assert first.exit_code == 0, first.output
    assert "Loaded demo data: 60 referrals" in first.output
    assert "client_id:     hub_" in first.output and "access token (valid 15 minutes):" in first.output
    one_line_error(
        invoke(empty_database, "demo"),
        "the database already holds data: demo data is only loaded into an empty one",
    )


def test_statistics_recount_restores_counts_that_drifted(empty_database):
    """The demo's changes were counted by the triggers; after the counts are wiped, a recount gives them back."""
    import asyncio

    import asyncpg

    upgrade(empty_database)
    assert invoke(empty_database, "demo").exit_code == 0

    async def counts(wipe: bool = False) -> tuple[list, list]:
        conn = await asyncpg.connect(empty_database)
        try:
            if wipe:
                await conn.execute("DELETE FROM statistic_received; DELETE FROM statistic_first_day")
            received = await conn.fetch("SELECT day, agency_id, district, n FROM statistic_received WHERE n <> 0")
            firsts = await conn.fetch("SELECT figure, day, previous, n FROM statistic_first_day WHERE n <> 0")
            return sorted(map(tuple, received)), sorted(map(tuple, firsts))
        finally:
            await conn.close()

    received, firsts = asyncio.run(counts())
    assert received and firsts and asyncio.run(counts(wipe=True)) == ([], [])
    result = invoke(empty_database, "statistics", "recount")
    days = len({day for day, *_ in received})
    assert result.output == f"statistics recounted from the records: 60 referrals received over {days} days\n"
    assert asyncio.run(counts()) == (received, firsts)
