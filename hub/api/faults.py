"""When the database is down, saturated or too slow, callers get HTTP 503 with Retry-After, quickly.

The pool waits POOL_WAIT_SECONDS for a connection and a new connection CONNECT_TIMEOUT_SECONDS (hub/db.py);
a statement is cancelled after HUB_DB_STATEMENT_TIMEOUT_MS. Each of those surfaces as one of the errors below,
which the GraphQL layer and the bearer check turn into 503 instead of an unexpected error. A dropped connection
makes SQLAlchemy invalidate the whole pool, so the hub recovers by itself when the database returns.
"""

from __future__ import annotations

import asyncio

import asyncpg
from sqlalchemy import exc as sa_exc
from starlette.responses import JSONResponse

from hub.api.errors import ErrorCode

RETRY_AFTER_SECONDS = 5
MESSAGE = "The service is temporarily unavailable; try again shortly."

_UNAVAILABLE = (
    sa_exc.OperationalError,  # a connection failed or dropped
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,  # the pool had no connection to give in time
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.QueryCanceledError,  # the statement timeout
    asyncpg.InterfaceError,
    OSError,  # refused, reset, or the socket file gone (a local server stopped)
    TimeoutError,
    asyncio.TimeoutError,
)


def is_unavailable(error: BaseException | None) -> bool:
    """Whether the error, or anything it was raised from, says the database cannot serve now."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, _UNAVAILABLE):
            return True
        if isinstance(error, sa_exc.DBAPIError) and isinstance(error.orig, BaseException):
            error = error.orig
        else:
            error = error.__cause__ or error.__context__
        seen += 1
    return False


def unavailable() -> JSONResponse:
    body = {"errors": [{"message": MESSAGE, "extensions": {"code": ErrorCode.INTERNAL.value}}]}
    return JSONResponse(body, status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
