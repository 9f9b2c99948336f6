"""Security headers on every response; CORS only for the portal origins configured, never with credentials."""

from __future__ import annotations

import httpx
import pytest

from hub.app import create_app
from hub.config import ConfigError, Environment, Settings, load_settings
from tests.conftest import PUBLIC_URL


async def test_every_response_carries_the_security_headers(http):
    response = await http.get("/healthz")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "strict-transport-security" not in response.headers  # development


async def client_for(settings: Settings, database):
    app = create_app(settings, database=database)
    return app, httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL)


async def test_production_asks_for_https_and_cors_allows_only_the_listed_portals(settings, database):
    production = settings.model_copy(
        update={
            "env": Environment.PRODUCTION,
            "public_url": "https://hub.example.org",
            "cors_origins": ("https://portal.example.org",),
        }
    )
    app, http = await client_for(production, database)
    async with app.router.lifespan_context(app), http:
        assert (await http.get("/healthz")).headers["strict-transport-security"].startswith("max-age=")
        ask = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}
        allowed = await http.options("/graphql", headers={"Origin": "https://portal.example.org", **ask})
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://portal.example.org"
        assert "access-control-allow-credentials" not in allowed.headers
        refused = await http.options("/graphql", headers={"Origin": "https://evil.example.com", **ask})
        assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers


@pytest.mark.parametrize("origins", ["*", "https://*.example.org", "portal.example.org", "http://portal.example.org"])
def test_a_wildcard_or_a_malformed_origin_is_refused_at_start(monkeypatch, origins):
    monkeypatch.setenv("HUB_CORS_ORIGINS", origins)
    with pytest.raises(ConfigError, match="HUB_CORS_ORIGINS"):
        load_settings()
