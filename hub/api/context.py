"""The typed context every resolver gets: the principal, one database session, fresh dataloaders."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info as StrawberryInfo

from hub.audit.capture import ChangeCapture
from hub.audit.models import AuditAction
from hub.audit.service import Actor, PendingEntry, append_all, record
from hub.auth.principal import Principal
from hub.auth.tokens import InvalidToken
from hub.config import Settings
from hub.prepared import began

if TYPE_CHECKING:
    from hub.api.loaders import Loaders
    from hub.db import Database

T = TypeVar("T")
OPERATION_MAX_LENGTH = 100


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
    # Where the request came from (the client's address), for the audit trail.
    source_address: str | None = None
    # The changes made so far, as audit entries waiting for the request to commit.
    _audit: list[PendingEntry] = field(default_factory=list)
    # The operation of every change attempted (the mutations' names).
    _operations: list[str] = field(default_factory=list)

    @property
    def session(self) -> AsyncSession:
        """The request's one session, opened on first use; the request commits or rolls back as a whole."""
        if self._session is None:
            self._session = self.database.sessions()
        return self._session

    def unavailable(self) -> None:
        """The database could not serve this request: answer 503 with Retry-After."""
        from hub.api.faults import RETRY_AFTER_SECONDS

        self._answer_later(503, RETRY_AFTER_SECONDS)

    def throttled(self, retry_after: float) -> None:
        """The client's rate limit refused this request: answer 429 with Retry-After."""
        self._answer_later(429, retry_after)

    def unauthenticated(self, error: InvalidToken) -> None:
        """The token is no longer in force: answer 401 with the challenge BearerAuth would have given."""
        from hub.auth.bearer import challenge

        self._answer_later(401, None, {"WWW-Authenticate": challenge(error)})

    def _answer_later(self, status: int, retry_after: float | None, headers: dict[str, str] | None = None) -> None:
        if self.http_response is not None:  # a WebSocket operation has no HTTP response
            self.http_response.status_code = status
            if retry_after is not None:
                self.http_response.headers["Retry-After"] = str(int(retry_after))
            self.http_response.headers.update(headers or {})

    def note_read(self, record_type: str, record_id: object, field_name: str) -> None:
        """Remember that this request read a restricted field of a record (called by the field rules)."""
        self.restricted_reads.setdefault((record_type, str(record_id)), set()).add(field_name)

    async def run(self, query: Callable[..., Awaitable[T]], /, *args: Any) -> T:
        """Run a repository function on the request's session, after any statement already running."""
        async with self._lock:
            return await query(self.session, *args)

    async def change(self, action: Callable[..., Awaitable[T]], /, *args: Any, operation: str | None = None) -> T:
        """Run a service function as one change inside a savepoint: if it raises (a refusal included),
        nothing it wrote remains, and earlier mutations of the same request keep their work.

        What it wrote (record types, ids, column names) becomes one audit entry, appended when the request
        commits, so the entry exists exactly when the change does.

        What the dataloaders held was read before the change: the payload, and later mutations of the request,
        read afresh.
        """
        operation = operation or action.__name__
        self._operations.append(operation)
        capture = ChangeCapture()
        session = self.session
        async with self._lock:
            self.forget_loaded()
            with capture.watching(session.sync_session):
                if await self._nothing_begun(session):
                    # Nothing of this request is in its transaction yet (its reads ran alone): if the change fails,
                    # rolling the transaction back undoes exactly what it wrote, as a savepoint would, without the
                    # round trips of SAVEPOINT and RELEASE.
                    try:
                        result = await action(session, self.principal, *args)
                        await session.flush()
                    except BaseException:
                        await session.rollback()
                        raise
                else:
                    async with session.begin_nested():
                        result = await action(session, self.principal, *args)
            self._note_change(operation, capture)
            return result

    @staticmethod
    async def _nothing_begun(session: AsyncSession) -> bool:
        return not (session.new or session.dirty or session.deleted) and not await began(session)

    def _note_change(self, operation: str, capture: ChangeCapture) -> None:
        action = capture.action()
        if action is not None:
            self._audit.append(self._entry(action, operation, capture.records()))

    def _entry(self, action: AuditAction, operation: str, records: list[dict[str, Any]]) -> PendingEntry:
        return PendingEntry(
            action=action,
            operation=operation,
            records=records,
            actor=Actor.of(self.principal),
            request_id=self.request_id,
            source_address=self.source_address,
        )

    def _consultation(self) -> list[PendingEntry]:
        """One CONSULTATION entry naming the restricted fields this request read, if it read any."""
        if not self.restricted_reads:
            return []
        records = [record(kind, key, fields) for (kind, key), fields in sorted(self.restricted_reads.items())]
        # Reads in a mutation's payload are named after the mutation(s); anything else is a query.
        operation = ",".join(dict.fromkeys(self._operations))[:OPERATION_MAX_LENGTH] or "query"
        return [self._entry(AuditAction.CONSULTATION, operation, records)]

    @cached_property
    def loaders(self) -> Loaders:
        from hub.api.loaders import Loaders

        return Loaders(self)

    async def finish(self, *, commit: bool) -> None:
        """End the request's unit of work: commit its changes with their audit entries, or roll them back.

        Restricted reads are recorded either way (a query's data was sent even though nothing else is kept).
        The chain lock is taken last, just before commit, so a request never waits on it while holding rows.
        """
        if self._session is None and not self.restricted_reads:
            return
        session = self.session
        try:
            if not commit and not self._operations and await self._reads_noted_in_place(session):
                return
            if not commit:
                self._audit.clear()  # the changes they describe are gone with the rollback
                if not self.restricted_reads:
                    return  # nothing to note: closing the session rolls back, without a trip of its own
                await session.rollback()
            entries = self._audit + self._consultation()
            await append_all(session, entries)
            if commit or entries:
                await session.commit()
        finally:
            self._audit.clear()
            await session.close()
            self._session = None
            self.forget_loaded()

    def forget_loaded(self) -> None:
        """Drop the dataloaders and all they hold: the next unit of work loads afresh. The loaders refer back to
        this context, so without this the rows they cached would wait for the cycle collector rather than go when
        the request does."""
        self.__dict__.pop("loaders", None)

    async def _reads_noted_in_place(self, session: AsyncSession) -> bool:
        """A query holds reads only: note them without a transaction of its own. Where its reads ran alone (no
        transaction begun), its session goes back to the pool and the entry joins other requests' in one append
        (hub.audit.group); otherwise the entry is appended in the query's transaction, which then commits, rather
        than roll back and begin again. False when there is nothing to note, or when the append or a statement of
        the request failed (the caller then notes the reads in a fresh transaction)."""
        entries = self._consultation()
        if not entries:
            return False
        try:
            if not await began(session):
                await session.close()
                await self.database.group_append.append(entries)
                return True
            await append_all(session, entries)
            await session.commit()
        except DBAPIError:
            return False
        return True


Info = StrawberryInfo[Context, None]
