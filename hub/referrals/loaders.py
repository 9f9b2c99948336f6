"""Dataloaders of the referrals domain: one query per batch, never one per row."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from operator import attrgetter
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from hub.auth.principal import Principal
from hub.db import Runner
from hub.prepared import Together
from hub.referrals import repository
from hub.referrals.models import (
    Participant,
    Referral,
)

T = TypeVar("T")
# The turns of the event loop between a dataloader's load and its batch function's call: one to schedule the
# dispatch, one for the dispatch to start its task, one for the task's first step.
TURNS = 3


def group_by_referral(rows: Sequence[T], keys: Sequence[uuid.UUID], key_of: Callable[[T], uuid.UUID]) -> list[list[T]]:
    groups: dict[uuid.UUID, list[T]] = defaultdict(list)
    for row in rows:
        groups[key_of(row)].append(row)
    return [groups.get(key, []) for key in keys]


class ReadableByIdLoader(DataLoader[uuid.UUID, T | None]):
    """Rows by id through a repository function that applies the principal's row filter (unseen = None)."""

    def __init__(
        self,
        run: Runner,
        principal: Principal,
        fetch: Callable[[AsyncSession, Principal, Sequence[uuid.UUID]], Awaitable[dict[uuid.UUID, T]]],
    ) -> None:
        async def load(ids: list[uuid.UUID]) -> list[T | None]:
            found = await run(fetch, principal, ids)
            return [found.get(i) for i in ids]

        super().__init__(load_fn=load)


class Gathered:
    """A request's reads of a Together's parts (a case's participants, history, sessions, ...): the parts asked for
    by one level of a query go as one statement.

    The first ask schedules the statement, and every part asked for until it goes joins it. It goes TURNS turns
    of the event loop later: a part asked for straight away (a page's parts at once, hub.api.compiled.batched)
    and one asked for through a dataloader (whose batch is scheduled, then runs as a task of its own) reach
    here in different turns of the same level."""

    def __init__(self, run: Runner, together: Together) -> None:
        self.run = run
        self.together = together
        self._asked: dict[str, list[uuid.UUID]] | None = None
        self._answer: asyncio.Future[dict[str, list[Any]]] | None = None
        self._sending: set[asyncio.Task[None]] = set()  # the loop keeps only weak references to tasks

    async def load(self, name: str, keys: Sequence[uuid.UUID]) -> list[Any]:
        return (await self.ask(name, keys))[name]

    def ask(self, name: str, keys: Sequence[uuid.UUID]) -> asyncio.Future[dict[str, list[Any]]]:
        """Ask for the part's rows of these keys with the others of this turn: the statement's answer, every
        part's rows by name, once it is in."""
        if self._asked is None or self._answer is None:
            self._asked, self._answer = {}, asyncio.get_running_loop().create_future()
            self._after(TURNS, self._send)
        self._asked.setdefault(name, []).extend(keys)
        return self._answer

    @staticmethod
    def _after(turns: int, then: Callable[[], None]) -> None:
        loop = asyncio.get_running_loop()
        if turns <= 1:
            loop.call_soon(then)
        else:
            loop.call_soon(Gathered._after, turns - 1, then)

    def _send(self) -> None:
        asked, answer = self._asked, self._answer
        self._asked = self._answer = None
        assert asked is not None and answer is not None

        async def send() -> None:
            try:
                found = await self.run(self.together.rows, asked)
            except asyncio.CancelledError:
                answer.cancel()
                raise
            except Exception as error:
                answer.set_exception(error)
            else:
                answer.set_result(found)

        task = asyncio.ensure_future(send())
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)


