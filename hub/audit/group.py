"""Group appends: the consultation entries of many concurrent queries joined to the chain in one statement.

A query that read restricted data must have its entry in the chain before its answer goes out (hub.api.context),
but it changed nothing, so the entry needs no transaction of the request's: it may be appended by anyone, as long
as it is appended before the answer is sent. Appending takes the chain's lock, a round trip and a commit; under
load the requests of one process queue for the lock one by one. `GroupAppend` lets them queue here instead: while
one append is on its way, the entries that arrive wait, and go together in the next (group commit). One request
alone is sent at once, so a quiet hub answers as fast as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

from hub.audit.service import PendingEntry, append_all

if TYPE_CHECKING:
    from hub.db import Database

Chained = list[tuple[int, str, str]]  # (sequence, prev_hash, hash) of each entry, as append_all gives them


class GroupAppend:
    """Appends entries for many requests of one process, each request's entries together and in order."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._waiting: list[tuple[Sequence[PendingEntry], asyncio.Future[Chained]]] = []
        self._sender: asyncio.Task[None] | None = None

    async def append(self, entries: Sequence[PendingEntry]) -> Chained:
        """Append the entries, committed, with whatever other requests gave meanwhile: their (sequence, prev_hash,
        hash). Raises what the append raised (the caller may then append them itself)."""
        if not entries:
            return []
        joined: asyncio.Future[Chained] = asyncio.get_running_loop().create_future()
        joined.add_done_callback(_heard)
        self._waiting.append((entries, joined))
        if self._sender is None:
            self._sender = asyncio.create_task(self._send())
        # A request cancelled while it waits leaves its entries in the group: they are appended all the same.
        return await asyncio.shield(joined)

    async def _send(self) -> None:
        try:
            while self._waiting:
                group, self._waiting = self._waiting, []
                try:
                    chained = await self._append([entry for entries, _ in group for entry in entries])
                except Exception as error:  # every request of the group hears of it
                    for _, joined in group:
                        joined.set_exception(error)
                    continue
                start = 0
                for entries, joined in group:
                    joined.set_result(chained[start : start + len(entries)])
                    start += len(entries)
        finally:
            self._sender = None

    async def _append(self, entries: list[PendingEntry]) -> Chained:
        async with self._database.sessions() as session:
            chained = await append_all(session, entries)  # alone (hub.audit.repository): its own transaction
            await session.commit()  # nothing to commit unless the session had begun one (a test's outer transaction)
        return chained


def _heard(joined: asyncio.Future[Chained]) -> None:
    """Mark a failure as heard even when its request has gone (asyncio would log it as never retrieved)."""
    if not joined.cancelled():
        joined.exception()
