"""The case record on Referral: contact attempts, assessments, sessions, agreement, feedback, by who reads it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from strawberry import relay

from hub.agencies.models import AgencyKind
from hub.auth.scopes import Role
from hub.referrals.models import (
    ActionKind,
    ActionStatus,
    AgreementAction,
    Approach,
    Assessment,
    AssessmentOutcome,
    ContactAttempt,
    ContactMethod,
    DeclineReason,
    Feedback,
    OutcomeAgreement,
    ParticipantRole,
    Respondent,
    RestorativeSession,
    SessionStatus,
    Stage,
)
from tests.factories import (
    create_agency,
    create_client,
    create_facilitator,
    create_participant,
    create_referral,
    graphql,
    token_for,
)

CASE = """
query Case($reference: String!) {
  referral(reference: $reference) {
    reference stage approach declineReason declineNote
    participants { fullName }
    contactAttempts { participant { fullName } method successful attemptedAt recordedBy note }
    assessments { participant { fullName } outcome assessedOn reviewDate assessedBy notes }
    sessions { id approach scheduledFor location status heldAt notes }
    agreement { agreedOn notes actions { id kind description ownerRole dueOn status settledAt note } }
    feedback { respondent participant { fullName } satisfied wouldRecommend comments receivedAt }
  }
}
"""

SUBMITTED = datetime(2026, 3, 1, 9, tzinfo=UTC)


def at(days: int, hours: int = 0) -> datetime:
    return SUBMITTED + timedelta(days=days, hours=hours)


def gid(type_name: str, row_id) -> str:
    return str(relay.GlobalID(type_name, str(row_id)))


async def add(session, *rows):
    session.add_all(rows)
    await session.flush()
    return rows


@pytest.fixture
async def case(session):
    """A case in agreement monitoring, with every part of the record filled in."""
    police = await create_agency(session, AgencyKind.POLICE, "Essex Police — Colchester")
    service = await create_agency(session, AgencyKind.RJ_SERVICE, "Essex RJ Service")
    referral = await create_referral(
        session, police, stage=Stage.AGREEMENT_MONITORING, submitted_at=SUBMITTED, approach=Approach.LETTER_EXCHANGE
    )
    harmed = await create_participant(session, referral, ParticipantRole.HARMED, full_name="Dana Hughes")
    responsible = await create_participant(session, referral, ParticipantRole.RESPONSIBLE, full_name="Lee Carter")
    facilitator = await create_facilitator(session, referral)
    *_, meeting = await add(
        session,
        ContactAttempt(
            referral_id=referral.id,
            participant_id=harmed.id,
            method=ContactMethod.PHONE,
            successful=False,
            attempted_at=at(2),
            recorded_by="Jo Smith",
            note="No answer; voicemail left.",
        ),
        ContactAttempt(
            referral_id=referral.id,
            participant_id=responsible.id,
            method=ContactMethod.VIA_PRISON,
            successful=True,
            attempted_at=at(3),
        ),
        Assessment(
            referral_id=referral.id,
            participant_id=harmed.id,
            outcome=AssessmentOutcome.SAFE,
            assessed_on=date(2026, 3, 5),
            review_date=date(2026, 4, 5),
            assessed_by="Jo Smith",
            notes="Wants answers about why the hall.",
        ),
        Assessment(
            referral_id=referral.id,
            participant_id=responsible.id,
            outcome=AssessmentOutcome.NOT_SAFE,
            assessed_on=date(2026, 3, 4),
        ),
        RestorativeSession(
            referral_id=referral.id,
            approach=Approach.LETTER_EXCHANGE,
            scheduled_for=at(10),
            location="HMP Chelmsford",
            status=SessionStatus.HELD,
            held_at=at(10, 1),
            notes="Letter read aloud; apology accepted.",
        ),
    )
    (agreement,) = await add(
        session, OutcomeAgreement(referral_id=referral.id, agreed_on=date(2026, 3, 12), notes="Both parties content.")
    )
    actions = await add(
        session,
        AgreementAction(
            agreement_id=agreement.id,
            kind=ActionKind.REPAIR,
            description="Repaint the hall door.",
            owner_role=ParticipantRole.RESPONSIBLE,
            due_on=date(2026, 4, 30),
            position=1,
        ),
        AgreementAction(
            agreement_id=agreement.id,
            kind=ActionKind.APOLOGY,
            description="A written apology.",
            owner_role=ParticipantRole.RESPONSIBLE,
            status=ActionStatus.DONE,
            settled_at=at(12),
            note="Sent.",
            position=0,
        ),
    )
    await add(
        session,
        Feedback(
            referral_id=referral.id,
            respondent=Respondent.PARTICIPANT,
            participant_id=harmed.id,
            satisfied=True,
            comments="I got my answers.",
            received_at=at(20),
        ),
        Feedback(referral_id=referral.id, respondent=Respondent.REFERRER, would_recommend=True, received_at=at(21)),
    )
    return {
        "police": police,
        "service": service,
        "referral": referral,
        "facilitator": facilitator,
        "meeting": meeting,
        "actions": actions,
    }


def full_record(case) -> dict:
    """Every part of the case record, exactly as the service's staff read it."""
    repaint, apology = case["actions"]
    return {
        "reference": case["referral"].reference,
        "stage": "AGREEMENT_MONITORING",
        "approach": "LETTER_EXCHANGE",
        "declineReason": None,
        "declineNote": None,
        "participants": [{"fullName": "Dana Hughes"}, {"fullName": "Lee Carter"}],
        "contactAttempts": [
            {
                "participant": {"fullName": "Dana Hughes"},
                "method": "PHONE",
                "successful": False,
                "attemptedAt": "2026-03-03T09:00:00+00:00",
                "recordedBy": "Jo Smith",
                "note": "No answer; voicemail left.",
            },
            {
                "participant": {"fullName": "Lee Carter"},
                "method": "VIA_PRISON",
                "successful": True,
                "attemptedAt": "2026-03-04T09:00:00+00:00",
                "recordedBy": None,
                "note": None,
            },
        ],
        "assessments": [
            {
                "participant": {"fullName": "Lee Carter"},
                "outcome": "NOT_SAFE",
                "assessedOn": "2026-03-04",
                "reviewDate": None,
                "assessedBy": None,
                "notes": None,
            },
            {
                "participant": {"fullName": "Dana Hughes"},
                "outcome": "SAFE",
                "assessedOn": "2026-03-05",
                "reviewDate": "2026-04-05",
                "assessedBy": "Jo Smith",
                "notes": "Wants answers about why the hall.",
            },
        ],
        "sessions": [
            {
                "id": gid("RestorativeSession", case["meeting"].id),
                "approach": "LETTER_EXCHANGE",
                "scheduledFor": "2026-03-11T09:00:00+00:00",
                "location": "HMP Chelmsford",
                "status": "HELD",
                "heldAt": "2026-03-11T10:00:00+00:00",
                "notes": "Letter read aloud; apology accepted.",
            },
        ],
        "agreement": {
            "agreedOn": "2026-03-12",
            "notes": "Both parties content.",
            "actions": [
                {
                    "id": gid("AgreementAction", apology.id),
                    "kind": "APOLOGY",
                    "description": "A written apology.",
                    "ownerRole": "RESPONSIBLE",
                    "dueOn": None,
                    "status": "DONE",
                    "settledAt": "2026-03-13T09:00:00+00:00",
                    "note": "Sent.",
                },
                {
                    "id": gid("AgreementAction", repaint.id),
                    "kind": "REPAIR",
                    "description": "Repaint the hall door.",
                    "ownerRole": "RESPONSIBLE",
                    "dueOn": "2026-04-30",
                    "status": "PENDING",
                    "settledAt": None,
                    "note": None,
                },
            ],
        },
        "feedback": [
            {
                "respondent": "PARTICIPANT",
                "participant": {"fullName": "Dana Hughes"},
                "satisfied": True,
                "wouldRecommend": None,
                "comments": "I got my answers.",
                "receivedAt": "2026-03-21T09:00:00+00:00",
            },
            {
                "respondent": "REFERRER",
                "participant": None,
                "satisfied": None,
                "wouldRecommend": True,
                "comments": None,
                "receivedAt": "2026-03-22T09:00:00+00:00",
            },
        ],
    }


