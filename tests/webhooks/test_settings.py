"""The worker's settings are checked at start: a lease shorter than an attempt could send a delivery twice at once."""

from __future__ import annotations

import pytest

from hub.config import ConfigError, load_settings


def test_the_lease_must_outlast_an_attempt(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HUB_WEBHOOK_TIMEOUT_SECONDS", "15")
    monkeypatch.setenv("HUB_WEBHOOK_LEASE_SECONDS", "10")
    with pytest.raises(
        ConfigError, match=r"^HUB_WEBHOOK_LEASE_SECONDS: must be at least HUB_WEBHOOK_TIMEOUT_SECONDS \+ 1"
    ):
        load_settings()
    monkeypatch.setenv("HUB_WEBHOOK_LEASE_SECONDS", "16")
    assert load_settings().webhook_lease_seconds == 16


def test_the_defaults_follow_the_issue():
    settings = load_settings()
    assert (settings.webhook_timeout_seconds, settings.webhook_lease_seconds) == (15, 60)
    assert settings.webhook_allow_private_networks is False
