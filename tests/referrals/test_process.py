"""A case walked from submission to CLOSED(RESOLVED) through the API only, in the natural order of the work."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from hub.agencies.models import AgencyKind
from hub.auth.scopes import Role
from hub.ids import global_id
from tests.factories import create_agency, create_client, create_facilitator, graphql, token_for
from tests.referrals.casework import done

SUBMISSION = {
    "agencyReference": "42/123456/26",
    "referrer": {"name": "PC Sam Taylor", "email": "sam.taylor@police.example.org", "phone": "01206 555 000"},
    "district": "Colchester",
    "incidentKind": "CRIME",
    "offenceCategory": "Criminal damage",
    "sensitivity": [],
    "reportedToPolice": True,
    "responsibilityAdmitted": True,
    "summary": "Windows of a community hall broken; the young man responsible wants to make amends.",
    "participants": [
        {
            "role": "HARMED",
            "fullName": "Morgan Ellis",
            "dateOfBirth": "1961-04-02",
            "contact": {"phone": "07700 900123", "email": "morgan@example.org", "address": "1 High St, Colchester"},
            "preferredContact": "PHONE",
        },
        {
            "role": "RESPONSIBLE",
            "fullName": "Jamie Price",
            "dateOfBirth": "2001-09-30",
            "custody": {"establishment": "HMP Chelmsford", "prisonNumber": "A1234BC"},
        },
    ],
}

CASE = """
query Case($id: ID!) {
  node(id: $id) {
    ... on Referral {
      stage version outcome closedAt
      participants { id role consent }
      stageHistory { from to note actor }
      facilitators { firstName }
      sessions { id status }
      agreement { actions { id status } }
    }
  }
}
"""


@pytest.fixture
async def service(http, session):
    """A police force that refers, and the RJ service's co-ordinator with a trained facilitator."""
    police = await create_agency(session, AgencyKind.POLICE, "Essex Police")
    rj = await create_agency(session, AgencyKind.RJ_SERVICE, "Essex RJ Service")
    facilitator = await create_facilitator(session, full_name="Robin Hale", sensitive_trained=True)
    return {
        "referrer": await token_for(http, await create_client(session, police, {Role.REFERRER})),
        "coordinator": await token_for(http, await create_client(session, rj, {Role.COORDINATOR})),
        "facilitator_client": await token_for(
            http, await create_client(session, rj, {Role.FACILITATOR}, facilitator=facilitator)
        ),
        "facilitator": facilitator,
    }


async def read(http, token, referral_id) -> dict:
    result = await graphql(http, token, CASE, {"id": referral_id})
    assert "errors" not in result, result
    return dict(result["data"]["node"])


async def test_a_case_walks_from_submission_to_resolved(http, service):
    staff, worker = service["coordinator"], service["facilitator_client"]
    referral = await done(http, service["referrer"], "submitReferral", **SUBMISSION)
    assert referral["stage"] == "RECEIVED" and referral["version"] == 1
    rid = referral["id"]

    def at(version: int, **fields) -> dict:
        return {"referralId": rid, "version": version, **fields}

    case = await done(http, staff, "acceptReferral", **at(1, note="Eligible: admitted, reported."))
    case = await done(
        http,
        staff,
        "allocateFacilitators",
        **at(case["version"], facilitatorIds=[global_id("Facilitator", service["facilitator"].id)]),
    )
    assert case["stage"] == "ALLOCATED"
    case = await done(http, staff, "advanceStage", **at(case["version"], to="CONTACT"))
    harmed, responsible = (p["id"] for p in (await read(http, staff, rid))["participants"])
    for person in (harmed, responsible):
        case = await done(
            http,
            worker,
            "recordContactAttempt",
            **at(case["version"], participantId=person, method="PHONE", successful=True),
        )
        case = await done(http, worker, "recordConsent", **at(case["version"], participantId=person, consent="GIVEN"))
    case = await done(http, staff, "advanceStage", **at(case["version"], to="ASSESSMENT"))
    today = datetime.now(UTC).date().isoformat()
    for person in (harmed, responsible):
        case = await done(
            http,
            worker,
            "recordAssessment",
            **at(case["version"], participantId=person, outcome="SAFE", assessedOn=today),
        )
    case = await done(
        http, staff, "advanceStage", **at(case["version"], to="PREPARATION", approach="FACE_TO_FACE_CONFERENCE")
    )
    soon = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    case = await done(
        http,
        worker,
        "scheduleSession",
        **at(case["version"], approach="FACE_TO_FACE_CONFERENCE", scheduledFor=soon, location="Colchester library"),
    )
    case = await done(http, staff, "advanceStage", **at(case["version"], to="RESTORATIVE_PROCESS"))
    (meeting,) = (await read(http, staff, rid))["sessions"]
    case = await done(
        http,
        worker,
        "recordSessionOutcome",
        **at(case["version"], sessionId=meeting["id"], status="HELD", note="Apology given."),
    )
    actions = [
        {"kind": "APOLOGY", "description": "Written apology to the hall committee", "ownerRole": "RESPONSIBLE"},
        {
            "kind": "REPAIR",
            "description": "Help repaint the hall",
            "ownerRole": "RESPONSIBLE",
            "dueOn": (date.today() + timedelta(days=30)).isoformat(),
        },
    ]
    case = await done(http, staff, "recordOutcomeAgreement", **at(case["version"], agreedOn=today, actions=actions))
    case = await done(http, staff, "advanceStage", **at(case["version"], to="AGREEMENT_MONITORING"))
    apology, repair = (a["id"] for a in (await read(http, staff, rid))["agreement"]["actions"])
    case = await done(http, worker, "updateAgreementAction", **at(case["version"], actionId=apology, status="DONE"))
    case = await done(
        http,
        worker,
        "updateAgreementAction",
        **at(case["version"], actionId=repair, status="WAIVED", note="Hall repainted by the council first."),
    )
    case = await done(
        http, staff, "closeReferral", **at(case["version"], outcome="RESOLVED", note="All actions settled.")
    )
    case = await done(
        http,
        staff,
        "recordFeedback",
        **at(case["version"], respondent="PARTICIPANT", participantId=harmed, satisfied=True),
    )

    final = await read(http, staff, rid)
    assert final["stage"] == "CLOSED" and final["outcome"] == "RESOLVED" and final["closedAt"]
    assert final["version"] == case["version"] == 21
    assert [(e["from"], e["to"]) for e in final["stageHistory"]] == [
        (None, "RECEIVED"),
        ("RECEIVED", "ACCEPTED"),
        ("ACCEPTED", "ALLOCATED"),
        ("ALLOCATED", "CONTACT"),
        ("CONTACT", "ASSESSMENT"),
        ("ASSESSMENT", "PREPARATION"),
        ("PREPARATION", "RESTORATIVE_PROCESS"),
        ("RESTORATIVE_PROCESS", "AGREEMENT_MONITORING"),
        ("AGREEMENT_MONITORING", "CLOSED"),
    ]
    assert final["stageHistory"][1]["note"] == "Eligible: admitted, reported."
    assert all(e["actor"] for e in final["stageHistory"])
    assert [p["consent"] for p in final["participants"]] == ["GIVEN", "GIVEN"]
    assert final["facilitators"] == [{"firstName": "Robin"}]
    assert [a["status"] for a in final["agreement"]["actions"]] == ["DONE", "WAIVED"]
