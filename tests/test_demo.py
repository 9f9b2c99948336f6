"""Demo data: a county's agencies, facilitators and consistent cases, loaded only into an empty database."""

from __future__ import annotations

import re
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime
from itertools import pairwise

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

import hub.models
from hub.agencies.models import Agency, AgencyKind
from hub.demo import load_demo
from hub.facilitators.models import Allocation, Facilitator
from hub.referrals.models import (
    DeclineReason,
    Outcome,
    Participant,
    ParticipantRole,
    Referral,
    Stage,
    StageEvent,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
REFERENCE = re.compile(r"^RJ-(\d{4})-\d{6,}$")


async def count(session: AsyncSession, model: type[SQLModel]) -> int:
    return (await session.execute(sa.select(sa.func.count()).select_from(model))).scalar_one()


async def table_counts(session: AsyncSession) -> dict[str, int]:
    return {name: await count(session, getattr(hub.models, name)) for name in hub.models.__all__}


async def referrals(session: AsyncSession) -> list[Referral]:
    return list((await session.execute(sa.select(Referral).order_by(Referral.submitted_at))).scalars())


async def histories(session: AsyncSession) -> dict[uuid.UUID, list[StageEvent]]:
    events = (await session.execute(sa.select(StageEvent).order_by(StageEvent.at, StageEvent.id))).scalars()
    by_referral: dict[uuid.UUID, list[StageEvent]] = defaultdict(list)
    for event in events:
        by_referral[event.referral_id].append(event)
    return by_referral


async def test_demo_creates_the_county_agencies_and_facilitators(session: AsyncSession) -> None:
    demo = await load_demo(session, now=NOW)

    assert demo is not None
    kinds = Counter(agency.kind for agency in (await session.execute(sa.select(Agency))).scalars())
    assert kinds == {
        AgencyKind.POLICE: 6,
        AgencyKind.YOUTH_OFFENDING: 1,
        AgencyKind.COUNCIL: 2,
        AgencyKind.FIRE_AND_RESCUE: 1,
        AgencyKind.PRISON: 1,
        AgencyKind.PROBATION: 1,
        AgencyKind.VICTIM_SUPPORT: 1,
        AgencyKind.RJ_SERVICE: 1,
    }
    assert len(demo.agencies) == 14
    assert (demo.police_agency.name, demo.police_agency.kind) == ("Essex Police — Colchester", AgencyKind.POLICE)
    assert demo.police_agency.districts == ["Colchester"]
    assert (demo.service_agency.name, demo.service_agency.kind) == (
        "Essex Restorative Justice Service",
        AgencyKind.RJ_SERVICE,
    )
    facilitators = list((await session.execute(sa.select(Facilitator))).scalars())
    assert len(facilitators) == 12
    assert all(f.email and f.email.endswith("@rj-volunteers.example.org") for f in facilitators)


async def test_demo_creates_the_requested_referrals_in_every_state(session: AsyncSession) -> None:
    demo = await load_demo(session, referrals=60, now=NOW)

    assert demo is not None
    assert demo.referral_count == 60
    rows = await referrals(session)
    assert len(rows) == 60
    assert {r.stage for r in rows} == set(Stage)
    assert {r.outcome for r in rows if r.outcome is not None} == set(Outcome)
    assert {r.decline_reason for r in rows if r.decline_reason is not None} == set(DeclineReason)
    assert len({r.reference for r in rows}) == 60
    for referral in rows:
        match = REFERENCE.match(referral.reference)
        assert match is not None and int(match.group(1)) == referral.submitted_at.year
        assert referral.submitted_at.tzinfo is not None and referral.submitted_at < NOW


async def test_a_small_demo_still_has_every_stage(session: AsyncSession) -> None:
    demo = await load_demo(session, referrals=11, now=NOW)

    assert demo is not None and demo.referral_count == 11
    rows = await referrals(session)
    assert len(rows) == 11
    assert {r.stage for r in rows} == set(Stage)


async def test_every_referral_has_a_harmed_and_a_responsible_party(session: AsyncSession) -> None:
    await load_demo(session, now=NOW)

    roles: dict[uuid.UUID, Counter[ParticipantRole]] = defaultdict(Counter)
    for referral_id, role in (await session.execute(sa.select(Participant.referral_id, Participant.role))).all():
        roles[referral_id][role] += 1
    assert len(roles) == 60
    assert [r for r, seen in roles.items() if seen[ParticipantRole.HARMED] < 1] == []
    assert [r for r, seen in roles.items() if seen[ParticipantRole.RESPONSIBLE] < 1] == []


async def test_stage_histories_walk_to_the_current_stage(session: AsyncSession) -> None:
    await load_demo(session, now=NOW)

    events = await histories(session)
    for referral in await referrals(session):
        history = events[referral.id]
        first, last = history[0], history[-1]
        assert (first.from_stage, first.to_stage, first.at) == (None, Stage.RECEIVED, referral.submitted_at)
        assert [e.from_stage for e in history[1:]] == [e.to_stage for e in history[:-1]]
        assert all(a.at < b.at for a, b in pairwise(history))
        assert last.to_stage == referral.stage
        assert referral.version == len(history)
        assert referral.updated_at == last.at
        closed = referral.stage in (Stage.CLOSED, Stage.DECLINED)
        assert referral.closed_at == (last.at if closed else None)
        on_hold = referral.stage is Stage.ON_HOLD
        assert referral.stage_before_hold == (last.from_stage if on_hold else None)


async def test_sensitive_cases_are_allocated_only_to_trained_facilitators(session: AsyncSession) -> None:
    await load_demo(session, now=NOW)

    statement = (
        sa.select(Facilitator.sensitive_trained, sa.func.count())
        .select_from(Allocation)
        .join(Facilitator, Facilitator.id == Allocation.facilitator_id)
        .join(Referral, Referral.id == Allocation.referral_id)
        .where(Referral.sensitivity != sa.cast([], sa.ARRAY(sa.Text)))
        .group_by(Facilitator.sensitive_trained)
    )
    by_training = {trained: n for trained, n in (await session.execute(statement)).all()}
    assert set(by_training) == {True}  # some sensitive cases are allocated, none to an untrained facilitator


async def test_allocated_cases_have_one_or_two_facilitators(session: AsyncSession) -> None:
    await load_demo(session, now=NOW)

    allocated = (
        await session.execute(sa.select(StageEvent.referral_id).where(StageEvent.to_stage == Stage.ALLOCATED))
    ).scalars()
    per_case = Counter((await session.execute(sa.select(Allocation.referral_id))).scalars())
    assert set(per_case) == set(allocated)
    assert set(per_case.values()) <= {1, 2}


async def test_loading_again_returns_none_and_adds_nothing(session: AsyncSession) -> None:
    assert await load_demo(session, now=NOW) is not None
    before = await table_counts(session)

    assert await load_demo(session, now=NOW) is None

    assert await table_counts(session) == before


async def test_the_same_seed_gives_the_same_cases(session: AsyncSession) -> None:
    async def generate(seed: int) -> list[tuple[object, ...]]:
        savepoint = await session.begin_nested()
        await load_demo(session, seed=seed, referrals=25, now=NOW)
        rows = [
            (r.agency_reference, r.referrer_name, r.stage, r.outcome, r.summary, r.submitted_at)
            for r in await referrals(session)
        ]
        await savepoint.rollback()
        return rows

    first = await generate(7)

    assert await generate(7) == first
    assert await generate(8) != first
