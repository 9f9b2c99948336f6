"""The `hub` command: serve, migrate, demo, agency and client administration, schema export, key rotation.

Every failure is one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import AnyHttpUrl

from hub.agencies.models import AgencyKind
from hub.agencies.service import AgencyError
from hub.auth.scopes import Role, Scope
from hub.auth.service import ClientError
from hub.config import ConfigError, Settings, load_settings
from hub.db import Database, DatabaseError, check_schema_current, resolve_database_url, upgrade

app = typer.Typer(
    help="RJ Partner Hub: the GraphQL hub between partner agencies and the RJ service.", no_args_is_help=True
)
agency_app = typer.Typer(help="Manage partner agencies.", no_args_is_help=True)
client_app = typer.Typer(help="Manage OAuth clients of partner systems.", no_args_is_help=True)
key_app = typer.Typer(help="Manage the keys that sign access tokens.", no_args_is_help=True)
app.add_typer(agency_app, name="agency")
app.add_typer(client_app, name="client")
app.add_typer(key_app, name="key")

T = TypeVar("T")
SCHEMA_FILE = Path("schema/hub.graphql")


class CommandError(Exception):
    """A command cannot do what was asked; the message is the one line the operator sees."""


def fail(message: str) -> None:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(1)


@dataclass
class Prepared:
    settings: Settings
    url: str
    embedded: bool


def prepare(*, migrate: bool = False) -> Prepared:
    """Settings and a database URL; the embedded server is started and brought to head."""
    settings = load_settings()
    url, embedded = resolve_database_url(settings)
    if migrate or embedded:
        upgrade(url)
    return Prepared(settings, url, embedded)


async def _with_database(prepared: Prepared, work: Callable[[Database], Awaitable[T]]) -> T:
    database = Database.connect(prepared.url, prepared.settings)
    try:
        await check_schema_current(database)
        return await work(database)
    finally:
        await database.dispose()


def run(prepared: Prepared, work: Callable[[Database], Awaitable[T]]) -> T:
    return asyncio.run(_with_database(prepared, work))


def guarded(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the errors an operator can act on into one line and exit 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (ConfigError, DatabaseError, CommandError, AgencyError, ClientError) as error:
            fail(str(error))
        except OSError as error:
            fail(f"cannot reach the database: {error.strerror or error}")
        except Exception as error:
            logging.getLogger("hub").debug("command failed", exc_info=True)
            fail(f"{type(error).__name__}: {error}")

    return wrapper


@app.command()
@guarded
def migrate() -> None:
    """Bring the database schema up to date (Alembic upgrade head)."""
    prepared = prepare(migrate=True)
    typer.echo(f"database schema is up to date ({'embedded server' if prepared.embedded else 'DATABASE_URL'})")


@app.command("export-schema")
@guarded
def export_schema(
    output: Annotated[Path, typer.Option(help="Where to write the SDL ('-' for standard output).")] = SCHEMA_FILE,
) -> None:
    """Print the GraphQL schema (SDL) from the code into schema/hub.graphql."""
    from hub.api.schema import print_sdl

    sdl = print_sdl()
    if str(output) == "-":
        sys.stdout.write(sdl)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(sdl)
    typer.echo(f"wrote {output}")


@agency_app.command("create")
@guarded
def agency_create(
    name: Annotated[str, typer.Option(help="The agency's name, unique in the hub.")],
    kind: Annotated[AgencyKind, typer.Option(help="What kind of agency it is.", case_sensitive=False)],
    district: Annotated[list[str] | None, typer.Option(help="A district it covers (repeat for more).")] = None,
) -> None:
    """Register a partner agency."""
    from hub.agencies.service import create_agency

    async def work(database: Database) -> str:
        async with database.transaction() as session:
            agency = await create_agency(session, name, kind, district or [])
            return f"created agency {agency.name!r} ({agency.kind.value}) id {agency.id}"

    typer.echo(run(prepare(), work))


@client_app.command("create")
@guarded
def client_create(
    agency: Annotated[str, typer.Option(help="The name of the agency the client acts for.")],
    role: Annotated[list[Role], typer.Option(help="A role of the client (repeat for more).", case_sensitive=False)],
    scope: Annotated[list[Scope] | None, typer.Option(help="Limit the client to these scopes.")] = None,
    name: Annotated[str, typer.Option(help="A label for the client, e.g. the partner system's name.")] = "",
    facilitator: Annotated[
        str | None, typer.Option(help="The email of the facilitator a FACILITATOR client acts for.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Register an OAuth client (client credentials); prints its id and, this once, its secret."""
    from hub.agencies import repository
    from hub.auth.service import create_client
    from hub.facilitators import repository as facilitators

    async def work(database: Database) -> dict[str, Any]:
        async with database.transaction() as session:
            found = await repository.by_name(session, agency)
            if found is None:
                raise CommandError(f"no agency is named {agency!r} (see `hub agency create`)")
            person = None
            if facilitator is not None:
                person = await facilitators.by_email(session, facilitator)
                if person is None:
                    raise CommandError(f"no facilitator has the email {facilitator!r}")
            issued = await create_client(session, found, name or found.name, set(role), set(scope or []), person)
            return {
                "client_id": issued.client.client_id,
                "client_secret": issued.secret,
                "agency": found.name,
                "roles": issued.client.roles,
                "scopes": issued.client.scopes,
            }

    result = run(prepare(), work)
    if as_json:
        typer.echo(json.dumps(result))
        return
    typer.echo(f"client_id:     {result['client_id']}")
    typer.echo(f"client_secret: {result['client_secret']}   (shown once: store it now)")
    typer.echo(f"roles: {' '.join(result['roles'])}   scopes: {' '.join(result['scopes'])}")


