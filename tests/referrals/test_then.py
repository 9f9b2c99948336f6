"""hub.referrals.loaders.then: a future of a function of another future's outcome, as a coroutine awaiting it
would give."""

from __future__ import annotations

import asyncio

import pytest

from hub.referrals.loaders import then


async def test_the_function_of_the_result():
    given = asyncio.get_running_loop().create_future()
    made = then(given, lambda value: value * 2)
    assert not made.done()
    given.set_result(21)
    assert await made == 42


async def test_an_exception_passes_through_and_the_functions_own_is_its_outcome():
    given = asyncio.get_running_loop().create_future()
    made = then(given, lambda value: value)
    given.set_exception(LookupError("no such part"))
    with pytest.raises(LookupError, match="no such part"):
        await made
    given = asyncio.get_running_loop().create_future()
    made = then(given, lambda value: value["missing"])
    given.set_result({})
    with pytest.raises(KeyError):
        await made


async def test_cancellation_passes_through_and_cancelling_it_leaves_the_given_future_alone():
    given = asyncio.get_running_loop().create_future()
    made = then(given, lambda value: value)
    given.cancel()
    with pytest.raises(asyncio.CancelledError):
        await made
    shared = asyncio.get_running_loop().create_future()
    made = then(shared, lambda value: value)
    made.cancel()
    shared.set_result("still answered for the others")
    await asyncio.sleep(0)
    assert shared.result() == "still answered for the others"
