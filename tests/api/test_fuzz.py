"""Schemathesis in GraphQL mode against a running hub, with a full-rights token: generated queries and
mutations of every operation in the schema never get a 5xx nor an unexpected ("INTERNAL") error."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.db import drop_database, ensure_database, upgrade, with_database
from tests.servers import serving

# Spread over every query and mutation of the schema; raise HUB_FUZZ_EXAMPLES for a longer hunt.
EXAMPLES = int(os.environ.get("HUB_FUZZ_EXAMPLES", "300"))


def _hub(url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": url, "HUB_ENV": "development"}
    done = subprocess.run([sys.executable, "-m", "hub", *args], env=env, capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture(scope="module")
def hub_under_fuzz(server_url: str) -> Iterator[tuple[str, str]]:
    """A hub process on a database of its own, and a MANAGER token (every scope there is)."""
    name = f"hub_fuzz_{uuid.uuid4().hex[:8]}"
    asyncio.run(ensure_database(server_url, name))
    url = with_database(server_url, name)
    upgrade(url)
    _hub(url, "agency", "create", "--name", "Fuzz RJ Service", "--kind", "RJ_SERVICE", "--district", "Colchester")
    client = json.loads(_hub(url, "client", "create", "--agency", "Fuzz RJ Service", "--role", "MANAGER", "--json"))
    try:
        # The fuzzer hunts faults, not the rate limit.
        with serving(url, HUB_RATE_LIMIT_PER_MINUTE="10000000") as base:
            auth = (client["client_id"], client["client_secret"])
            token = httpx.post(f"{base}/oauth/token", data={"grant_type": "client_credentials"}, auth=auth).json()
            yield base, token["access_token"]
    finally:
        asyncio.run(drop_database(server_url, name))


@pytest.fixture(scope="module")
def graphql_schema(hub_under_fuzz):
    base, token = hub_under_fuzz
    return schemathesis.graphql.from_url(f"{base}/graphql", headers={"Authorization": f"Bearer {token}"})


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=not os.environ.get("HUB_FUZZ_RANDOM"),  # CI replays the same hunt; set it to explore anew
    database=None,
)
@given(data=st.data())
def test_no_generated_operation_breaks_the_hub(data, hub_under_fuzz, graphql_schema):
    _, token = hub_under_fuzz
    case = data.draw(graphql_schema.as_strategy())
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    assert response.status_code < 500, response.text
    errors = response.json().get("errors") or []
    assert not [e for e in errors if (e.get("extensions") or {}).get("code") == "INTERNAL"], (case.body, errors)
