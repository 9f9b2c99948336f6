"""The embedded default: `hub serve` with no DATABASE_URL runs its own PostgreSQL, shared and stopped cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.servers import free_port

SHARE = """
import sys, time
from pathlib import Path
from hub.db import start_embedded
start_embedded(Path(sys.argv[1]))
print((Path(sys.argv[1]) / "pgdata" / "postmaster.pid").read_text().split()[0], flush=True)
time.sleep(float(sys.argv[2]))
"""


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(HUB_DATA_DIR=str(data_dir), **extra)
    return env


def _postmaster_running(data_dir: Path) -> bool:
    return (data_dir / "pgdata" / "postmaster.pid").exists()


def _wait_until(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_two_processes_share_one_server_and_the_last_stops_it(tmp_path):
    def start(hold_seconds: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-c", SHARE, str(tmp_path), hold_seconds], stdout=subprocess.PIPE, text=True
        )

    with start("4") as first, start("1") as second:
        pids = {first.stdout.readline().strip(), second.stdout.readline().strip()}
        assert len(pids) == 1, f"two servers were started: {pids}"
        assert second.wait(30) == 0
        assert _postmaster_running(tmp_path)  # the first process still holds it
        assert first.wait(30) == 0
    assert _wait_until(lambda: not _postmaster_running(tmp_path))


def test_a_killed_holder_does_not_keep_the_server_alive_forever(tmp_path):
    with subprocess.Popen(
        [sys.executable, "-c", SHARE, str(tmp_path), "60"], stdout=subprocess.PIPE, text=True
    ) as held:
        held.stdout.readline()
        held.kill()  # no chance to let go
    assert _postmaster_running(tmp_path)
    with subprocess.Popen(
        [sys.executable, "-c", SHARE, str(tmp_path), "0"], stdout=subprocess.PIPE, text=True
    ) as next_one:
        next_one.stdout.readline()
        assert next_one.wait(30) == 0
    assert _wait_until(lambda: not _postmaster_running(tmp_path))


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_serve_demo_prints_a_token_that_answers_viewer(tmp_path, stop_signal):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "hub", "serve", "--demo", "--port", str(port)],
        env=_env(tmp_path, HUB_PUBLIC_URL=url),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    with process:
        _check_demo_server(process, url, stop_signal)
    assert process.returncode == 0
    assert _wait_until(lambda: not _postmaster_running(tmp_path))


def _check_demo_server(process: subprocess.Popen, url: str, stop_signal: int) -> None:
    try:
        lines: list[str] = []
        for line in process.stdout:
            lines.append(line)
            if "A fresh token:" in line:
                break
        output = "".join(lines)
        assert f"RJ Partner Hub: {url}/graphql" in output, output
        token = next(lines[i + 1].strip() for i, line in enumerate(lines) if "access token (valid 15 minutes)" in line)
        assert _wait_until(lambda: _get(f"{url}/healthz") == 200)
        assert _get(f"{url}/readyz") == 200
        response = httpx.post(
            f"{url}/graphql",
            json={"query": "{ viewer { roles agency { kind } } referrals(first: 100) { edges { node { stage } } } }"},
            headers={"Authorization": f"Bearer {token}"},
        )
        data = response.json()["data"]
        assert data["viewer"] == {"roles": ["MANAGER"], "agency": {"kind": "RJ_SERVICE"}}
        assert len(data["referrals"]["edges"]) >= 50
    finally:
        process.send_signal(stop_signal)
        process.wait(30)


def _get(url: str) -> int | None:
    try:
        return httpx.get(url, timeout=2).status_code
    except httpx.HTTPError:
        return None
