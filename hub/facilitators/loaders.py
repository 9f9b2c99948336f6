"""Dataloaders of the facilitators domain: one query per batch, never one per row."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date
from decimal import Decimal

from strawberry.dataloader import DataLoader

from hub.api.pagination import Page
from hub.auth.principal import Principal
from hub.db import Runner
from hub.facilitators import repository
from hub.facilitators.models import Facilitator, VolunteerHours
from hub.referrals.loaders import ReadableByIdLoader, group_by_referral

# A facilitator, a page size, and the (day, id) of the entry to continue after (None: from the newest).
HoursPageKey = tuple[uuid.UUID, int, tuple[date, uuid.UUID] | None]


class FacilitatorByIdLoader(ReadableByIdLoader[Facilitator]):
    def __init__(self, run: Runner, principal: Principal) -> None:
        super().__init__(run, principal, repository.by_ids)


class VolunteerHoursByFacilitatorLoader(DataLoader[HoursPageKey, Page[VolunteerHours]]):
    """A page of each facilitator's hours log, newest day first.

    A list of facilitators asks every row with the same page arguments, so a batch is usually one query.
    """

    def __init__(self, run: Runner) -> None:
        async def load(keys: list[HoursPageKey]) -> list[Page[VolunteerHours]]:
            pages: dict[HoursPageKey, Page[VolunteerHours]] = {}
            for (size, after), ids in _by_page_arguments(keys).items():
                rows = await run(repository.hours_of, ids, after, size + 1)
                for facilitator_id, group in zip(
                    ids, group_by_referral(rows, ids, lambda r: r.facilitator_id), strict=True
                ):
                    pages[(facilitator_id, size, after)] = Page(
                        group[:size], has_next=len(group) > size, has_previous=after is not None
                    )
            return [pages[key] for key in keys]

        super().__init__(load_fn=load)


def _by_page_arguments(keys: list[HoursPageKey]) -> dict[tuple[int, tuple[date, uuid.UUID] | None], list[uuid.UUID]]:
    groups: dict[tuple[int, tuple[date, uuid.UUID] | None], list[uuid.UUID]] = defaultdict(list)
    for facilitator_id, size, after in keys:
        groups[(size, after)].append(facilitator_id)
    return groups


class VolunteerHoursTotalByFacilitatorLoader(DataLoader[uuid.UUID, Decimal]):
    """Every hour each facilitator has logged (zero for none)."""

    def __init__(self, run: Runner) -> None:
        async def load(ids: list[uuid.UUID]) -> list[Decimal]:
            totals = await run(repository.total_hours, ids)
            return [totals.get(i, Decimal(0)) for i in ids]

        super().__init__(load_fn=load)
