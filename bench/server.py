"""The two servers under test, each one process with one worker: `python -m hub serve` in production mode, and
the bare app under uvicorn (same event loop and HTTP parser: uvloop and httptools)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench import BARE_APPLICATION_NAME

ROOT = Path(__file__).resolve().parent.parent
HUB_APPLICATION_NAME = "rj-partner-hub"  # what hub.db names its connections
READY_TIMEOUT = 90.0


@dataclass
class Server:
    side: str
    process: subprocess.Popen
    port: int
    log: Path
    application_name: str
    ready_path: str

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603


def _hub_serve_options(workers: int) -> list[str]:
    """`--no-worker` where `hub serve` has it (the benchmark measures the API, not webhook delivery), and
    `--workers` where it has that (older versions serve in one process)."""
    command = [sys.executable, "-m", "hub", "serve", "--help"]
    shown = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)  # noqa: S603
    options = ["--no-worker"] if "--no-worker" in shown.stdout else []
    if "--workers" in shown.stdout:
        options += ["--workers", str(workers)]
    elif workers > 1:
        raise RuntimeError("this version of `hub serve` has no --workers: run the benchmark with --workers 1")
    return options


def start_hub(database_url: str, log_dir: Path, workers: int = 1) -> Server:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "HUB_ENV": "production",
        "HUB_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "HUB_ACCESS_TOKEN_TTL": "3600",
        "HUB_LOG_LEVEL": "WARNING",
        # The benchmark measures throughput: no client may be held back by the rate limit (its cost still counts).
        "HUB_RATE_LIMIT_PER_MINUTE": "10000000",
    }
    command = [sys.executable, "-m", "hub", "serve", "--host", "127.0.0.1", "--port", str(port)]
    log = log_dir / "hub.log"
    process = _spawn(command + _hub_serve_options(workers), env, log)
    return Server("hub", process, port, log, HUB_APPLICATION_NAME, "/readyz")


def start_bare(database_url: str, log_dir: Path, workers: int = 1) -> Server:
    port = free_port()
    env = {**os.environ, "BENCH_DATABASE_URL": database_url, "BENCH_POOL_SIZE": "10"}
    command = [sys.executable, "-m", "uvicorn", "bench.bare:create_app", "--factory", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--no-access-log", "--log-level", "warning", "--workers", str(workers)]
    log = log_dir / "bare.log"
    return Server("bare", _spawn(command, env, log), port, log, BARE_APPLICATION_NAME, "/healthz")


def wait_ready(server: Server) -> None:
    """Wait until the server answers its readiness check; raise with its log if it exits or never does."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the {server.side} server exited ({server.process.returncode}):\n{server.log_tail()}")
        try:
            if httpx.get(server.base_url + server.ready_path, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the {server.side} server was not ready in {READY_TIMEOUT:.0f}s:\n{server.log_tail()}")


def stop(server: Server) -> None:
    if server.process.poll() is not None:
        return
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(5)
