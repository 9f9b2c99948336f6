"""What the GraphQL endpoint refuses at the HTTP level, before parsing or authentication.

- Bodies over MAX_BODY_BYTES: 413, counted while reading (a missing or false Content-Length does not help).
- POST bodies that are not JSON: form-encoded, multipart and text/plain requests are what a browser sends
  cross-site without a preflight, so refusing them closes the CSRF door (415).
- Batched operations (a JSON array of operations): 400. One operation per request keeps the limits meaningful.
- Text holding the NUL character (escaped as \\u0000 in JSON or GraphQL): 400. PostgreSQL cannot store it, and
  no name, reference or note needs it.
Mutations over GET are refused by Strawberry itself.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.api.errors import ErrorCode

MAX_BODY_BYTES = 1_000_000
JSON_TYPES = ("application/json", "application/graphql-response+json")


class TooLarge(Exception):
    """The body went over the limit while it was read."""


def refusal(status: int, code: ErrorCode, message: str) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code.value}}]}, status_code=status)


class GraphQLRequestGuard:
    """Wraps the GraphQL endpoint: size, content type and batching are checked before anything else."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] != "POST":
            query = unquote_to_bytes(scope.get("query_string", b"").replace(b"+", b" "))
            response = nul_refusal() if has_nul(query) else None
            await (response or self.app)(scope, receive, send)
            return
        response = self.check_headers(scope)
        if response is None:
            try:
                body = await read_body(receive)
            except TooLarge:
                response = too_large()
            else:
                response = self.check_body(body)
                if response is None:
                    await self.app(scope, replay(body), send)
                    return
        await response(scope, receive, send)

    @staticmethod
    def check_headers(scope: Scope) -> JSONResponse | None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        media_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type not in JSON_TYPES:
            return refusal(
                415,
                ErrorCode.BAD_USER_INPUT,
                "Send GraphQL requests as application/json; form-encoded, multipart and text/plain bodies are refused.",
            )
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_BODY_BYTES:
            return too_large()
        return None

    @staticmethod
    def check_body(body: bytes) -> JSONResponse | None:
        if has_nul(body):
            return nul_refusal()
        if body.lstrip()[:1] == b"[":
            return refusal(
                400, ErrorCode.BAD_USER_INPUT, "Batched operations are not accepted: send one operation per request."
            )
        return None


def has_nul(raw: bytes) -> bool:
    return b"\x00" in raw or b"\\u0000" in raw


def nul_refusal() -> JSONResponse:
    return refusal(400, ErrorCode.BAD_USER_INPUT, "Text may not contain the NUL character (\\u0000).")


def too_large() -> JSONResponse:
    return refusal(413, ErrorCode.BAD_USER_INPUT, f"The request body is over {MAX_BODY_BYTES} bytes.")


async def read_body(receive: Receive) -> bytes:
    """The whole body, refusing to hold more than the limit."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay(body: bytes) -> Receive:
    """A receive channel that gives the body already read, then waits like the real one would."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive
