"""Dataloaders of the facilitators domain."""

from __future__ import annotations

import uuid

from strawberry.dataloader import DataLoader

from hub.auth.principal import Principal
from hub.db import Runner
from hub.facilitators import repository
from hub.facilitators.models import Facilitator
from hub.referrals.loaders import ReadableByIdLoader, group_by_referral


class FacilitatorByIdLoader(ReadableByIdLoader[Facilitator]):
    def __init__(self, run: Runner, principal: Principal) -> None:
        super().__init__(run, principal, repository.by_ids)


class FacilitatorsByReferralLoader(DataLoader[uuid.UUID, list[Facilitator]]):
    def __init__(self, run: Runner) -> None:
        async def load(ids: list[uuid.UUID]) -> list[list[Facilitator]]:
            pairs = await run(repository.allocated_to, ids)
            return [[f for _, f in group] for group in group_by_referral(pairs, ids, lambda pair: pair[0])]

        super().__init__(load_fn=load)
