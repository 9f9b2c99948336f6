"""What a request makes and leaves behind.

Its objects go when it ends, by reference counting: none is left in a reference cycle for the cycle collector,
whose collections walk every object left (under the serving processes' settings they cost a page of 50 referrals
0.36 ms of CPU a request, an eighth of it). And it makes few tasks: a task for each part of a case a level asks
for cost more than the part's rows."""

from __future__ import annotations

import asyncio
import gc
from collections import Counter

from hub.agencies.models import AgencyKind
from hub.api.compiled import CompiledExecutionContext
from hub.api.context import Context
from hub.api.loaders import Loaders
from hub.auth.scopes import Role
from hub.referrals.loaders import PartByKeyLoader
from tests.factories import create_agency, create_client, graphql, token_for
from tests.referrals.test_statement_count import PAGE, many_cases  # noqa: F401  (a fixture)

KINDS = (Context, Loaders, PartByKeyLoader, CompiledExecutionContext)


async def test_a_page_of_case_records_leaves_nothing_for_the_cycle_collector(http, session, many_cases):  # noqa: F811
    service = await create_agency(session, AgencyKind.RJ_SERVICE)
    token = await token_for(http, await create_client(session, service, {Role.MANAGER}))
    assert "errors" not in await graphql(http, token, PAGE, {"first": 5})  # everything made once is made
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        result = await graphql(http, token, PAGE, {"first": 5})
        left = [type(o).__name__ for o in gc.get_objects() if isinstance(o, KINDS)]
    finally:
        if enabled:
            gc.enable()
    assert len(result["data"]["referrals"]["edges"]) == 5
    assert left == []


async def test_a_page_of_case_records_makes_a_task_only_for_its_statement(http, session, many_cases):  # noqa: F811
    """The parts a level asks for (participants, history, ..., the agreements with their actions) are awaited
    together as futures: the only task is their statement's own."""
    service = await create_agency(session, AgencyKind.RJ_SERVICE)
    token = await token_for(http, await create_client(session, service, {Role.MANAGER}))
    assert "errors" not in await graphql(http, token, PAGE, {"first": 5})
    made: Counter[str] = Counter()

    def counting(loop, coroutine, **options):
        made[coroutine.__qualname__] += 1
        return asyncio.Task(coroutine, loop=loop, **options)

    loop = asyncio.get_running_loop()
    loop.set_task_factory(counting)
    try:
        result = await graphql(http, token, PAGE, {"first": 5})
    finally:
        loop.set_task_factory(None)
    assert all(len(edge["node"]["agreement"]["actions"]) == 2 for edge in result["data"]["referrals"]["edges"])
    assert made == {"Gathered._send.<locals>.send": 1}
