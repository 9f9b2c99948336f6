"""Security headers on every response, and CORS for the portal origins allowed (HUB_CORS_ORIGINS).

Browsers may call the API only from the origins listed; credentials (cookies) are never allowed cross-origin,
as the API reads bearer tokens only. In production every response asks browsers to use HTTPS
(Strict-Transport-Security).
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.config import Settings

HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeaders:
    """Adds the headers every response of the hub carries (pages may set stricter ones of their own)."""

    def __init__(self, app: ASGIApp, *, production: bool) -> None:
        self.app = app
        self.headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
        ]
        if production:
            self.headers.append((b"strict-transport-security", HSTS.encode()))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in self.headers if name not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)


def middleware(settings: Settings) -> list[Middleware]:
    """CORS for the allowed portal origins (none by default), then the security headers."""
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            allow_credentials=False,
            max_age=600,
        ),
        Middleware(SecurityHeaders, production=settings.is_production),
    ]
