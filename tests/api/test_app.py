"""The app's edges: health and readiness, GraphiQL and introspection by environment."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa

from hub.agencies.models import AgencyKind
from hub.app import create_app
from hub.config import Settings
from hub.db import head_revision
from tests.factories import create_agency, create_client, graphql, token_for

INTROSPECT = "{ __schema { queryType { name } } }"


async def test_healthz(http):
    response = await http.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readyz_when_ready_and_when_the_schema_is_behind(http, session):
    assert (await http.get("/readyz")).json() == {"status": "ready"}
    await session.execute(sa.text("UPDATE alembic_version SET version_num = 'behind'"))
    await session.flush()
    response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "reason": f"the database schema is at revision behind but this hub needs {head_revision()}: "
        "run `hub migrate` first",
    }


async def test_development_serves_graphiql_and_introspection(http, session):
    page = await http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    token = await token_for(http, await create_client(session, await create_agency(session, AgencyKind.POLICE)))
    assert (await graphql(http, token, INTROSPECT))["data"] == {"__schema": {"queryType": {"name": "Query"}}}


@pytest.fixture
async def production(database):
    settings = Settings(public_url="https://hub.example.org", env="production", database_url=None)
    application = create_app(settings, database=database)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="https://hub.example.org") as client:
            yield client


async def test_production_has_no_graphiql_and_no_introspection(production, session):
    page = await production.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 401  # no IDE: a GET is just an unauthenticated GraphQL request
    token = await token_for(production, await create_client(session, await create_agency(session, AgencyKind.POLICE)))
    result = await graphql(production, token, INTROSPECT)
    assert "data" not in result or result["data"] is None
    assert "introspection" in result["errors"][0]["message"].lower()
    assert (await graphql(production, token, "{ viewer { roles } }"))["data"] == {"viewer": {"roles": ["REFERRER"]}}


async def test_production_suggests_no_field_names_development_does(production, http, session):
    misspelt = "{ referals { edges { node { id } } } }"
    agency = await create_agency(session, AgencyKind.POLICE)
    prod_token = await token_for(production, await create_client(session, agency))
    quiet = (await graphql(production, prod_token, misspelt))["errors"][0]["message"]
    assert quiet == "Cannot query field 'referals' on type 'Query'."
    dev_token = await token_for(http, await create_client(session, agency))
    assert "Did you mean 'referrals'" in (await graphql(http, dev_token, misspelt))["errors"][0]["message"]
