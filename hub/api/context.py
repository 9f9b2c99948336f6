"""The typed context every resolver gets: the principal, one database session, fresh dataloaders."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info as StrawberryInfo

from hub.auth.principal import Principal
from hub.config import Settings

if TYPE_CHECKING:
    from hub.api.loaders import Loaders
    from hub.db import Database

T = TypeVar("T")


@dataclass
class Context:
    principal: Principal
    database: Database
    settings: Settings
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    _session: AsyncSession | None = None
    # Resolvers run concurrently but a session runs one statement at a time.
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Restricted personal data this request read: (type, record id) -> field names. The audit trail records it.
    restricted_reads: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    # The HTTP response being built (Strawberry's sub-response), to set a status such as 503.
    http_response: Any = None

    @property
    def session(self) -> AsyncSession:
        """The request's one session, opened on first use; the request commits or rolls back as a whole."""
        if self._session is None:
            self._session = self.database.sessions()
        return self._session

    def unavailable(self) -> None:
        """The database could not serve this request: answer 503 with Retry-After."""
        from hub.api.faults import RETRY_AFTER_SECONDS

        if self.http_response is not None:
            self.http_response.status_code = 503
            self.http_response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)

    def note_read(self, record_type: str, record_id: object, field_name: str) -> None:
        """Remember that this request read a restricted field of a record (called by the field rules)."""
        self.restricted_reads.setdefault((record_type, str(record_id)), set()).add(field_name)

    async def run(self, query: Callable[..., Awaitable[T]], /, *args: Any) -> T:
        """Run a repository function on the request's session, after any statement already running."""
        async with self._lock:
            return await query(self.session, *args)

    async def change(self, action: Callable[..., Awaitable[T]], /, *args: Any) -> T:
        """Run a service function as one change inside a savepoint: if it raises (a refusal included),
        nothing it wrote remains, and earlier mutations of the same request keep their work."""
        async with self._lock:
            async with self.session.begin_nested():
                return await action(self.session, self.principal, *args)

    @cached_property
    def loaders(self) -> Loaders:
        from hub.api.loaders import Loaders

        return Loaders(self)

    async def finish(self, *, commit: bool) -> None:
        if self._session is None:
            return
        try:
            if commit:
                await self._session.commit()
            else:
                await self._session.rollback()
        finally:
            await self._session.close()
            self._session = None


Info = StrawberryInfo[Context, None]
