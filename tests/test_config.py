"""Settings: one typed object from the environment; a wrong value is one line naming the variable."""

from __future__ import annotations

import pytest

from hub.config import ConfigError, Environment, load_settings


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("HUB_ENV", "prod", "HUB_ENV: must be one of development, production (got 'prod')"),
        ("HUB_ACCESS_TOKEN_TTL", "5", "HUB_ACCESS_TOKEN_TTL: Input should be greater than or equal to 60 (got '5')"),
        ("HUB_PUBLIC_URL", "not a url", "HUB_PUBLIC_URL: "),
        (
            "HUB_PUBLIC_URL",
            "http://hub.example.org",
            "HUB_PUBLIC_URL: must be an https URL (plain http is only for localhost) (got 'http://hub.example.org')",
        ),
        ("HUB_LOG_LEVEL", "LOUD", "HUB_LOG_LEVEL: must be one of DEBUG, INFO, WARNING, ERROR (got 'LOUD')"),
        ("DATABASE_URL", "mysql://root:hunter2@db/hub", "DATABASE_URL: must be a PostgreSQL URL"),
    ],
)
def test_a_wrong_value_names_the_variable(monkeypatch, variable, value, message):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as raised:
        load_settings()
    text = str(raised.value)
    assert text.startswith(message)
    assert "\n" not in text
    assert "hunter2" not in text  # a database URL is never echoed: it may hold a password


def test_defaults_and_overrides(monkeypatch, tmp_path):
    for name in ("DATABASE_URL", "HUB_ENV", "HUB_PUBLIC_URL", "HUB_ACCESS_TOKEN_TTL"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.env is Environment.DEVELOPMENT
    assert settings.database_url is None
    assert settings.access_token_ttl == 900
    assert settings.audience == "http://127.0.0.1:8000/graphql"
    monkeypatch.setenv("HUB_PUBLIC_URL", "https://hub.example.org/")
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HUB_ENV", "production")
    settings = load_settings()
    assert (settings.issuer, settings.data_dir, settings.is_production) == ("https://hub.example.org", tmp_path, True)
