"""Each rule of DESIGN §2 refuses its change with a user error naming it, and the refused change writes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from hub.agencies.models import AgencyKind
from hub.auth.scopes import Role
from hub.ids import global_id
from hub.referrals.models import (
    ActionKind,
    ActionStatus,
    AgreementAction,
    Assessment,
    AssessmentOutcome,
    ConsentState,
    IncidentKind,
    OutcomeAgreement,
    ParticipantRole,
    Stage,
)
from tests.factories import (
    create_agency,
    create_client,
    create_facilitator,
    create_participant,
    create_referral,
    token_for,
)
from tests.referrals.casework import change, codes, done, payload, snapshot


@pytest.fixture
async def world(http, session):
    police = await create_agency(session, AgencyKind.POLICE, "Essex Police")
    other_police = await create_agency(session, AgencyKind.POLICE, "Kent Police")
    rj = await create_agency(session, AgencyKind.RJ_SERVICE, "Essex RJ Service")
    return {
        "police": police,
        "rj": rj,
        "referrer": await token_for(http, await create_client(session, police, {Role.REFERRER})),
        "other_referrer": await token_for(http, await create_client(session, other_police, {Role.REFERRER})),
        "staff": await token_for(http, await create_client(session, rj, {Role.COORDINATOR})),
        "auditor": await token_for(http, await create_client(session, rj, {Role.AUDITOR})),
    }


async def case_at(session, world, stage: Stage, *, ready: bool = True, **fields):
    """A referral at `stage` with a harmed and a responsible party, consented and assessed SAFE when ready."""
    referral = await create_referral(session, world["police"], stage=stage, **fields)
    consent = ConsentState.GIVEN if ready else ConsentState.PENDING
    harmed = await create_participant(session, referral, ParticipantRole.HARMED, consent=consent)
    responsible = await create_participant(session, referral, ParticipantRole.RESPONSIBLE, consent=consent)
    if ready:
        for person in (harmed, responsible):
            session.add(
                Assessment(
                    referral_id=referral.id,
                    participant_id=person.id,
                    outcome=AssessmentOutcome.SAFE,
                    assessed_on=date.today(),
                )
            )
        await session.flush()
    return referral, harmed, responsible


def rid(referral) -> str:
    return global_id("Referral", referral.id)


async def refused(http, session, token, name, code, **input) -> dict:
    """Call a mutation that must be refused with `code`, and prove that nothing changed."""
    before = await snapshot(session)
    result = await payload(http, token, name, **input)
    assert codes(result) == [code], result
    assert result["referral"] is None
    assert await snapshot(session) == before
    return result


async def test_an_illegal_transition_lists_the_allowed_next_stages(http, session, world):
    referral, *_ = await case_at(session, world, Stage.RECEIVED)
    result = await refused(
        http,
        session,
        world["staff"],
        "advanceStage",
        "ILLEGAL_TRANSITION",
        referralId=rid(referral),
        version=1,
        to="CONTACT",
    )
    (error,) = result["userErrors"]
    assert error["field"] == ["input", "to"]
    assert error["message"] == (
        "The case is at RECEIVED and cannot move to CONTACT. Allowed next stages: ACCEPTED, DECLINED, ON_HOLD, CLOSED."
    )


async def test_a_closed_case_allows_no_move(http, session, world):
    referral, *_ = await case_at(session, world, Stage.RECEIVED)
    await done(http, world["staff"], "declineReferral", referralId=rid(referral), version=1, reason="OUT_OF_AREA")
    result = await refused(
        http, session, world["staff"], "acceptReferral", "ILLEGAL_TRANSITION", referralId=rid(referral), version=2
    )
    assert "Allowed next stages: none" in result["userErrors"][0]["message"]


async def test_a_stale_version_is_refused_and_nothing_is_applied(http, session, world):
    referral, *_ = await case_at(session, world, Stage.RECEIVED)
    await done(http, world["staff"], "acceptReferral", referralId=rid(referral), version=1)
    result = await refused(
        http,
        session,
        world["staff"],
        "putOnHold",
        "STALE_VERSION",
        referralId=rid(referral),
        version=1,
        note="Awaiting sentencing",
    )
    assert result["userErrors"][0]["field"] == ["input", "version"]
    assert "version 2" in result["userErrors"][0]["message"]


async def test_a_crime_not_reported_to_the_police_cannot_be_accepted(http, session, world):
    referral, *_ = await case_at(session, world, Stage.RECEIVED, reported_to_police=False)
    await refused(
        http, session, world["staff"], "acceptReferral", "NOT_REPORTED_TO_POLICE", referralId=rid(referral), version=1
    )
    declined = await done(
        http, world["staff"], "declineReferral", referralId=rid(referral), version=1, reason="NOT_REPORTED_TO_POLICE"
    )
    assert declined["stage"] == "DECLINED"


async def test_a_neighbour_dispute_need_not_be_reported(http, session, world):
    referral, *_ = await case_at(
        session, world, Stage.RECEIVED, reported_to_police=False, incident_kind=IncidentKind.NEIGHBOUR_DISPUTE
    )
    assert (await done(http, world["staff"], "acceptReferral", referralId=rid(referral), version=1))[
        "stage"
    ] == "ACCEPTED"


async def test_declining_for_another_reason_needs_a_note(http, session, world):
    referral, *_ = await case_at(session, world, Stage.RECEIVED)
    result = await refused(
        http,
        session,
        world["staff"],
        "declineReferral",
        "REQUIRED",
        referralId=rid(referral),
        version=1,
        reason="OTHER",
    )
    assert result["userErrors"][0]["field"] == ["input", "note"]


@pytest.mark.parametrize("flag", ["SEXUAL_OFFENCE", "DOMESTIC_ABUSE", "HATE_CRIME", "HOMICIDE", "CHILD_INVOLVED"])
async def test_a_sensitive_case_needs_trained_facilitators(http, session, world, flag):
    referral, *_ = await case_at(session, world, Stage.ACCEPTED, sensitivity=[flag])
    untrained = await create_facilitator(session, sensitive_trained=False)
    trained = await create_facilitator(session, sensitive_trained=True)
    ids = [global_id("Facilitator", trained.id), global_id("Facilitator", untrained.id)]
    result = await refused(
        http,
        session,
        world["staff"],
        "allocateFacilitators",
        "FACILITATOR_NOT_TRAINED",
        referralId=rid(referral),
        version=1,
        facilitatorIds=ids,
    )
    assert result["userErrors"][0]["field"] == ["input", "facilitatorIds", "1"]
    assert flag in result["userErrors"][0]["message"]
    allocated = await done(
        http, world["staff"], "allocateFacilitators", referralId=rid(referral), version=1, facilitatorIds=ids[:1]
    )
    assert allocated["stage"] == "ALLOCATED"


async def test_a_child_participant_makes_the_case_sensitive_without_a_flag(http, session, world):
    referral, *_ = await case_at(session, world, Stage.ACCEPTED)
    await create_participant(
        session, referral, ParticipantRole.RESPONSIBLE, date_of_birth=date.today() - timedelta(days=15 * 365)
    )
    untrained = await create_facilitator(session, sensitive_trained=False)
    await refused(
        http,
        session,
        world["staff"],
        "allocateFacilitators",
        "FACILITATOR_NOT_TRAINED",
        referralId=rid(referral),
        version=1,
        facilitatorIds=[global_id("Facilitator", untrained.id)],
    )


async def test_no_preparation_or_session_until_every_party_consented_and_is_safe(http, session, world):
    referral, harmed, responsible = await case_at(session, world, Stage.ASSESSMENT, ready=False)
    session.add(
        Assessment(
            referral_id=referral.id, participant_id=harmed.id, outcome=AssessmentOutcome.SAFE, assessed_on=date.today()
        )
    )
    session.add(
        Assessment(
            referral_id=referral.id,
            participant_id=responsible.id,
            outcome=AssessmentOutcome.NOT_SAFE,
            assessed_on=date.today(),
        )
    )
    harmed.consent = ConsentState.GIVEN
    session.add(harmed)
    await session.flush()
    result = await refused(
        http,
        session,
        world["staff"],
        "advanceStage",
        "PARTIES_NOT_READY",
        referralId=rid(referral),
        version=1,
        to="PREPARATION",
    )
    message = result["userErrors"][0]["message"]
    assert f"{responsible.full_name} (RESPONSIBLE): consent is PENDING, last assessed NOT_SAFE" in message
    assert harmed.full_name not in message


async def test_a_session_cannot_be_scheduled_before_everyone_is_safe(http, session, world):
    referral, harmed, _ = await case_at(session, world, Stage.PREPARATION)
    session.add(
        Assessment(
            referral_id=referral.id,
            participant_id=harmed.id,
            outcome=AssessmentOutcome.NOT_SAFE,
            assessed_on=date.today() + timedelta(days=0),
            recorded_at=datetime.now(UTC) + timedelta(seconds=1),
        )
    )
    await session.flush()
    soon = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    await refused(
        http,
        session,
        world["staff"],
        "scheduleSession",
        "PARTIES_NOT_READY",
        referralId=rid(referral),
        version=1,
        approach="LETTER_EXCHANGE",
        scheduledFor=soon,
    )


async def test_a_withdrawn_party_no_longer_counts_towards_readiness(http, session, world):
    referral, *_ = await case_at(session, world, Stage.PREPARATION)
    supporter = await create_participant(session, referral, ParticipantRole.HARMED, consent=ConsentState.PENDING)
    soon = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    await refused(
        http,
        session,
        world["staff"],
        "scheduleSession",
        "PARTIES_NOT_READY",
        referralId=rid(referral),
        version=1,
        approach="LETTER_EXCHANGE",
        scheduledFor=soon,
    )
    case = await done(
        http,
        world["staff"],
        "withdrawParticipant",
        referralId=rid(referral),
        version=1,
        participantId=global_id("Participant", supporter.id),
    )
    assert case["stage"] == "PREPARATION"
    case = await done(
        http,
        world["staff"],
        "scheduleSession",
        referralId=rid(referral),
        version=2,
        approach="LETTER_EXCHANGE",
        scheduledFor=soon,
    )
    assert case["version"] == 3


@pytest.mark.parametrize(
    ("role", "outcome"),
    [
        (ParticipantRole.HARMED, "WITHDRAWN_BY_HARMED_PARTY"),
        (ParticipantRole.RESPONSIBLE, "WITHDRAWN_BY_RESPONSIBLE_PARTY"),
    ],
)
async def test_withdrawal_of_a_party_closes_the_case(http, session, world, role, outcome):
    referral, harmed, responsible = await case_at(session, world, Stage.CONTACT)
    person = harmed if role == ParticipantRole.HARMED else responsible
    case = await done(
        http,
        world["staff"],
        "withdrawParticipant",
        referralId=rid(referral),
        version=1,
        participantId=global_id("Participant", person.id),
        note="No longer wishes to take part.",
    )
    assert (case["stage"], case["outcome"], case["version"]) == ("CLOSED", outcome, 2)


async def test_closing_needs_an_outcome(http, session, world):
    referral, *_ = await case_at(session, world, Stage.CONTACT)
    result = await change(http, world["staff"], "closeReferral", referralId=rid(referral), version=1)
    assert result["data"] is None and "outcome" in result["errors"][0]["message"]
    await refused(
        http, session, world["staff"], "advanceStage", "REQUIRED", referralId=rid(referral), version=1, to="CLOSED"
    )


async def test_a_positive_outcome_needs_the_restorative_process(http, session, world):
    referral, *_ = await case_at(session, world, Stage.CONTACT)
    await refused(
        http,
        session,
        world["staff"],
        "closeReferral",
        "OUTCOME_NOT_ALLOWED",
        referralId=rid(referral),
        version=1,
        outcome="RESOLVED",
    )
    closed = await done(
        http, world["staff"], "closeReferral", referralId=rid(referral), version=1, outcome="NO_CONTACT"
    )
    assert closed["outcome"] == "NO_CONTACT"


async def test_resolved_needs_every_action_done_or_waived(http, session, world):
    referral, *_ = await case_at(session, world, Stage.AGREEMENT_MONITORING)
    agreement = OutcomeAgreement(referral_id=referral.id, agreed_on=date.today())
    session.add(agreement)
    await session.flush()
    statuses = [ActionStatus.DONE, ActionStatus.MISSED]
    for position, status in enumerate(statuses):
        session.add(
            AgreementAction(
                agreement_id=agreement.id,
                kind=ActionKind.APOLOGY,
                description=f"Action {position}",
                owner_role=ParticipantRole.RESPONSIBLE,
                status=status,
                settled_at=datetime.now(UTC),
                position=position,
            )
        )
    await session.flush()
    result = await refused(
        http,
        session,
        world["staff"],
        "closeReferral",
        "AGREEMENT_ACTIONS_OPEN",
        referralId=rid(referral),
        version=1,
        outcome="RESOLVED",
    )
    assert "Action 1 (MISSED)" in result["userErrors"][0]["message"]
    partial = await done(
        http, world["staff"], "closeReferral", referralId=rid(referral), version=1, outcome="PARTIALLY_RESOLVED"
    )
    assert partial["outcome"] == "PARTIALLY_RESOLVED"


async def test_on_hold_resumes_to_the_stage_it_left(http, session, world):
    referral, *_ = await case_at(session, world, Stage.ASSESSMENT)
    await refused(http, session, world["staff"], "putOnHold", "REQUIRED", referralId=rid(referral), version=1)
    held = await done(
        http, world["staff"], "putOnHold", referralId=rid(referral), version=1, note="Awaiting sentencing."
    )
    assert held["stage"] == "ON_HOLD"
    await refused(
        http,
        session,
        world["staff"],
        "advanceStage",
        "ILLEGAL_TRANSITION",
        referralId=rid(referral),
        version=2,
        to="PREPARATION",
    )
    back = await done(http, world["staff"], "resume", referralId=rid(referral), version=2)
    assert (back["stage"], back["version"]) == ("ASSESSMENT", 3)
    await refused(http, session, world["staff"], "resume", "ILLEGAL_TRANSITION", referralId=rid(referral), version=3)


# Who may call what


@pytest.mark.parametrize(
    ("token", "name", "fields"),
    [
        ("referrer", "acceptReferral", {}),
        ("referrer", "closeReferral", {"outcome": "UNSUITABLE"}),
        ("auditor", "withdrawReferral", {}),
        ("auditor", "recordContactAttempt", {"participantId": "x", "method": "PHONE", "successful": True}),
        ("facilitator", "acceptReferral", {}),
        ("facilitator", "withdrawReferral", {}),
    ],
)
async def test_a_mutation_the_caller_may_not_call_is_forbidden_and_changes_nothing(
    http, session, world, token, name, fields
):
    referral, *_ = await case_at(session, world, Stage.RECEIVED)
    if token == "facilitator":
        person = await create_facilitator(session, referral)
        world["facilitator"] = await token_for(
            http, await create_client(session, world["rj"], {Role.FACILITATOR}, facilitator=person)
        )
    before = await snapshot(session)
    result = await change(http, world[token], name, referralId=rid(referral), version=1, **fields)
    assert result["data"] == {name: None}
    assert [e["extensions"]["code"] for e in result["errors"]] == ["FORBIDDEN"]
    assert await snapshot(session) == before


async def test_a_facilitator_works_only_the_cases_allocated_to_them(http, session, world):
    mine, harmed, _ = await case_at(session, world, Stage.CONTACT)
    theirs, their_harmed, _ = await case_at(session, world, Stage.CONTACT)
    person = await create_facilitator(session, mine)
    token = await token_for(http, await create_client(session, world["rj"], {Role.FACILITATOR}, facilitator=person))
    attempt = {"method": "PHONE", "successful": False}
    await refused(
        http,
        session,
        token,
        "recordContactAttempt",
        "NOT_FOUND",
        referralId=rid(theirs),
        version=1,
        participantId=global_id("Participant", their_harmed.id),
        **attempt,
    )
    case = await done(
        http,
        token,
        "recordContactAttempt",
        referralId=rid(mine),
        version=1,
        participantId=global_id("Participant", harmed.id),
        **attempt,
    )
    assert case["version"] == 2


async def test_a_referrer_withdraws_its_own_referral_only(http, session, world):
    referral, *_ = await case_at(session, world, Stage.ACCEPTED)
    await refused(
        http, session, world["other_referrer"], "withdrawReferral", "NOT_FOUND", referralId=rid(referral), version=1
    )
    case = await done(
        http, world["referrer"], "withdrawReferral", referralId=rid(referral), version=1, note="Victim moved away."
    )
    assert (case["stage"], case["outcome"]) == ("CLOSED", "WITHDRAWN_BY_REFERRER")


async def test_a_participant_of_another_case_is_not_found(http, session, world):
    referral, *_ = await case_at(session, world, Stage.CONTACT)
    _, stranger, _ = await case_at(session, world, Stage.CONTACT)
    result = await refused(
        http,
        session,
        world["staff"],
        "recordConsent",
        "NOT_FOUND",
        referralId=rid(referral),
        version=1,
        participantId=global_id("Participant", stranger.id),
        consent="GIVEN",
    )
    assert result["userErrors"][0]["field"] == ["input", "participantId"]


async def test_an_id_of_another_type_is_refused(http, session, world):
    referral, *_ = await case_at(session, world, Stage.RECEIVED)
    result = await refused(
        http,
        session,
        world["staff"],
        "acceptReferral",
        "INVALID",
        referralId=global_id("Participant", referral.id),
        version=1,
    )
    assert result["userErrors"][0]["field"] == ["input", "referralId"]
