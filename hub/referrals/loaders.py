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
from hub.referrals.models import (
    AgreementAction,
    Assessment,
    ContactAttempt,
    Feedback,
    OutcomeAgreement,
    Participant,
    Referral,
    RestorativeSession,
    StageEvent,
)

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


class RowsByKeyLoader(DataLoader[uuid.UUID, list[T]]):
    """Every row belonging to each key (a referral, an agreement), fetched for the whole batch at once.

    The keys come from rows the caller may already see, so the fetch does not filter again."""

    def __init__(
        self,
        run: Runner,
        fetch: Callable[[AsyncSession, Sequence[uuid.UUID]], Awaitable[Sequence[T]]],
        key_of: Callable[[T], uuid.UUID],
    ) -> None:
        async def load(keys: list[uuid.UUID]) -> list[list[T]]:
            return group_by_referral(await run(fetch, keys), keys, key_of)

        super().__init__(load_fn=load)


class ReferralByIdLoader(ReadableByIdLoader[Referral]):
    def __init__(self, run: Runner, principal: Principal) -> None:
        super().__init__(run, principal, repository.by_ids)


class ParticipantByIdLoader(ReadableByIdLoader[Participant]):
    def __init__(self, run: Runner, principal: Principal) -> None:
        super().__init__(run, principal, repository.readable_participants)


class ParticipantsByReferralLoader(RowsByKeyLoader[Participant]):
    def __init__(self, run: Runner) -> None:
        super().__init__(run, repository.participants_of, lambda p: p.referral_id)


class StageEventsByReferralLoader(RowsByKeyLoader[StageEvent]):
    def __init__(self, run: Runner) -> None:
        super().__init__(run, repository.stage_events_of, lambda e: e.referral_id)


class ContactAttemptsByReferralLoader(RowsByKeyLoader[ContactAttempt]):
    def __init__(self, run: Runner) -> None:
        super().__init__(run, repository.contact_attempts_of, lambda a: a.referral_id)


class AssessmentsByReferralLoader(RowsByKeyLoader[Assessment]):
    def __init__(self, run: Runner) -> None:
        super().__init__(run, repository.assessments_of, lambda a: a.referral_id)


class SessionsByReferralLoader(RowsByKeyLoader[RestorativeSession]):
    def __init__(self, run: Runner) -> None:
        super().__init__(run, repository.sessions_of, lambda s: s.referral_id)


class FeedbackByReferralLoader(RowsByKeyLoader[Feedback]):
    def __init__(self, run: Runner) -> None:
        super().__init__(run, repository.feedback_of, lambda f: f.referral_id)


class ActionsByAgreementLoader(RowsByKeyLoader[AgreementAction]):
    def __init__(self, run: Runner) -> None:
        super().__init__(run, repository.actions_of_agreements, lambda a: a.agreement_id)


class AgreementByReferralLoader(DataLoader[uuid.UUID, OutcomeAgreement | None]):
    """A referral's outcome agreement (at most one), or None while there is none."""

    def __init__(self, run: Runner) -> None:
        async def load(ids: list[uuid.UUID]) -> list[OutcomeAgreement | None]:
            found = {row.referral_id: row for row in await run(repository.agreements_of, ids)}
            return [found.get(i) for i in ids]

        super().__init__(load_fn=load)
