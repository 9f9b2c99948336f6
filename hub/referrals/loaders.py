"""Dataloaders of the referrals domain: one query per batch, never one per row."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from hub.auth.principal import Principal
from hub.db import Runner
from hub.referrals import repository
from hub.referrals.models import Participant, Referral, StageEvent

T = TypeVar("T")


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


class ReferralByIdLoader(ReadableByIdLoader[Referral]):
    def __init__(self, run: Runner, principal: Principal) -> None:
        super().__init__(run, principal, repository.by_ids)


class ParticipantByIdLoader(ReadableByIdLoader[Participant]):
    def __init__(self, run: Runner, principal: Principal) -> None:
        super().__init__(run, principal, repository.readable_participants)


class ParticipantsByReferralLoader(DataLoader[uuid.UUID, list[Participant]]):
    def __init__(self, run: Runner) -> None:
        async def load(ids: list[uuid.UUID]) -> list[list[Participant]]:
            return group_by_referral(await run(repository.participants_of, ids), ids, lambda p: p.referral_id)

        super().__init__(load_fn=load)


class StageEventsByReferralLoader(DataLoader[uuid.UUID, list[StageEvent]]):
    def __init__(self, run: Runner) -> None:
        async def load(ids: list[uuid.UUID]) -> list[list[StageEvent]]:
            return group_by_referral(await run(repository.stage_events_of, ids), ids, lambda e: e.referral_id)

        super().__init__(load_fn=load)
