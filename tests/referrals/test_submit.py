"""submitReferral: every field checked with its path, idempotent on the agency reference, nothing half-written."""

from __future__ import annotations

import copy
import re
from datetime import date, timedelta

import pytest

from hub.agencies.models import AgencyKind
from hub.auth.scopes import Role
from tests.factories import create_agency, create_client, graphql, token_for
from tests.referrals.casework import done, payload, snapshot
from tests.referrals.test_process import SUBMISSION

SUBMIT = """
mutation Submit($input: SubmitReferralInput!) {
  submitReferral(input: $input) {
    created
    referral {
      reference agencyReference stage version district incidentKind offenceCategory sensitivity
      reportedToPolice responsibilityAdmitted summary referrer { name email phone } referringAgency { name }
      participants { role fullName dateOfBirth isChild custody { establishment prisonNumber } }
      stageHistory { from to }
    }
    userErrors { field message code }
  }
}
"""


@pytest.fixture
async def police(http, session):
    agency = await create_agency(session, AgencyKind.POLICE, "Essex Police")
    return await token_for(http, await create_client(session, agency, {Role.REFERRER}))


def submission(**changes) -> dict:
    given = copy.deepcopy(SUBMISSION)
    given.update(changes)
    return given


async def submit(http, token, given) -> dict:
    result = await graphql(http, token, SUBMIT, {"input": given})
    assert "errors" not in result, result
    return dict(result["data"]["submitReferral"])


async def test_a_referral_is_recorded_with_a_hub_reference(http, police):
    result = await submit(http, police, submission())
    assert result["userErrors"] == [] and result["created"] is True
    referral = result["referral"]
    assert re.fullmatch(rf"RJ-{date.today().year}-\d{{6}}", referral["reference"])
    assert referral | {"reference": None} == {
        "reference": None,
        "agencyReference": "42/123456/26",
        "stage": "RECEIVED",
        "version": 1,
        "district": "Colchester",
        "incidentKind": "CRIME",
        "offenceCategory": "Criminal damage",
        "sensitivity": [],
        "reportedToPolice": True,
        "responsibilityAdmitted": True,
        "summary": SUBMISSION["summary"],
        "referrer": {"name": "PC Sam Taylor", "email": "sam.taylor@police.example.org", "phone": "01206 555 000"},
        "referringAgency": {"name": "Essex Police"},
        "participants": [
            {
                "role": "HARMED",
                "fullName": "Morgan Ellis",
                "dateOfBirth": "1961-04-02",
                "isChild": False,
                "custody": None,
            },
            {
                "role": "RESPONSIBLE",
                "fullName": "Jamie Price",
                "dateOfBirth": "2001-09-30",
                "isChild": False,
                "custody": {"establishment": "HMP Chelmsford", "prisonNumber": "A1234BC"},
            },
        ],
        "stageHistory": [{"from": None, "to": "RECEIVED"}],
    }


async def test_resubmitting_the_same_content_returns_the_same_referral(http, session, police):
    first = await submit(http, police, submission())
    before = await snapshot(session)
    again = await submit(http, police, submission(summary="  " + SUBMISSION["summary"] + " "))
    assert again["created"] is False and again["userErrors"] == []
    assert again["referral"]["reference"] == first["referral"]["reference"]
    assert await snapshot(session) == before


async def test_the_same_reference_with_different_content_is_a_duplicate(http, session, police):
    first = await submit(http, police, submission())
    before = await snapshot(session)
    result = await submit(http, police, submission(district="Southend"))
    assert result["referral"] is None
    (error,) = result["userErrors"]
    assert (error["field"], error["code"]) == (["input", "agencyReference"], "DUPLICATE_AGENCY_REFERENCE")
    assert first["referral"]["reference"] in error["message"]
    assert await snapshot(session) == before


async def test_another_agency_may_use_the_same_reference(http, session, police):
    await submit(http, police, submission())
    other = await create_agency(session, AgencyKind.POLICE, "Kent Police")
    token = await token_for(http, await create_client(session, other, {Role.REFERRER}))
    assert (await submit(http, token, submission()))["created"] is True


async def test_a_child_is_flagged_from_the_date_of_birth(http, police):
    people = copy.deepcopy(SUBMISSION["participants"])
    people[1]["dateOfBirth"] = (date.today() - timedelta(days=365 * 14)).isoformat()
    referral = (await submit(http, police, submission(participants=people)))["referral"]
    assert referral["sensitivity"] == ["CHILD_INVOLVED"]
    assert [p["isChild"] for p in referral["participants"]] == [False, True]


async def test_every_invalid_field_is_reported_with_its_path_and_nothing_is_written(http, session, police):
    people = copy.deepcopy(SUBMISSION["participants"])
    people[0]["dateOfBirth"] = (date.today() + timedelta(days=1)).isoformat()
    people[0]["contact"]["email"] = "morgan-at-example.org"
    people[0]["contact"]["phone"] = "call me"
    people[0]["fullName"] = "   "
    people[1]["role"] = "SUPPORTER"
    people[1]["custody"] = {"establishment": "", "prisonNumber": "A12-34"}
    given = submission(
        agencyReference="",
        summary="x" * 4001,
        referrer={"name": "PC Sam Taylor", "email": "sam@"},
        participants=people,
    )
    before = await snapshot(session)
    result = await submit(http, police, given)
    assert result["referral"] is None
    found = {(".".join(e["field"]), e["code"]) for e in result["userErrors"]}
    assert found == {
        ("input.agencyReference", "REQUIRED"),
        ("input.referrer.email", "INVALID"),
        ("input.summary", "TOO_LONG"),
        ("input.participants.0.dateOfBirth", "IN_FUTURE"),
        ("input.participants.0.fullName", "REQUIRED"),
        ("input.participants.0.contact.phone", "INVALID"),
        ("input.participants.0.contact.email", "INVALID"),
        ("input.participants.1.custody.establishment", "REQUIRED"),
        ("input.participants.1.custody.prisonNumber", "INVALID"),
        ("input.participants", "REQUIRED"),
    }
    messages = {".".join(e["field"]): e["message"] for e in result["userErrors"]}
    assert messages["input.summary"] == "This is 4001 characters long; at most 4000 are allowed."
    assert messages["input.participants"] == (
        "A referral needs at least one responsible party: add a participant with role RESPONSIBLE."
    )
    assert "in the future" in messages["input.participants.0.dateOfBirth"]
    assert await snapshot(session) == before


async def test_service_staff_record_a_self_referral(http, session):
    rj = await create_agency(session, AgencyKind.RJ_SERVICE, "Essex RJ Service")
    token = await token_for(http, await create_client(session, rj, {Role.COORDINATOR}))
    referral = await done(http, token, "submitReferral", **submission(agencyReference="SELF-2026-001"))
    assert referral["stage"] == "RECEIVED"


async def test_an_auditor_may_not_submit(http, session):
    rj = await create_agency(session, AgencyKind.RJ_SERVICE, "Essex RJ Service")
    token = await token_for(http, await create_client(session, rj, {Role.AUDITOR}))
    before = await snapshot(session)
    result = await graphql(http, token, SUBMIT, {"input": submission()})
    assert result["data"] == {"submitReferral": None}
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await snapshot(session) == before


async def test_payload_helper_reads_user_errors(http, police):
    result = await payload(http, police, "submitReferral", **submission(participants=[]))
    assert [e["code"] for e in result["userErrors"]] == ["REQUIRED", "REQUIRED"]
