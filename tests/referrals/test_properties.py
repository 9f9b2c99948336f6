"""Property: any sequence of case mutations keeps DESIGN §2's invariants.

Hypothesis draws sequences of changes (accept, decline, allocate, advance, hold, resume, consent, assess,
schedule, withdraw, close ...) and applies each through the services exactly as a mutation does (in a savepoint,
a refusal leaving nothing). After every step: a closed case has an outcome, a declined one a reason; the stage
only moved along the table of allowed moves; versions only grow, by one per change and not at all on a refusal;
no session exists unless every party still taking part had consented and been assessed SAFE when it was
scheduled; PREPARATION and RESTORATIVE_PROCESS are only entered with every party ready.
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from hub.agencies.models import AgencyKind
from hub.auth.principal import Principal
from hub.auth.scopes import Role, scopes_for
from hub.db import async_url
from hub.ids import global_id
from hub.problems import Refused
from hub.referrals import casework, repository, service
from hub.referrals import inputs as i
from hub.referrals.models import Assessment, ConsentState, Outcome, ParticipantRole, Referral, Stage
from hub.referrals.transitions import MAIN_PATH, allowed_next
from tests.factories import create_agency, create_facilitator, create_participant, create_referral

STAGES = [s for s in Stage if s not in (Stage.DECLINED, Stage.CLOSED, Stage.ON_HOLD)]

step = st.one_of(
    st.tuples(st.just("accept")),
    st.tuples(st.just("decline"), st.sampled_from(["OUT_OF_AREA", "RISK_TOO_HIGH", "OTHER"])),
    st.tuples(st.just("allocate")),
    st.tuples(st.just("advance"), st.sampled_from(STAGES)),
    st.tuples(st.just("hold")),
    st.tuples(st.just("resume")),
    st.tuples(st.just("consent"), st.integers(0, 2), st.sampled_from(["GIVEN", "REFUSED"])),
    st.tuples(st.just("assess"), st.integers(0, 2), st.sampled_from(["SAFE", "NOT_SAFE"])),
    st.tuples(st.just("schedule")),
    st.tuples(st.just("withdraw"), st.integers(0, 2)),
    st.tuples(st.just("close"), st.sampled_from(list(Outcome))),
)


def command(action: tuple, referral: Referral, people: list[str], trained: str) -> tuple[Any, Any]:
    """The service function and input a mutation would pass for one drawn step."""
    base = {"referral_id": global_id("Referral", referral.id), "version": referral.version}
    name, *args = action
    today = date.today()
    soon = datetime.now(UTC) + timedelta(days=3)
    match name:
        case "accept":
            return service.accept, i.AcceptReferralInput(**base)
        case "decline":
            return service.decline, i.DeclineReferralInput(**base, reason=args[0], note="Because.")
        case "allocate":
            return service.allocate, i.AllocateFacilitatorsInput(**base, facilitator_ids=[trained])
        case "advance":
            return service.advance, i.AdvanceStageInput(**base, to=args[0])
        case "hold":
            return service.put_on_hold, i.PutOnHoldInput(**base, note="Awaiting sentencing.")
        case "resume":
            return service.resume, i.ResumeInput(**base)
        case "consent":
            return casework.record_consent, i.RecordConsentInput(
                **base, participant_id=people[args[0]], consent=args[1]
            )
        case "assess":
            person = people[args[0]]
            return casework.record_assessment, i.RecordAssessmentInput(
                **base, participant_id=person, outcome=args[1], assessed_on=today
            )
        case "schedule":
            return casework.schedule_session, i.ScheduleSessionInput(
                **base, approach="LETTER_EXCHANGE", scheduled_for=soon
            )
        case "withdraw":
            return casework.withdraw_participant, i.WithdrawParticipantInput(**base, participant_id=people[args[0]])
        case _:
            return service.close, i.CloseReferralInput(**base, outcome=args[0])


async def ready(session: AsyncSession, referral: Referral) -> bool:
    """Every harmed and responsible party still taking part consented and was last assessed SAFE."""
    latest = await repository.latest_assessments(session, referral.id)
    parties = [
        p
        for p in await repository.participants_of(session, [referral.id])
        if p.role in (ParticipantRole.HARMED, ParticipantRole.RESPONSIBLE) and p.withdrawn_at is None
    ]
    return all(p.consent == ConsentState.GIVEN and latest.get(p.id) == "SAFE" for p in parties)


async def sessions_of(session: AsyncSession, referral: Referral) -> int:
    statement = sa.text("SELECT count(*) FROM restorative_session WHERE referral_id = :id")
    return int((await session.execute(statement, {"id": referral.id})).scalar_one())


async def apply(
    session: AsyncSession, principal: Principal, referral: Referral, action: tuple, people, trained
) -> None:
    """Apply one step as a mutation would, then check every invariant."""
    before_stage, before_version = Stage(referral.stage), referral.version
    allowed, was_ready, had_sessions = (
        allowed_next(referral),
        await ready(session, referral),
        await sessions_of(session, referral),
    )
    action_fn, given = command(action, referral, people, trained)
    try:
        async with session.begin_nested():
            await action_fn(session, principal, given)
        changed = True
    except Refused:
        changed = False
    await session.refresh(referral)
    stage = Stage(referral.stage)
    assert referral.version == before_version + (1 if changed else 0)
    assert (stage == Stage.CLOSED) == (referral.outcome is not None)
    assert (stage == Stage.DECLINED) == (referral.decline_reason is not None)
    if stage != before_stage:
        assert stage in allowed, f"{before_stage} -> {stage} is not in the table"
        if stage in (Stage.PREPARATION, Stage.RESTORATIVE_PROCESS) and before_stage != Stage.ON_HOLD:
            assert was_ready
    if await sessions_of(session, referral) > had_sessions:
        assert was_ready, "a session was scheduled before every party was ready"


async def run_sequence(url: str, start: Stage, parties_ready: bool, actions: list[tuple]) -> None:
    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as connection:
            transaction = await connection.begin()
            async with AsyncSession(
                bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
            ) as session:
                principal, referral, people, trained = await world(session, start, parties_ready)
                for action in actions:
                    await apply(session, principal, referral, action, people, trained)
            await transaction.rollback()
    finally:
        await engine.dispose()


async def world(session: AsyncSession, start: Stage, parties_ready: bool) -> tuple[Principal, Referral, list[str], str]:
    """A case at `start` with two harmed parties and one responsible, consented and SAFE when `parties_ready`."""
    rj = await create_agency(session, AgencyKind.RJ_SERVICE)
    police = await create_agency(session, AgencyKind.POLICE)
    referral = await create_referral(session, police, stage=start)
    trained = await create_facilitator(
        session, referral if start not in (Stage.RECEIVED, Stage.ACCEPTED) else None, sensitive_trained=True
    )
    consent = ConsentState.GIVEN if parties_ready else ConsentState.PENDING
    people = []
    for role in (ParticipantRole.HARMED, ParticipantRole.RESPONSIBLE, ParticipantRole.HARMED):
        person = await create_participant(session, referral, role, consent=consent)
        if parties_ready:
            session.add(
                Assessment(referral_id=referral.id, participant_id=person.id, outcome="SAFE", assessed_on=date.today())
            )
        people.append(global_id("Participant", person.id))
    await session.flush()
    staff = frozenset({Role.COORDINATOR})
    principal = Principal(rj.id, AgencyKind.RJ_SERVICE, "property-test", "property-test", staff, scopes_for(staff))
    return principal, referral, people, global_id("Facilitator", trained.id)


@pytest.fixture(scope="module")
def url(database_url: str) -> str:
    return database_url


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    derandomize=not os.environ.get("HUB_FUZZ_RANDOM"),
    database=None,
)
@given(start=st.sampled_from(MAIN_PATH), parties_ready=st.booleans(), actions=st.lists(step, min_size=1, max_size=25))
def test_any_sequence_of_changes_keeps_the_invariants(url, start, parties_ready, actions):
    asyncio.run(run_sequence(url, start, parties_ready, actions))
