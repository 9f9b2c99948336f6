"""`hub serve --workers N`: N processes serve the API, each with its own app and pool, under one supervisor."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time
from pathlib import Path

import httpx
import pytest

from hub.agencies.models import AgencyKind
from hub.auth.scopes import Role
from hub.db import Database, upgrade
from hub.workers import WorkersFailed, supervise
from tests.factories import create_agency, create_client
from tests.servers import free_port, serving


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


def sockets_on(port: int, state: str) -> set[int]:
    """The inodes of the IPv4 TCP sockets on the local port in the given state (0A: listening, 01: established)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
            inodes.add(int(fields[9]))
    return inodes


def holders(pids: list[int], inodes: set[int]) -> dict[int, int]:
    """How many of the sockets each process holds."""
    held = {}
    for pid in pids:
        links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
        held[pid] = sum(1 for link in links if link.startswith("socket:[") and int(link[8:-1]) in inodes)
    return held


async def test_each_process_listens_on_its_own_socket_and_connections_are_spread(empty_database):
    """uvicorn's own supervisor shares one socket, and a burst of connections could all land on one process. Each
    process now has a socket of its own (SO_REUSEPORT) and the kernel spreads connections across them."""
    await asyncio.to_thread(upgrade, empty_database)
    with serving(empty_database, "--workers", "2", "--no-worker") as base:
        port = int(base.rsplit(":", 1)[1])
        pids = serving_processes(base)
        # /healthz answered once one process listened; the other may still be starting.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            listening = sorted(holders(pids, sockets_on(port, "0A")).values())
            if listening == [1, 1]:
                break
            await asyncio.sleep(0.1)
        assert listening == [1, 1]
        burst = [socket.create_connection(("127.0.0.1", port)) for _ in range(16)]
        try:
            for connection in burst:
                connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                assert connection.recv(1024).startswith(b"HTTP/1.1 200")
            # Both serve some: all 16 on one of two sockets has a chance of 1 in 32,768.
            assert all(count > 0 for count in holders(pids, sockets_on(port, "01")).values())
        finally:
            for connection in burst:
                connection.close()


async def test_a_worker_that_dies_is_replaced(empty_database):
    await asyncio.to_thread(upgrade, empty_database)
    with serving(empty_database, "--workers", "2", "--no-worker") as base:
        first, second = serving_processes(base)
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = serving_processes(base)
            if len(now) == 2 and first not in now:
                break
            await asyncio.sleep(0.2)
        assert second in now and len(now) == 2 and first not in now
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            answers = await asyncio.gather(*(http.get("/healthz") for _ in range(10)))
        assert {a.status_code for a in answers} == {200}


def test_workers_that_keep_dying_as_they_start_stop_the_supervisor():
    with pytest.raises(WorkersFailed, match="3 workers in a row died as they started"):
        supervise("hub.no_such_module:app", 2, "127.0.0.1", free_port(), {"log_level": "critical"})
