"""The hub's own HTML pages: the sign-in form of the authorization endpoint, and its error page.

Plain HTML with no script; every value is escaped; the pages may not be framed (clickjacking) and are never cached.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from html import escape

from starlette.responses import HTMLResponse

STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}"
    "h1{font-size:1.4rem}label{display:block;margin-top:1rem;font-weight:600}"
    "input[type=email],input[type=password]{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}"
    "button{margin-top:1.5rem;padding:.6rem 1.2rem;font-size:1rem}"
    ".alert{border-left:4px solid #b00020;padding:.5rem 1rem;background:#fdecee}"
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def _page(title: str, body: str, status: int) -> HTMLResponse:
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · RJ Partner Hub</title><style>{STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def _hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'


def sign_in_page(
    portal: str, parameters: Mapping[str, str], csrf_token: str, message: str | None = None
) -> HTMLResponse:
    """The sign-in form; it posts the authorization request back with the email, password and CSRF token."""
    alert = f'<p class="alert" role="alert">{escape(message)}</p>' if message else ""
    hidden = "".join(_hidden(k, v) for k, v in parameters.items()) + _hidden("csrf_token", csrf_token)
    body = (
        f"<h1>Sign in</h1><p>{escape(portal)} asks you to sign in to the RJ Partner Hub.</p>{alert}"
        f'<form method="post" action="/oauth/authorize">{hidden}'
        '<label for="email">Email address</label>'
        '<input id="email" name="email" type="email" autocomplete="username" required>'
        '<label for="password">Password</label>'
        '<input id="password" name="password" type="password" autocomplete="current-password" required>'
        '<button type="submit">Sign in</button></form>'
    )
    return _page("Sign in", body, 200)


def error_page(message: str, status: int = 400) -> HTMLResponse:
    """A request the hub cannot send back to the portal (unknown client, unregistered redirect URI, ...)."""
    body = (
        f'<h1>This sign-in link cannot be used</h1><p class="alert" role="alert">{escape(message)}</p>'
        "<p>Go back to the application you came from and start again.</p>"
    )
    return _page("Cannot sign in", body, status)
