"""Sending one attempt: sign with Standard Webhooks, POST to the checked address, and say what came back.

No redirect is followed, no proxy from the environment is used, and no connection is reused (a pooled connection
to one address must never carry another host's request). Nothing here logs: bodies and answers may hold
personal data.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
from standardwebhooks.webhooks import Webhook

from hub.webhooks.models import ERROR_MAX_LENGTH, EXCERPT_MAX_LENGTH
from hub.webhooks.ssrf import RefusedUrl, UrlPolicy, target

SECRET_BYTES = 32
USER_AGENT = "RJ-Partner-Hub-Webhooks/1.0"
# Retry-After is honoured up to this long; a longer wait is cut to it.
MAX_RETRY_AFTER = timedelta(hours=24)


def new_secret() -> str:
    """A fresh Standard Webhooks signing secret: whsec_ and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signature(signing_secrets: Sequence[str], webhook_id: str, at: datetime, body: str) -> str:
    """The webhook-signature header: one v1 signature per secret in force (two for a day after a rotation)."""
    return " ".join(Webhook(secret).sign(webhook_id, at, body) for secret in signing_secrets)


def headers(signing_secrets: Sequence[str], webhook_id: str, body: str) -> dict[str, str]:
    """The headers of one attempt, signed now (a receiver checks the timestamp is within five minutes)."""
    at = datetime.now(UTC).replace(microsecond=0)
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature(signing_secrets, webhook_id, at, body),
    }


@dataclass(frozen=True)
class AttemptResult:
    """What one attempt found out."""

    status_code: int | None
    duration_ms: int
    error: str | None = None
    excerpt: str | None = None
    retry_after: timedelta | None = None
    # Whether the request may have reached the endpoint: then its data was disclosed.
    sent: bool = True

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def new_client() -> httpx.AsyncClient:
    """The HTTP client a worker sends with."""
    return httpx.AsyncClient(follow_redirects=False, trust_env=False, limits=httpx.Limits(max_keepalive_connections=0))


@dataclass(frozen=True)
class Message:
    """One delivery as it goes out."""

    url: str
    webhook_id: str
    body: str
    signing_secrets: Sequence[str]


async def post(client: httpx.AsyncClient, message: Message, policy: UrlPolicy, seconds: float) -> AttemptResult:
    """Resolve and check the endpoint, then POST the signed body to the checked address, all within `seconds`."""
    started = time.monotonic()
    try:
        async with asyncio.timeout(seconds):
            return await _post(client, message, policy, seconds, started)
    except RefusedUrl as refused:
        return _failed(started, f"Not sent: {refused}", sent=False)
    except (httpx.ConnectError, httpx.ConnectTimeout) as error:
        return _failed(started, f"Could not connect: {_describe(error)}", sent=False)
    except (TimeoutError, httpx.TimeoutException):
        return _failed(started, f"No complete answer within {seconds:g} s.")
    except httpx.HTTPError as error:
        return _failed(started, f"The exchange failed: {_describe(error)}")


async def _post(
    client: httpx.AsyncClient, message: Message, policy: UrlPolicy, seconds: float, started: float
) -> AttemptResult:
    where = await target(message.url, policy)
    sent_headers = headers(message.signing_secrets, message.webhook_id, message.body) | {"host": where.host_header}
    extensions = {"sni_hostname": where.sni_hostname} if where.sni_hostname else {}
    request = client.build_request(
        "POST", where.url, content=message.body.encode(), headers=sent_headers, timeout=seconds, extensions=extensions
    )
    response = await client.send(request, stream=True)
    try:
        excerpt = await _excerpt(response)
    finally:
        await response.aclose()
    return AttemptResult(
        status_code=response.status_code,
        duration_ms=_elapsed(started),
        excerpt=excerpt,
        retry_after=_retry_after(response) if response.status_code in (429, 503) else None,
    )


async def _excerpt(response: httpx.Response) -> str | None:
    """The first kilobyte of the answer, as text (PostgreSQL text holds no NUL)."""
    received = b""
    async for chunk in response.aiter_bytes():
        received += chunk
        if len(received) >= EXCERPT_MAX_LENGTH:
            break
    text = received.decode("utf-8", errors="replace").replace("\x00", "")[:EXCERPT_MAX_LENGTH]
    return text or None


def _retry_after(response: httpx.Response) -> timedelta | None:
    """The wait a 429 or 503 asks for (seconds or an HTTP date), at most a day; None when it asks for none."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        wait = timedelta(seconds=max(0.0, float(value)))
    except ValueError:
        try:
            wait = max(timedelta(0), parsedate_to_datetime(value) - datetime.now(UTC))
        except (TypeError, ValueError, IndexError):
            return None
    return min(wait, MAX_RETRY_AFTER)


def _elapsed(started: float) -> int:
    return max(0, round((time.monotonic() - started) * 1000))


def _failed(started: float, error: str, *, sent: bool = True) -> AttemptResult:
    return AttemptResult(status_code=None, duration_ms=_elapsed(started), error=error[:ERROR_MAX_LENGTH], sent=sent)


def _describe(error: Exception) -> str:
    return str(error) or type(error).__name__
