"""One typed settings object, read from HUB_* variables and DATABASE_URL, validated at start."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

import platformdirs
from pydantic import AnyHttpUrl, Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})


class ConfigError(Exception):
    """A setting has a value the hub cannot run with; the message is one line for the operator."""


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("rj-partner-hub", appauthor=False))


class Settings(BaseSettings):
    """Everything the hub reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="HUB_", extra="ignore", frozen=True)

    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    data_dir: Path = Field(default_factory=default_data_dir)
    public_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8000")
    env: Environment = Environment.DEVELOPMENT
    access_token_ttl: int = Field(default=900, ge=60, le=3600)
    authorization_code_ttl: int = Field(default=60, ge=10, le=600)
    refresh_token_ttl: int = Field(default=30 * 86400, ge=3600, le=90 * 86400)
    signin_max_failures: int = Field(default=5, ge=1, le=100)
    signin_failure_window: int = Field(default=900, ge=60, le=86400)
    signin_lockout: int = Field(default=900, ge=60, le=86400)
    signin_failure_delay_ms: int = Field(default=250, ge=0, le=2000)
    # GraphQL points (each request's cost, at least 1) a client may spend a minute, unless the client has its own.
    rate_limit_per_minute: int = Field(default=12_000, ge=10, le=10_000_000)
    # Portal origins browsers may call the API from (comma-separated, e.g. https://portal.example.org); none by default.
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    # Requests a minute to the token endpoint and the sign-in form, per source address and per client or account.
    auth_rate_limit_per_minute: int = Field(default=60, ge=1, le=1_000_000)
    webhook_allow_private_networks: bool = False
    webhook_timeout_seconds: float = Field(default=15.0, ge=0.5, le=60)
    webhook_lease_seconds: float = Field(default=60.0, ge=1, le=3600)
    webhook_poll_seconds: float = Field(default=1.0, ge=0.05, le=60)
    webhook_batch_size: int = Field(default=10, ge=1, le=100)
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_statement_timeout_ms: int = Field(default=15_000, ge=100, le=600_000)
    # A WebSocket that sends no connection_init within this many seconds is closed (graphql-transport-ws 4408).
    ws_init_timeout: float = Field(default=10.0, gt=0, le=300)
    log_level: str = "INFO"

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("postgresql://", "postgres://", "postgresql+asyncpg://")):
            raise ValueError("must be a PostgreSQL URL (postgresql://user:password@host:port/database)")
        return value

    @field_validator("public_url")
    @classmethod
    def _https_unless_local(cls, value: AnyHttpUrl) -> AnyHttpUrl:
        if value.scheme != "https" and value.host not in LOOPBACK_HOSTS:
            raise ValueError("must be an https URL (plain http is only for localhost)")
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _exact_origins(cls, value: object) -> tuple[str, ...]:
        items = value.split(",") if isinstance(value, str) else list(value or ())  # type: ignore[call-overload]
        origins = tuple(str(item).strip().rstrip("/") for item in items if str(item).strip())
        for origin in origins:
            scheme, _, host = origin.partition("://")
            if origin == "*" or "*" in origin:
                raise ValueError("list each portal origin; a wildcard is not allowed")
            if scheme not in ("https", "http") or not host or "/" in host:
                raise ValueError(
                    f"{origin!r} is not an origin: give scheme://host[:port], e.g. https://portal.example.org"
                )
            if scheme == "http" and host.split(":")[0] not in LOOPBACK_HOSTS:
                raise ValueError(f"{origin!r} must use https (plain http is only for localhost)")
        return origins

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        levels = ("DEBUG", "INFO", "WARNING", "ERROR")
        if value.upper() not in levels:
            raise ValueError(f"must be one of {', '.join(levels)}")
        return value.upper()

    @field_validator("webhook_lease_seconds")
    @classmethod
    def _lease_outlasts_an_attempt(cls, value: float, info: ValidationInfo) -> float:
        # A worker holds a delivery for the lease: an attempt that outlasted it could be sent twice at once.
        timeout = info.data.get("webhook_timeout_seconds")
        if timeout is not None and value < timeout + 1:
            raise ValueError(f"must be at least HUB_WEBHOOK_TIMEOUT_SECONDS + 1 ({timeout + 1:g})")
        return value

    @property
    def issuer(self) -> str:
        return str(self.public_url).rstrip("/")

    @property
    def audience(self) -> str:
        """The resource the hub's access tokens are for: its GraphQL endpoint."""
        return f"{self.issuer}/graphql"

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    field = str(first["loc"][0]).upper() if first["loc"] else "?"
    name = field if field == "DATABASE_URL" else f"HUB_{field}"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "enum":
        message = f"must be one of {', '.join(e.value for e in Environment)}"
    if field == "DATABASE_URL":  # it may hold a password: never echo it
        return f"{name}: {message}"
    return f"{name}: {message} (got {first.get('input')!r})"


def load_settings() -> Settings:
    """Read and validate the settings, raising ConfigError with one line naming the variable."""
    try:
        return Settings()
    except ValidationError as error:
        raise ConfigError(_describe(error)) from None


@lru_cache
def get_settings() -> Settings:
    return load_settings()