@pytest.fixture
def record(case) -> dict:
    return full_record(case)


async def read_case(http, token, case) -> dict:
    return await graphql(http, token, CASE, {"reference": case["referral"].reference})


def forbidden_paths(result: dict) -> list[list]:
    assert all(error["extensions"]["code"] == "FORBIDDEN" for error in result.get("errors", []))
    return sorted(error["path"] for error in result.get("errors", []))


async def test_the_manager_reads_the_whole_case_record(http, session, case, record):
    token = await token_for(http, await create_client(session, case["service"], {Role.MANAGER}))
    result = await read_case(http, token, case)
    assert "errors" not in result
    assert result["data"] == {"referral": record}


async def test_the_referrer_reads_the_agreement_but_none_of_the_case_work(http, session, case, record):
    token = await token_for(http, await create_client(session, case["police"], {Role.REFERRER}))
    result = await read_case(http, token, case)
    for field in ("contactAttempts", "assessments", "sessions", "feedback"):
        record[field] = None
    record["agreement"]["notes"] = None
    for action in record["agreement"]["actions"]:
        action["note"] = None
    assert result["data"] == {"referral": record}
    assert forbidden_paths(result) == [
        ["referral", "agreement", "actions", 0, "note"],
        ["referral", "agreement", "actions", 1, "note"],
        ["referral", "agreement", "notes"],
        ["referral", "assessments"],
        ["referral", "contactAttempts"],
        ["referral", "declineNote"],
        ["referral", "feedback"],
        ["referral", "sessions"],
    ]


