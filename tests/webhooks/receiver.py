"""A real HTTP endpoint on loopback that records every webhook it gets and answers as a test tells it to."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    """One request as the endpoint saw it."""

    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> dict[str, Any]:
        return dict(json.loads(self.body))

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def reference(self) -> str:
        return str(self.payload["data"]["reference"])


@dataclass(frozen=True)
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b'{"ok": true}'
    # Hold the answer until this is set (or `hold_seconds` pass): a hanging endpoint.
    hold: threading.Event | None = None
    hold_seconds: float = 30.0


class Receiver:
    """Records requests; `answer` decides each reply (200 by default)."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.answer: Callable[[Received], Reply] = lambda request: Reply()
        self.arrived = threading.Event()
        self._lock = threading.Lock()
        self.url = ""

    def take(self, request: Received) -> Reply:
        with self._lock:
            self.requests.append(request)
        self.arrived.set()
        return self.answer(request)

    @property
    def payloads(self) -> list[dict[str, Any]]:
        return [r.payload for r in self.requests]

    def fail_first(self, count: int, status: int = 503, headers: dict[str, str] | None = None) -> None:
        """Answer `status` to the next `count` requests, then 200."""
        remaining = [count]

        def answer(request: Received) -> Reply:
            if remaining[0] > 0:
                remaining[0] -= 1
                return Reply(status, headers or {}, b"down for maintenance")
            return Reply()

        self.answer = answer


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            reply = receiver.take(Received({k.lower(): v for k, v in self.headers.items()}, body))
            if reply.hold is not None:
                reply.hold.wait(reply.hold_seconds)
            try:
                self._reply(reply)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender gave up waiting (timed out, or was killed)

        def _reply(self, reply: Reply) -> None:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    """A receiver listening on 127.0.0.1 at a free port, for the duration of the block."""
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/rj"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
