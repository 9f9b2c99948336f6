"""`hub serve --workers N`: N processes serve the API, each with its own app and pool, under one supervisor."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from hub.agencies.models import AgencyKind
from hub.auth.scopes import Role
from hub.db import Database, upgrade
from tests.factories import create_agency, create_client
from tests.servers import serving


def serving_processes(base: str) -> list[int]:
    """The processes listening behind base: the supervisor's spawned children (found through /proc)."""
    port = base.rsplit(":", 1)[1]
    supervisors = [
        p for p in Path("/proc").glob("[0-9]*") if _cmdline(p).endswith(f"serve --workers 2 --no-worker --port {port}")
    ]
    assert len(supervisors) == 1
    children = (supervisors[0] / "task" / supervisors[0].name / "children").read_text().split()
    return [int(c) for c in children if "multiprocessing.spawn" in _cmdline(Path(f"/proc/{c}"))]


def _cmdline(process: Path) -> str:
    try:
        return (process / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


async def test_two_processes_serve_the_api(empty_database, settings):
    await asyncio.to_thread(upgrade, empty_database)
    database = Database.connect(empty_database, settings)
    async with database.transaction() as session:
        issued = await create_client(session, await create_agency(session, AgencyKind.RJ_SERVICE), {Role.MANAGER})
    await database.dispose()
    with serving(empty_database, "--workers", "2", "--no-worker") as base:
        assert len(serving_processes(base)) == 2
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            auth = (issued.client.client_id, issued.secret)
            token = (await http.post("/oauth/token", auth=auth, data={"grant_type": "client_credentials"})).json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            answers = await asyncio.gather(
                *(http.post("/graphql", json={"query": "{ viewer { clientId } }"}, headers=headers) for _ in range(20))
            )
        # a token issued by either process is honoured by both (they share the signing keys in the database)
        assert {a.status_code for a in answers} == {200}
        assert {a.json()["data"]["viewer"]["clientId"] for a in answers} == {issued.client.client_id}
