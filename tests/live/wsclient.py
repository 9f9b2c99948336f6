"""A small graphql-transport-ws client over a real WebSocket, for the live-update tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

PROTOCOL = "graphql-transport-ws"
WAIT = 10.0

STAGE_CHANGED = """
subscription Changes($referralId: ID) {
  referralStageChanged(referralId: $referralId) { from to at referral { reference stage version } }
}
"""


class Socket:
    """One WebSocket speaking graphql-transport-ws."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def receive(self) -> dict[str, Any]:
        """The next message (failing after WAIT seconds)."""
        return dict(json.loads(await asyncio.wait_for(self.connection.recv(), WAIT)))

    async def init(self, token: str | None, key: str = "Authorization") -> dict[str, Any]:
        """Send connection_init (with the bearer token, if any); the server's answer."""
        await self.send({"type": "connection_init", "payload": {key: f"Bearer {token}"} if token else {}})
        return await self.receive()

    async def subscribe(self, operation_id: str, query: str = STAGE_CHANGED, **variables: Any) -> None:
        await self.send({"id": operation_id, "type": "subscribe", "payload": {"query": query, "variables": variables}})

    async def closed(self) -> tuple[int | None, str]:
        """Wait until the server closes the socket; its close code and reason."""
        try:
            while True:
                await asyncio.wait_for(self.connection.recv(), WAIT)
        except ConnectionClosed as closing:
            frame = closing.rcvd
            return (frame.code, frame.reason) if frame is not None else (None, "")


@asynccontextmanager
async def opened(base: str, subprotocol: str = PROTOCOL) -> AsyncIterator[Socket]:
    """A WebSocket to the hub's /graphql at base (http://host:port)."""
    url = base.replace("http://", "ws://") + "/graphql"
    async with connect(url, subprotocols=[subprotocol], open_timeout=WAIT) as connection:  # type: ignore[list-item]
        yield Socket(connection)


@asynccontextmanager
async def acknowledged(base: str, token: str) -> AsyncIterator[Socket]:
    """A WebSocket whose connection_init the hub accepted."""
    async with opened(base) as socket:
        assert await socket.init(token) == {"type": "connection_ack"}
        yield socket
