"""The auth tests answer failed sign-ins at once: the slowing down is a setting, tested on its own."""

from __future__ import annotations

import pytest

from hub.config import Settings
from tests.conftest import PUBLIC_URL


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(public_url=PUBLIC_URL, env="development", database_url=None, signin_failure_delay_ms=0)
