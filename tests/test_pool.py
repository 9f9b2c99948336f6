"""The hub's connection pool hands connections out first come, first served, and never loses one."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import TimeoutError as PoolTimeout

from hub.config import Settings
from hub.db import FairPool, FairQueue, create_engine


def one_connection_engine(database_url: str, settings: Settings, wait: float):
    engine = create_engine(database_url, settings.model_copy(update={"db_pool_size": 1}))
    assert isinstance(engine.pool, FairPool)
    engine.pool._timeout = wait  # the tests wait fractions of a second, not POOL_WAIT_SECONDS
    return engine


async def test_a_waiter_is_served_before_a_newcomer(database_url, settings):
    """One connection, one request waiting for it, and a busy request that gives it back and at once asks again:
    the connection goes to the one that waited. With SQLAlchemy's own queue the busy request takes it back every
    time, and the waiter runs out of time."""
    engine = one_connection_engine(database_url, settings, wait=0.5)
    served: list[str] = []
    try:
        first = await engine.connect()
        waiter_asked = asyncio.Event()

        async def waiter() -> None:
            waiter_asked.set()
            async with engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
                served.append("waiter")

        task = asyncio.create_task(waiter())
        await waiter_asked.wait()
        await asyncio.sleep(0.05)  # the waiter is in line
        await first.close()
        for _ in range(5):  # the newcomer asks in the same tick the connection came back
            try:
                conn = await engine.connect()
            except PoolTimeout:
                served.append("newcomer timed out")
                break
            served.append("newcomer")
            await asyncio.sleep(0.15)
            await conn.close()
        await task
    finally:
        await engine.dispose()
    assert served[0] == "waiter", served
    assert "newcomer timed out" not in served


async def test_waiters_are_served_in_the_order_they_came(database_url, settings):
    engine = one_connection_engine(database_url, settings, wait=5)
    order: list[int] = []
    try:
        holder = await engine.connect()

        async def request(n: int) -> None:
            async with engine.connect() as conn:
                order.append(n)
                await conn.execute(sa.text("SELECT 1"))

        tasks = []
        for n in range(6):
            tasks.append(asyncio.create_task(request(n)))
            await asyncio.sleep(0.01)
        await holder.close()
        await asyncio.gather(*tasks)
    finally:
        await engine.dispose()
    assert order == list(range(6))


async def test_a_wait_that_runs_out_says_so_and_leaves_the_pool_whole(database_url, settings):
    engine = one_connection_engine(database_url, settings, wait=0.1)
    try:
        holder = await engine.connect()
        with pytest.raises(PoolTimeout):
            await engine.connect()
        await holder.close()
        async with engine.connect() as conn:  # the connection came back: the timed-out wait holds nothing
            assert await conn.scalar(sa.text("SELECT 1")) == 1
        assert engine.pool.checkedout() == 0
    finally:
        await engine.dispose()


async def test_a_request_cancelled_as_the_connection_reaches_it_passes_it_on():
    """A client that goes away while its request waits: if the connection was handed to it in the same moment,
    it goes to the next in line instead of being lost to the pool."""
    queue = FairQueue(1)
    doomed = asyncio.create_task(queue._wait(2))
    patient = asyncio.create_task(queue._wait(2))
    await asyncio.sleep(0)  # both are in line
    queue.put_nowait("connection")  # handed to the first in line...
    doomed.cancel()  # ...which is cancelled before it runs again
    with pytest.raises(asyncio.CancelledError):
        await doomed
    assert await asyncio.wait_for(patient, 1) == "connection"
    assert not queue._waiters
