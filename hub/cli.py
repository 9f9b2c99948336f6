"""The `hub` command: serve, migrate, demo, agency and client administration, schema export, key rotation.

Every failure is one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import asyncio
import functools
import gc
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
from hub.auth.service import ClientError, UserError
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
user_app = typer.Typer(help="Manage the people who sign in to agency portals.", no_args_is_help=True)
app.add_typer(user_app, name="user")
audit_app = typer.Typer(help="Check the audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
statistics_app = typer.Typer(help="The counts behind the service statistics.", no_args_is_help=True)
app.add_typer(statistics_app, name="statistics")

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
        except (ConfigError, DatabaseError, CommandError, AgencyError, ClientError, UserError) as error:
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
    redirect_uri: Annotated[
        list[str] | None,
        typer.Option(help="A portal: where people come back to after signing in, matched exactly (repeatable)."),
    ] = None,
    public: Annotated[
        bool, typer.Option("--public", help="A browser portal with no secret: it signs people in with PKCE only.")
    ] = False,
    jwks_file: Annotated[
        Path | None, typer.Option(help="A JSON Web Key Set of public keys: the client uses private_key_jwt.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Register an OAuth client; prints its id and, this once, its secret (none with --public or --jwks-file)."""
    from hub.agencies import repository

    if public and jwks_file is not None:
        raise CommandError("--public and --jwks-file exclude each other: a public client holds no key")
    options = ClientOptions(set(role), set(scope or []), redirect_uri or [], public, _read_key_set(jwks_file))

    async def work(database: Database) -> dict[str, Any]:
        async with database.transaction() as session:
            found = await repository.by_name(session, agency)
            if found is None:
                raise CommandError(f"no agency is named {agency!r} (see `hub agency create`)")
            person = await _facilitator_named(session, facilitator) if facilitator is not None else None
            return await _register_client(session, found, name or found.name, options, person)

    _print_client(run(prepare(), work), as_json)


@dataclass(frozen=True)
class ClientOptions:
    roles: set[Role]
    scopes: set[Scope]
    redirect_uris: list[str]
    public: bool
    jwks: dict | None


def _read_key_set(path: Path | None) -> dict | None:
    if path is None:
        return None
    try:
        loaded = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise CommandError(
            f"cannot read the key set {str(path)!r}: {getattr(error, 'strerror', None) or error}"
        ) from None
    if not isinstance(loaded, dict):
        raise CommandError(f'{str(path)!r} is not a JSON Web Key Set ({{"keys": [...]}})')
    return loaded


async def _facilitator_named(session: Any, email: str) -> Any:
    from hub.facilitators import repository as facilitators

    person = await facilitators.by_email(session, email)
    if person is None:
        raise CommandError(f"no facilitator has the email {email!r}")
    return person


async def _register_client(session: Any, agency: Any, label: str, options: ClientOptions, person: Any) -> dict:
    from hub.auth import service

    secret = None
    if options.public:
        if person is not None:
            raise CommandError("a --public client cannot act for a facilitator")
        client = await service.create_public_client(
            session, agency, label, options.roles, options.redirect_uris, options.scopes
        )
    elif options.jwks is not None:
        client = await service.create_key_client(
            session,
            agency,
            label,
            options.roles,
            options.jwks,
            options.scopes,
            person,
            redirect_uris=options.redirect_uris,
        )
    else:
        issued = await service.create_client(
            session, agency, label, options.roles, options.scopes, person, redirect_uris=options.redirect_uris
        )
        client, secret = issued.client, issued.secret
    return _client_summary(client, agency.name, secret)


def _client_summary(client: Any, agency: str, secret: str | None) -> dict[str, Any]:
    return {
        "client_id": client.client_id,
        "client_secret": secret,
        "agency": agency,
        "roles": client.roles,
        "scopes": client.scopes,
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
        "grant_types": client.grant_types,
        "redirect_uris": client.redirect_uris,
    }


def _print_client(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(result))
        return
    typer.echo(f"client_id:     {result['client_id']}")
    if result["client_secret"] is not None:
        typer.echo(f"client_secret: {result['client_secret']}   (shown once: store it now)")
    typer.echo(
        f"authenticates with: {result['token_endpoint_auth_method']}   grants: {' '.join(result['grant_types'])}"
    )
    for uri in result["redirect_uris"]:
        typer.echo(f"redirect URI:  {uri}")
    typer.echo(f"roles: {' '.join(result['roles'])}   scopes: {' '.join(result['scopes'])}")


@client_app.command("disable")
@guarded
def client_disable(client_id: Annotated[str, typer.Argument(help="The client's id (hub_...).")]) -> None:
    """Disable a client: it gets no new tokens, and the tokens it holds stop working at once."""
    from hub.auth.repository import client_by_client_id
    from hub.auth.service import disable_client

    async def work(database: Database) -> None:
        async with database.transaction() as session:
            client = await client_by_client_id(session, client_id)
            if client is None:
                raise CommandError(f"no client has the id {client_id!r}")
            await disable_client(session, client)

    run(prepare(), work)
    typer.echo(f"disabled client {client_id}")