class PartByKeyLoader(DataLoader[uuid.UUID, list[T]]):
    """Every row of a part (hub.prepared.Together) belonging to each key (a referral, an agreement), read with the
    other parts the same level of the query asks for.

    The keys come from rows the caller may already see, so the part does not filter again."""

    def __init__(self, gathered: Gathered, name: str, key_of: Callable[[T], uuid.UUID]) -> None:
        self.gathered, self.name, self.key_of = gathered, name, key_of
        # Not self.groups: a loader referring to itself would be freed only by the cycle collector, and with it
        # every row it holds.
        super().__init__(load_fn=partial(_grouped, gathered, name, key_of))

    def groups(self, keys: Sequence[uuid.UUID]) -> asyncio.Future[list[list[T]]]:
        """Each key's rows: what a page of cases asks for at once (hub.referrals.types.case_part), without a future
        for each key. Asks of one turn of the event loop go as one statement with the dataloader's batches
        (Gathered). What it reads is kept for the keys' later loads (a contact attempt's participant, from the
        case's participants), as the dataloader keeps what it loads.

        A future, not a coroutine: a compiled completion awaits a level's parts together, and a coroutine each
        would be a task each."""

        kept = self.kept(keys)
        if kept is not None:
            answered: asyncio.Future[list[list[T]]] = asyncio.get_running_loop().create_future()
            answered.set_result(kept)
            return answered

        def grouped(answer: dict[str, list[Any]]) -> list[list[T]]:
            groups = group_by_referral(answer[self.name], keys, self.key_of)
            self.prime_many(dict(zip(keys, groups, strict=True)))
            return groups

        return then(self.gathered.ask(self.name, keys), grouped)

    def kept(self, keys: Sequence[uuid.UUID]) -> list[list[T]] | None:
        """Each key's rows, if every key's are already kept (read for an earlier level); else None."""
        found = []
        for key in keys:
            future = self.cache_map.get(key)
            if future is None or not future.done() or future.cancelled() or future.exception() is not None:
                return None
            found.append(future.result())
        return found


class AgreementsWithActions:
    """Cases' agreements (a part, by referral), read with their actions in the same statement: the actions are kept
    in the actions' loader, by agreement, for the level below to take without a statement of its own."""

    def __init__(self, agreements: PartByKeyLoader[Any], actions: PartByKeyLoader[Any]) -> None:
        self.agreements, self.actions = agreements, actions

    def groups(self, keys: Sequence[uuid.UUID]) -> asyncio.Future[list[list[Any]]]:
        if self.agreements.kept(keys) is not None:
            return self.agreements.groups(keys)  # read before: their actions are read when asked for
        answer = self.agreements.gathered.ask("actions_of_cases", keys)  # the agreements' statement, this turn

        def with_actions(groups: list[list[Any]]) -> list[list[Any]]:
            agreement_ids = [row.id for rows in groups for row in rows]  # these cases' agreements only
            actions = group_by_referral(answer.result()["actions_of_cases"], agreement_ids, attrgetter("agreement_id"))
            self.actions.prime_many(dict(zip(agreement_ids, actions, strict=True)))
            return groups

        return then(self.agreements.groups(keys), with_actions)


async def _grouped(
    gathered: Gathered, name: str, key_of: Callable[[Any], uuid.UUID], keys: Sequence[uuid.UUID]
) -> list[list[Any]]:
    """The rows of the part `name` belonging to each key."""
    return group_by_referral(await gathered.load(name, keys), keys, key_of)


def then(future: asyncio.Future[Any], function: Callable[[Any], T]) -> asyncio.Future[T]:
    """A future of `function` of the future's result (or of its exception, or its cancellation), as a coroutine
    awaiting it would give, without the task a coroutine needs to be awaited with others."""
    made: asyncio.Future[T] = future.get_loop().create_future()

    def settle(done: asyncio.Future[Any]) -> None:
        if made.done():
            return
        if done.cancelled():
            made.cancel()
            return
        error = done.exception()
        if error is not None:
            made.set_exception(error)
            return
        try:
            made.set_result(function(done.result()))
        except Exception as failed:
            made.set_exception(failed)

    future.add_done_callback(settle)
    return made


class ReferralByIdLoader(ReadableByIdLoader[Referral]):
    def __init__(self, run: Runner, principal: Principal) -> None:
        super().__init__(run, principal, repository.by_ids)


class ParticipantByIdLoader(ReadableByIdLoader[Participant]):
    def __init__(self, run: Runner, principal: Principal) -> None:
        super().__init__(run, principal, repository.readable_participants)
