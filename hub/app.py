"""create_app(): the routes, the GraphQL endpoint behind bearer authentication, and the lifespan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from hub.api import faults, headers
from hub.api.context import Context
from hub.api.errors import ErrorCode
from hub.api.guard import GraphQLRequestGuard
from hub.api.schema import build_schema
from hub.auth.authorize import sign_in_form, sign_in_submitted
from hub.auth.bearer import Authenticator, challenge, refusal_message
from hub.auth.endpoints import introspection_endpoint, revocation_endpoint, token_endpoint
from hub.auth.keys import KeyRing, open_keyring
from hub.auth.server import jwks_endpoint, metadata_endpoint
from hub.auth.tokens import InvalidToken
from hub.config import Settings
from hub.db import Database, DatabaseError, check_schema_current
from hub.live.connection import LiveConnection, LiveHandler
from hub.live.listener import StageChangeListener, listener_for

log = logging.getLogger(__name__)
READY_TIMEOUT_SECONDS = 5


@dataclass
class Hub:
    """What the running app shares between requests."""

    settings: Settings
    database: Database
    authenticator: Authenticator
    listener: StageChangeListener

    @property
    def keyring(self) -> KeyRing:
        return self.authenticator.keyring

    async def refresh_keys(self) -> None:
        await self.authenticator.refresh_keys()


class HubGraphQL(GraphQL[Any, None]):
    """Strawberry's ASGI app with the hub's typed context (the principal was set by BearerAuth, or for a WebSocket
    by connection_init: see hub/live/connection.py)."""

    graphql_transport_ws_handler_class = LiveHandler

    def encode_json(self, data: object) -> bytes:
        """Responses through orjson: several times faster than the json module on a page of referrals."""
        return orjson.dumps(data)

    async def process_result(self, request: Any, result: Any) -> Any:
        """A token refused before anything ran reads as BearerAuth's own 401: errors only, no data."""
        processed = await super().process_result(request, result)
        if processed.get("data") is None and any(_code(e) == ErrorCode.UNAUTHENTICATED for e in result.errors or ()):
            processed.pop("data", None)
        return processed

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)  # its JSONDecodeError is json's: Strawberry answers 400 as before

    async def get_context(self, request: Any, response: Any = None) -> Context | LiveConnection:
        hub: Hub = request.app.state.hub
        if isinstance(request, WebSocket):
            return LiveConnection(hub, request.client.host if request.client else None)
        principal = request.scope.get("hub.principal")
        if principal is None:
            raise PermissionError("no principal")  # BearerAuth lets no such request through
        source = request.client.host if request.client else None
        context = Context(
            principal=principal,
            database=hub.database,
            settings=hub.settings,
            source_address=source,
            http_response=response,
        )
        if response is not None:
            response.headers["X-Request-Id"] = context.request_id
        return context

    async def on_ws_connect(self, context: Any) -> Any:
        await context.admit()  # refuses (closing the socket) without a valid token
        return await super().on_ws_connect(context)


def unauthenticated(error: InvalidToken) -> Response:
    body = {"errors": [{"message": refusal_message(error), "extensions": {"code": ErrorCode.UNAUTHENTICATED}}]}
    return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": challenge(error)})


def _code(error: Any) -> str | None:
    return (getattr(error, "extensions", None) or {}).get("code")


class BearerAuth:
    """Every GraphQL request acts for a principal: no valid token, no GraphQL (HTTP 401)."""

    def __init__(self, app: GraphQL, *, ide: bool) -> None:
        self.app = app
        self.ide = ide

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            if self.ide and request.method == "GET" and "text/html" in request.headers.get("accept", ""):
                # The IDE page holds no data; its queries come back through here with a token.
                await (await self.app.render_graphql_ide(request))(scope, receive, send)
                return
            hub: Hub = request.app.state.hub
            try:
                # Whether the token is still in force is asked with the rate limit, before anything runs (QueryLimits).
                scope["hub.principal"] = await hub.authenticator.decode(request.headers.get("authorization"))
            except InvalidToken as error:
                await unauthenticated(error)(scope, receive, send)
                return
            except Exception as error:
                if not faults.is_unavailable(error):
                    raise
                await faults.unavailable()(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    hub: Hub = request.app.state.hub
    try:
        await asyncio.wait_for(check_schema_current(hub.database), timeout=READY_TIMEOUT_SECONDS)
    except DatabaseError as error:
        return JSONResponse({"status": "unavailable", "reason": str(error)}, status_code=503)
    except Exception:  # the database is unreachable; the reason is in the log
        log.warning("readiness check: database unreachable", exc_info=True)
        return JSONResponse({"status": "unavailable", "reason": "the database is unreachable"}, status_code=503)
    return JSONResponse({"status": "ready"})


def create_app(settings: Settings, database_url: str | None = None, database: Database | None = None) -> Starlette:
    """The hub's ASGI app on an already-migrated database: at database_url, or the Database given (tests)."""
    schema = build_schema(production=settings.is_production)
    ide = not settings.is_production
    graphql = HubGraphQL(
        schema,
        graphql_ide="graphiql" if ide else None,
        allow_queries_via_get=True,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),  # not the legacy graphql-ws
        connection_init_wait_timeout=timedelta(seconds=settings.ws_init_timeout),
        max_subscriptions_per_connection=None,  # LiveHandler counts them, answering with a code
        allowed_origins=settings.cors_origins,  # browsers' pages: the portal origins CORS allows (hub/api/headers.py)
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        owned = database is None
        if database is None and database_url is None:
            raise ValueError("create_app needs a database_url or a Database")
        db = database or Database.connect(str(database_url), settings)
        keyring = await open_keyring(db, settings.access_token_ttl)
        listener = listener_for(db.engine.url.render_as_string(hide_password=False))
        app.state.hub = Hub(settings, db, Authenticator(settings, db, keyring), listener)
        try:
            yield
        finally:
            await listener.stop()
            if owned:
                await db.dispose()

    routes = [
        Route("/graphql", GraphQLRequestGuard(BearerAuth(graphql, ide=ide)), methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),  # authenticated by connection_init (LiveHandler)
        Route("/oauth/authorize", sign_in_form, methods=["GET"]),
        Route("/oauth/authorize", sign_in_submitted, methods=["POST"]),
        Route("/oauth/token", token_endpoint, methods=["POST"]),
        Route("/oauth/revoke", revocation_endpoint, methods=["POST"]),
        Route("/oauth/introspect", introspection_endpoint, methods=["POST"]),
        Route("/oauth/jwks", jwks_endpoint, methods=["GET"]),
        Route("/.well-known/oauth-authorization-server", metadata_endpoint, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan, middleware=headers.middleware(settings))
