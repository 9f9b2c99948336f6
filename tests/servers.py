"""Running `hub serve` as a process of its own, for tests that need a real server (several, or a real socket)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_healthy(base: str, process: subprocess.Popen) -> None:
    """Wait until /healthz answers; fail at once if the process stops, or after 30 s."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "the hub stopped while starting"
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("the hub did not start within 30 s")


@contextmanager
def serving(url: str, *options: str, **env: str) -> Iterator[str]:
    """`hub serve [options]` on the database at url, with HUB_* settings in env; its base URL while it runs."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environment = {**os.environ, "DATABASE_URL": url, "HUB_ENV": "development", "HUB_LOG_LEVEL": "WARNING", **env}
    process = subprocess.Popen([sys.executable, "-m", "hub", "serve", *options, "--port", str(port)], env=environment)
    try:
        wait_until_healthy(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