@key_app.command("rotate")
@guarded
def key_rotate() -> None:
    """Start signing tokens with a new key; the old one verifies until its tokens have expired."""
    from hub.auth.keys import rotate_signing_key

    async def work(database: Database) -> str:
        async with database.transaction() as session:
            key = await rotate_signing_key(session)
            return key.kid

    typer.echo(f"now signing with key {run(prepare(), work)}")


@app.command()
@guarded
def demo() -> None:
    """Load demo data into an empty database and print ready-to-use credentials."""
    from hub.demo.credentials import print_demo, seed_demo

    prepared = prepare()
    credentials = run(prepared, lambda database: seed_demo(database, prepared.settings))
    if credentials is None:
        raise CommandError("the database already holds data: demo data is only loaded into an empty one")
    print_demo(credentials, prepared.settings)


@app.command()
@guarded
def serve(
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port to listen on.")] = 8000,
    demo: Annotated[
        bool, typer.Option("--demo", help="Load demo data on an empty database and print a token.")
    ] = False,
) -> None:
    """Run the API (the embedded PostgreSQL too, unless DATABASE_URL is set)."""
    import uvicorn

    from hub.app import create_app

    prepared = prepare()
    if "HUB_PUBLIC_URL" not in os.environ:  # the issuer and printed links follow where we listen
        local = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
        public_url = AnyHttpUrl(f"http://{local}:{port}")
        prepared.settings = prepared.settings.model_copy(update={"public_url": public_url})
    from hub.demo.credentials import DemoCredentials, print_demo, seed_demo

    async def ready(database: Database) -> DemoCredentials | None:
        return await seed_demo(database, prepared.settings, reuse=True) if demo else None

    credentials = run(prepared, ready)  # refuses when the schema is behind
    if credentials is not None:
        print_demo(credentials, prepared.settings)
    logging.basicConfig(level=prepared.settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # uvicorn re-raises SIGTERM after its graceful shutdown; exiting instead lets the embedded server stop.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    # The access log is off: query strings may carry personal data and must never reach the logs.
    uvicorn.run(
        create_app(prepared.settings, prepared.url),
        host=host,
        port=port,
        log_level=prepared.settings.log_level.lower(),
        access_log=False,
    )


def main() -> None:
    app()
