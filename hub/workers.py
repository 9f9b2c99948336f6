"""`hub serve --workers N`: N processes, each listening on a socket of its own bound to the same address.

uvicorn's own supervisor shares one listening socket between its workers, and a worker's event loop accepts every
connection waiting when it wakes. A burst of new keep-alive connections (a proxy's pool, a partner's client, a load
test) then tends to land on one worker, which does all the work while the others idle: the benchmark saw 14 of 16
connections on one of two workers, and half the machine unused. Here every worker binds its own socket with
SO_REUSEPORT, and the kernel spreads new connections across them.

The supervisor starts the workers, starts another when one dies, stops them on SIGINT or SIGTERM, and gives up
(exit 1) if workers keep dying as they start, rather than restarting them for ever.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import threading
import time
from typing import Any

log = logging.getLogger(__name__)

STARTUP_SECONDS = 15  # a worker that dies sooner after its start failed to start
STARTUP_FAILURES = 3  # this many failed starts in a row: the supervisor gives up
STOP_SECONDS = 30  # how long stopping workers get to finish their requests before they are killed


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port) that other workers' sockets may share (SO_REUSEPORT)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def serve_one(app: str, host: str, port: int, options: dict[str, Any]) -> None:
    """A worker: uvicorn serving the app factory `app` on a socket of its own."""
    import uvicorn

    sock = listening_socket(host, port)
    uvicorn.Server(uvicorn.Config(app, factory=True, **options)).run(sockets=[sock])


class WorkersFailed(Exception):
    """Workers kept dying as they started."""


def supervise(app: str, workers: int, host: str, port: int, options: dict[str, Any]) -> None:
    """Run `workers` processes serving `app` on (host, port) until SIGINT or SIGTERM."""
    listening_socket(host, port).close()  # the address is free (or shared with SO_REUSEPORT): fail here if not
    context = multiprocessing.get_context("spawn")
    stop = threading.Event()

    def start() -> tuple[Any, float]:
        process = context.Process(target=serve_one, args=(app, host, port, options), name="hub-worker")
        process.start()
        return process, time.monotonic()

    previous = {sig: signal.signal(sig, lambda signum, frame: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    running = [start() for _ in range(workers)]
    failures = 0
    try:
        while not stop.wait(0.5):
            for index, (process, started) in enumerate(running):
                if process.is_alive():
                    continue
                quick = time.monotonic() - started < STARTUP_SECONDS
                failures = failures + 1 if quick else 0
                log.warning("worker %s exited with code %s", process.pid, process.exitcode)
                if failures >= STARTUP_FAILURES:
                    raise WorkersFailed(f"{failures} workers in a row died as they started: see the log above")
                running[index] = start()
    finally:
        for process, _ in running:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests in flight, then exits
        deadline = time.monotonic() + STOP_SECONDS
        for process, _ in running:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
