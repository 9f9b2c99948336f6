"""Dataloaders of the agencies domain."""

from __future__ import annotations

import uuid

from strawberry.dataloader import DataLoader

from hub.agencies import repository
from hub.agencies.models import Agency
from hub.db import Runner


class AgencyByIdLoader(DataLoader[uuid.UUID, Agency | None]):
    def __init__(self, run: Runner) -> None:
        async def load(ids: list[uuid.UUID]) -> list[Agency | None]:
            found = await run(repository.by_ids, ids)
            return [found.get(i) for i in ids]

        super().__init__(load_fn=load)
