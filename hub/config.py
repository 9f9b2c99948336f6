"""One typed settings object, read from HUB_* variables and DATABASE_URL, validated at start."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

import platformdirs
from pydantic import AnyHttpUrl, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    webhook_allow_private_networks: bool = False
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_statement_timeout_ms: int = Field(default=15_000, ge=100, le=600_000)
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

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        levels = ("DEBUG", "INFO", "WARNING", "ERROR")
        if value.upper() not in levels:
            raise ValueError(f"must be one of {', '.join(levels)}")
        return value.upper()

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
