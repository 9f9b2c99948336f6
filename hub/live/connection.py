"""The GraphQL WebSocket (graphql-transport-ws only): who a connection acts for, until when, and its limits.

- The connection acts for the principal of the access token in connection_init's payload
  (`{"Authorization": "Bearer <token>"}`; `authorization` works too). No valid token: closed with 4403.
  A `subscribe` before the connection is acknowledged is closed with 4401 (Strawberry's handler).
- No connection_init within HUB_WS_INIT_TIMEOUT seconds: closed with 4408.
- When the token expires the socket is closed with 4403: the client connects again with a fresh token (graphql-ws
  clients retry on 4403 by themselves, calling connectionParams again).
- At most MAX_SUBSCRIPTIONS run on one connection; one more is refused with an `error` message (RATE_LIMITED)
  for its id, and the others keep running.
- Only subscriptions run here, and only here: queries and mutations go over HTTP. Each operation acts on a
  Context of its own.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.types.graphql import OperationType

from hub.api import faults
from hub.api.context import Context
from hub.api.errors import ErrorCode, ProtocolError, bad_input
from hub.auth.principal import Principal
from hub.auth.tokens import InvalidToken, issued_claims
from hub.live.listener import StageChangeListener

if TYPE_CHECKING:
    from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage, SubscribeMessage

    from hub.app import Hub

MAX_SUBSCRIPTIONS = 100
FORBIDDEN = 4403
TRY_AGAIN_LATER = 1013
MAX_REASON_BYTES = 123  # what a WebSocket close frame can carry
EXPIRED = "Forbidden: the access token expired; connect again with a fresh one."
OVER_HTTP = "Only subscriptions run over the WebSocket; send queries and mutations over HTTP (POST /graphql)."
OVER_WEBSOCKET = "Subscriptions run over the WebSocket at /graphql (graphql-transport-ws), not over HTTP."


class Refused(Exception):
    """connection_init cannot be accepted: the socket closes with this code and reason."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason.encode()[:MAX_REASON_BYTES].decode(errors="ignore")


@dataclass
class LiveContext(Context):
    """The Context of one operation on the WebSocket; each event of a subscription is read as a request of its own."""

    listener: StageChangeListener | None = None

    async def end_event(self) -> None:
        """Close this event's unit of work (recording its restricted reads) and start the next one afresh."""
        await self.finish(commit=False)
        self.restricted_reads = {}
        self.request_id = uuid.uuid4().hex
        self.__dict__.pop("loaders", None)  # dataloaders cache per event, never across events

    def name_reads(self, operation: str) -> None:
        """The audit trail names this operation's reads after it."""
        self._operations.append(operation)


@dataclass
class LiveConnection:
    """One WebSocket connection: who it acts for once connection_init is accepted, and until when."""

    hub: Hub
    source_address: str | None
    connection_params: dict[str, Any] = field(default_factory=dict)  # set by Strawberry from connection_init
    principal: Principal | None = None
    expires_at: float = 0.0

    def authorization(self) -> str | None:
        value = self.connection_params.get("Authorization", self.connection_params.get("authorization"))
        return value if isinstance(value, str) else None

    async def admit(self) -> None:
        """Authenticate from connection_init (Refused otherwise) and remember when the token expires."""
        authorization = self.authorization()
        try:
            self.principal = await self.hub.authenticator.principal(authorization)
        except InvalidToken as error:
            raise Refused(FORBIDDEN, f"Forbidden: {error}") from None
        except Exception as error:
            if not faults.is_unavailable(error):
                raise
            raise Refused(TRY_AGAIN_LATER, faults.MESSAGE) from None
        assert authorization is not None  # the principal came from it
        # The token was verified just above; its claims are read again only for the expiry.
        self.expires_at = float(issued_claims(authorization.strip().partition(" ")[2].strip())["exp"])

    def operation_context(self) -> LiveContext:
        assert self.principal is not None  # Strawberry runs no operation before the connection is acknowledged
        hub = self.hub
        return LiveContext(
            principal=self.principal,
            database=hub.database,
            settings=hub.settings,
            source_address=self.source_address,
            listener=hub.listener,
        )


class WebSocketOperations(SchemaExtension):
    """Gives each WebSocket operation a Context of its own for the connection's principal; runs subscriptions over
    the WebSocket only, and nothing else there."""

    def on_operation(self) -> Iterator[None]:
        connection = self.execution_context.context
        if isinstance(connection, LiveConnection):
            self.execution_context.context = connection.operation_context()
        yield

    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        over_websocket = isinstance(execution.context, LiveContext)
        if over_websocket != (execution.operation_type is OperationType.SUBSCRIPTION):
            refusal = bad_input(OVER_HTTP if over_websocket else OVER_WEBSOCKET)
            execution.result = GraphQLExecutionResult(data=None, errors=[refusal])  # so nothing runs
        yield


class LiveHandler(BaseGraphQLTransportWSHandler[LiveConnection, None]):
    """Strawberry's graphql-transport-ws handler with the hub's authentication, token expiry and subscription limit."""

    expiry: asyncio.Task[None] | None = None

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        try:
            await super().handle_connection_init(message)
        except Refused as refusal:
            await self.websocket.close(code=refusal.code, reason=refusal.reason)
            return
        if self.connection_acknowledged and self.expiry is None:
            self.expiry = asyncio.create_task(self.close_at_expiry())

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if self.connection_acknowledged and message["id"] not in self.operations:
            if len(self.operations) >= MAX_SUBSCRIPTIONS:
                await self.send_message({"id": message["id"], "type": "error", "payload": [too_many().formatted]})
                return
        await super().handle_subscribe(message)

    async def close_at_expiry(self) -> None:
        await asyncio.sleep(max(0.0, self.context.expires_at - time.time()))
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)
        await self.websocket.close(code=FORBIDDEN, reason=EXPIRED)

    async def shutdown(self) -> None:
        if self.expiry is not None:
            self.expiry.cancel()
            with suppress(asyncio.CancelledError, Exception):  # the socket is going away either way
                await self.expiry
        await super().shutdown()


def too_many() -> ProtocolError:
    return ProtocolError(
        ErrorCode.RATE_LIMITED,
        f"At most {MAX_SUBSCRIPTIONS} subscriptions may run on one connection: complete one before starting another.",
    )
