"""Group appends (hub.audit.group), on committed data: queries' entries joined to the chain together, in order,
each request hearing of its own entries or of the failure."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from hub.api.context import Context
from hub.audit.group import GroupAppend
from hub.audit.models import AuditAction
from hub.audit.verify import Verdict, verify_chain
from hub.prepared import Prepared
from tests.audit.test_reads import a_manager
from tests.audit.trail import entries, sample


@pytest.fixture
def database(committed_database):
    return committed_database


class Watched(GroupAppend):
    """A GroupAppend that records the size of each append it sends, and can hold the first until told."""

    def __init__(self, database, *, hold_first: bool = False) -> None:
        super().__init__(database)
        self.sizes: list[int] = []
        self.sending = asyncio.Event()
        self.go_on = asyncio.Event()
        if not hold_first:
            self.go_on.set()
        self.failures: list[Exception] = []

    async def _append(self, entries):
        self.sizes.append(len(entries))
        self.sending.set()
        await self.go_on.wait()
        if self.failures:
            raise self.failures.pop(0)
        return await super()._append(entries)


async def test_entries_that_arrive_while_an_append_is_on_its_way_go_together_in_the_next(database):
    group = Watched(database, hold_first=True)
    first = asyncio.create_task(group.append([sample(1)]))
    await group.sending.wait()  # the first request's append is on its way, alone
    later = [asyncio.create_task(group.append([sample(n), sample(n + 1)])) for n in (10, 20, 30)]
    await asyncio.sleep(0)
    group.go_on.set()
    chained = [await first] + [await task for task in later]
    assert group.sizes == [1, 6]  # two statements for four requests
    sequences = [[sequence for sequence, _, _ in mine] for mine in chained]
    assert sequences == [[1], [2, 3], [4, 5], [6, 7]]  # each request's entries together, in the order they came
    async with database.transaction() as session:
        chain = await entries(session)
        assert [entry.request_id for entry in chain] == [sample(n).request_id for n in (1, 10, 11, 20, 21, 30, 31)]
        assert [(e.sequence, e.prev_hash, e.hash) for e in chain] == [link for mine in chained for link in mine]
        assert await verify_chain(session) == Verdict(7)


async def test_a_failed_append_reaches_every_request_of_its_group_and_the_next_group_goes_afresh(database):
    group = Watched(database, hold_first=True)
    refused = DBAPIError("SELECT audit_append(...)", {}, Exception("connection lost"))
    group.failures.append(refused)
    waiting = [asyncio.create_task(group.append([sample(n)])) for n in (1, 2)]
    await group.sending.wait()
    group.go_on.set()
    for task in waiting:
        with pytest.raises(DBAPIError):
            await task
    assert len(await group.append([sample(3)])) == 1
    async with database.transaction() as session:
        assert [entry.request_id for entry in await entries(session)] == [sample(3).request_id]


async def test_a_request_cancelled_while_it_waits_leaves_its_entries_to_be_appended(database):
    group = Watched(database, hold_first=True)
    waiting = asyncio.create_task(group.append([sample(1)]))
    await group.sending.wait()
    waiting.cancel()
    group.go_on.set()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    sender = group._sender
    assert sender is not None
    await sender  # the append goes on without its request
    async with database.transaction() as session:
        assert [entry.request_id for entry in await entries(session)] == [sample(1).request_id]


async def test_a_query_whose_group_append_fails_notes_its_reads_in_a_transaction_of_its_own(database, settings):
    """The group append failed (say, its connection was lost): the request notes its reads itself, so no read of
    restricted data goes unrecorded."""
    group = Watched(database)
    group.failures.append(DBAPIError("SELECT audit_append(...)", {}, Exception("connection lost")))
    database.__dict__["group_append"] = group
    context = Context(principal=a_manager(), database=database, settings=settings)
    await context.run(Prepared(sa.select(sa.literal(1)), alone=True).first)  # a read that ran alone, as queries' do
    context.note_read("Participant", "b9d6f0a4-0000-0000-0000-000000000001", "contact")
    await context.finish(commit=False)
    assert group.sizes == [1]  # the group was tried first
    async with database.transaction() as session:
        (entry,) = await entries(session)
        assert entry.action == AuditAction.CONSULTATION
        assert entry.records == [
            {"type": "Participant", "id": "b9d6f0a4-0000-0000-0000-000000000001", "fields": ["contact"]}
        ]