@user_app.command("create")
@guarded
def user_create(
    agency: Annotated[str, typer.Option(help="The name of the agency the person works for.")],
    email: Annotated[str, typer.Option(help="The person's email address: what they sign in with.")],
    role: Annotated[list[Role], typer.Option(help="A role of the person (repeat for more).", case_sensitive=False)],
    name: Annotated[str | None, typer.Option(help="The person's full name.")] = None,
    facilitator: Annotated[
        str | None, typer.Option(help="The email of the facilitator this person is (a FACILITATOR sees their cases).")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input instead of generating one.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Register a person who signs in to the agency's portals; prints them and, once, a generated password."""
    from hub.agencies import repository
    from hub.auth.service import create_user

    password = _password_from_stdin() if password_stdin else None

    async def work(database: Database) -> dict[str, Any]:
        async with database.transaction() as session:
            found = await repository.by_name(session, agency)
            if found is None:
                raise CommandError(f"no agency is named {agency!r} (see `hub agency create`)")
            person = await _facilitator_named(session, facilitator) if facilitator is not None else None
            issued = await create_user(
                session, found, email, set(role), full_name=name, facilitator=person, password=password
            )
            user = issued.user
            summary = {"id": str(user.id), "email": user.email, "full_name": user.full_name, "roles": user.roles}
            return {**summary, "agency": found.name, "password": issued.password}

    _print_user(run(prepare(), work), as_json)


def _password_from_stdin() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise CommandError("no password on standard input")
    return password


def _print_user(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(result))
        return
    roles = " ".join(result["roles"])
    typer.echo(f"created user {result['email']} ({roles}) in {result['agency']!r} id {result['id']}")
    if result["password"] is not None:
        typer.echo(f"password: {result['password']}   (shown once: give it to the person over a safe channel)")


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


@audit_app.command("verify")
@guarded
def audit_verify() -> None:
    """Walk the audit chain, recomputing every hash; exit 1 naming the first broken entry."""
    from hub.audit.verify import Verdict, verify_chain

    async def work(database: Database) -> Verdict:
        async with database.sessions() as session:
            return await verify_chain(session)

    verdict = run(prepare(), work)
    if verdict.broken is not None:
        raise CommandError(f"audit entry #{verdict.broken.sequence} is broken: {verdict.broken.reason}")
    typer.echo(f"audit chain intact: {verdict.entries} entries")


@statistics_app.command("recount")
@guarded
def statistics_recount() -> None:
    """Recount the statistics' per-day counts from the records, as after a bulk load that skipped triggers.

    Writers wait while it runs; the figures read the same before and after unless the counts had drifted."""
    from hub.stats.repository import recount

    async def work(database: Database) -> tuple[int, int]:
        async with database.transaction() as session:
            return await recount(session)

    received, days = run(prepare(), work)
    typer.echo(f"statistics recounted from the records: {received} referrals received over {days} days")


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
    worker: Annotated[
        bool, typer.Option("--worker/--no-worker", help="Run a webhook delivery worker in this process too.")
    ] = True,
    workers: Annotated[
        int,
        typer.Option(min=1, max=64, help="Processes serving the API, each with its own pool (one per core is usual)."),
    ] = 1,
) -> None:
    """Run the API and a webhook delivery worker (the embedded PostgreSQL too, unless DATABASE_URL is set)."""
    import uvicorn

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
    configure_logging(prepared.settings)
    # uvicorn re-raises SIGTERM after its graceful shutdown; exiting instead lets the embedded server stop.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    if workers > 1:
        # Each process builds its own app from the environment (worker_app) and listens on a socket of its own
        # (hub/workers.py); the embedded server, if any, stays with this one, which supervises them.
        os.environ.update(
            {
                "DATABASE_URL": prepared.url,
                "HUB_PUBLIC_URL": str(prepared.settings.public_url),
                SERVE_WEBHOOK_WORKER: "1" if worker else "0",
            }
        )
        from hub.workers import WorkersFailed, supervise

        options = _listening(host, port, prepared.settings)
        options = {name: value for name, value in options.items() if name not in ("host", "port")}
        try:
            supervise("hub.cli:worker_app", workers, host, port, options)
        except WorkersFailed as error:
            raise CommandError(str(error)) from None
        return
    application = serving_app(prepared.settings, prepared.url, webhook_worker=worker)
    uvicorn.run(application, **_listening(host, port, prepared.settings))


SERVE_WEBHOOK_WORKER = "HUB_SERVE_WEBHOOK_WORKER"


def _listening(host: str, port: int, settings: Settings) -> dict[str, Any]:
    # The access log is off: query strings may carry personal data and must never reach the logs.
    return {"host": host, "port": port, "log_level": settings.log_level.lower(), "access_log": False}


def worker_app() -> Any:
    """The app of one of `hub serve --workers N`'s processes, from the environment the supervisor set."""
    settings = load_settings()
    configure_logging(settings)
    return serving_app(settings, os.environ["DATABASE_URL"], webhook_worker=os.environ.get(SERVE_WEBHOOK_WORKER) == "1")


def serving_app(settings: Settings, url: str, *, webhook_worker: bool) -> Any:
    """The app one serving process runs: with a webhook worker alongside if asked, and the collector tuned."""
    from hub.app import create_app

    application = create_app(settings, url)
    if webhook_worker:
        from hub.webhooks.worker import alongside

        alongside(application, settings)
    tune_garbage_collection()
    return application


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def tune_garbage_collection() -> None:
    """Everything alive once the app is built (modules, the schema, SQLAlchemy's and Strawberry's caches) is moved
    out of the collector's sight, and the youngest generation is collected every 20 000 allocations instead of
    700: a request allocates tens of thousands of short-lived objects, and the profile showed collections walking
    the long-lived ones taking a fifth of a request's CPU. Memory is still freed: most objects die by reference
    count, and cycles are still collected."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 50)


@app.command("worker")
@guarded
def webhook_worker() -> None:
    """Deliver webhooks until stopped (SIGTERM or Ctrl-C); run as many workers as you like."""
    from hub.webhooks.worker import run_until_signalled

    prepared = prepare()
    configure_logging(prepared.settings)
    run(prepared, lambda database: run_until_signalled(database, prepared.settings))


def main() -> None:
    app()