async def test_the_allocated_facilitator_reads_the_case_work_but_not_feedback(http, session, case, record):
    issued = await create_client(session, case["service"], {Role.FACILITATOR}, facilitator=case["facilitator"])
    result = await read_case(http, await token_for(http, issued), case)
    record["feedback"] = None
    assert result["data"] == {"referral": record}
    assert forbidden_paths(result) == [["referral", "feedback"]]


async def test_a_facilitator_not_allocated_to_the_case_does_not_find_it(http, session, case):
    stranger = await create_facilitator(session)
    issued = await create_client(session, case["service"], {Role.FACILITATOR}, facilitator=stranger)
    result = await read_case(http, await token_for(http, issued), case)
    assert result["data"] == {"referral": None}
    assert [error["extensions"]["code"] for error in result["errors"]] == ["NOT_FOUND"]


async def test_a_new_case_has_an_empty_record(http, session, case):
    referral = await create_referral(session, case["police"])
    token = await token_for(http, await create_client(session, case["service"], {Role.COORDINATOR}))
    result = await graphql(http, token, CASE, {"reference": referral.reference})
    empty = {"contactAttempts": [], "assessments": [], "sessions": [], "agreement": None, "feedback": []}
    assert {key: result["data"]["referral"][key] for key in empty} == empty
    assert result["data"]["referral"]["approach"] is None
    assert "errors" not in result


async def test_the_referrer_reads_the_decline_reason_but_not_the_services_note(http, session, case):
    referral = await create_referral(
        session,
        case["police"],
        stage=Stage.DECLINED,
        submitted_at=SUBMITTED,
        closed_at=at(1),
        decline_reason=DeclineReason.OTHER,
        decline_note="The family has moved abroad.",
    )
    token = await token_for(http, await create_client(session, case["police"], {Role.REFERRER}))
    result = await graphql(http, token, CASE, {"reference": referral.reference})
    declined = result["data"]["referral"]
    assert (declined["stage"], declined["declineReason"], declined["declineNote"]) == ("DECLINED", "OTHER", None)
    denied = [
        (e["path"][-1], e["extensions"]["code"]) for e in result.get("errors", []) if e["path"][-1] == "declineNote"
    ]
    assert denied == [("declineNote", "FORBIDDEN")]
