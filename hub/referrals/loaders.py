"""Dataloaders of the referrals domain: one query per batch, never one per row."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import TypeVar

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


class ReferralByIdLoader(DataLoader[uuid.UUID, Referral | None]):
    def __init__(self, run: Runner, principal: Principal) -> None:
        async def load(ids: list[uuid.UUID]) -> list[Referral | None]:
            found = await run(repository.by_ids, principal, ids)
            return [found.get(i) for i in ids]

        super().__init__(load_fn=load)


class ParticipantByIdLoader(DataLoader[uuid.UUID, Participant | None]):
    def __init__(self, run: Runner, principal: Principal) -> None:
        async def load(ids: list[uuid.UUID]) -> list[Participant | None]:
            found = await run(repository.readable_participants, principal, ids)
            return [found.get(i) for i in ids]

        super().__init__(load_fn=load)


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
