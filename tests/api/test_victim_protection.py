"""DESIGN §4's rules that protect people, spelled out one by one in words a reviewer can check."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from hub.agencies.models import AgencyKind
from hub.auth.scopes import Role
from hub.ids import global_id
from hub.referrals.models import Assessment, AssessmentOutcome, ParticipantRole, StageEvent
from tests.factories import (
    create_agency,
    create_client,
    create_facilitator,
    create_participant,
    create_referral,
    graphql,
    token_for,
)

PARTIES = """
query Parties($id: ID!) {
  node(id: $id) {
    ... on Referral {
      participants {
        role fullName dateOfBirth needs { accessibility } contact { phone address } custody { prisonNumber }
      }
    }
  }
}
"""

CASE_WORK = """
query CaseWork($id: ID!) {
  node(id: $id) {
    ... on Referral { reference stage assessments { outcome } sessions { notes } stageHistory { to note actor } }
  }
}
"""


async def case_from(session, agency):
    referral = await create_referral(session, agency)
    harmed = await create_participant(session, referral, ParticipantRole.HARMED, accessibility_needs="Hearing loop")
    responsible = await create_participant(
        session,
        referral,
        ParticipantRole.RESPONSIBLE,
        accessibility_needs="Reading support",
        custody_establishment="HMP Chelmsford",
        prison_number="A1234BC",
    )
    return referral, harmed, responsible


def forbidden_paths(result) -> set[tuple]:
    assert {e["extensions"]["code"] for e in result.get("errors", [])} <= {"FORBIDDEN"}
    return {tuple(e["path"]) for e in result.get("errors", [])}


@pytest.mark.parametrize("kind", [AgencyKind.PRISON, AgencyKind.PROBATION, AgencyKind.YOUTH_OFFENDING])
async def test_an_agency_working_with_the_responsible_party_never_sees_the_harmed_partys_details(http, session, kind):
    """Not even on a referral it made itself: no contact details, address, date of birth or needs."""
    agency = await create_agency(session, kind)
    referral, _, _ = await case_from(session, agency)
    token = await token_for(http, await create_client(session, agency, {Role.REFERRER}))
    result = await graphql(http, token, PARTIES, {"id": global_id("Referral", referral.id)})
    harmed, responsible = result["data"]["node"]["participants"]
    assert (harmed["dateOfBirth"], harmed["needs"], harmed["contact"]) == (None, None, None)
    assert harmed["fullName"] and harmed["role"] == "HARMED"
    assert responsible["dateOfBirth"] == "1980-05-17"
    assert responsible["needs"] == {"accessibility": "Reading support"}
    assert responsible["custody"] == {"prisonNumber": "A1234BC"}
    base = ("node", "participants")
    assert forbidden_paths(result) == {
        (*base, 0, "dateOfBirth"),
        (*base, 0, "needs"),
        (*base, 0, "contact"),
        (*base, 1, "contact"),  # no referrer is ever sent contact details back
    }


async def test_a_police_referrer_sees_dates_of_birth_and_needs_but_never_contact_details(http, session):
    agency = await create_agency(session, AgencyKind.POLICE)
    referral, _, _ = await case_from(session, agency)
    token = await token_for(http, await create_client(session, agency, {Role.REFERRER}))
    result = await graphql(http, token, PARTIES, {"id": global_id("Referral", referral.id)})
    harmed, responsible = result["data"]["node"]["participants"]
    assert harmed["dateOfBirth"] == "1980-05-17" and harmed["needs"] == {"accessibility": "Hearing loop"}
    assert harmed["contact"] is None and responsible["contact"] is None
    assert forbidden_paths(result) == {("node", "participants", 0, "contact"), ("node", "participants", 1, "contact")}


async def test_a_referrer_never_sees_assessments_session_notes_or_stage_notes(http, session):
    agency = await create_agency(session, AgencyKind.POLICE)
    referral, harmed, _ = await case_from(session, agency)
    session.add(
        Assessment(
            referral_id=referral.id,
            participant_id=harmed.id,
            outcome=AssessmentOutcome.NOT_SAFE,
            assessed_on=date.today(),
        )
    )
    session.add(
        StageEvent(
            referral_id=referral.id,
            from_stage="RECEIVED",
            to_stage="ACCEPTED",
            at=datetime.now(UTC),
            actor_name="Alex",
            note="Victim frightened.",
        )
    )
    await session.flush()
    token = await token_for(http, await create_client(session, agency, {Role.REFERRER}))
    result = await graphql(http, token, CASE_WORK, {"id": global_id("Referral", referral.id)})
    case = result["data"]["node"]
    assert (case["assessments"], case["sessions"]) == (None, None)
    assert [(e["to"], e["note"], e["actor"]) for e in case["stageHistory"]] == [
        ("RECEIVED", None, None),
        ("ACCEPTED", None, None),
    ]
    assert "Victim frightened." not in str(result)
    assert forbidden_paths(result) == {
        ("node", "assessments"),
        ("node", "sessions"),
        *{("node", "stageHistory", i, field) for i in (0, 1) for field in ("note", "actor")},
    }


async def test_a_facilitator_sees_only_the_cases_allocated_to_them_and_all_the_work_on_those(http, session):
    police = await create_agency(session, AgencyKind.POLICE)
    rj = await create_agency(session, AgencyKind.RJ_SERVICE)
    mine, _, _ = await case_from(session, police)
    other, _, _ = await case_from(session, police)
    person = await create_facilitator(session, mine)
    token = await token_for(http, await create_client(session, rj, {Role.FACILITATOR}, facilitator=person))
    listed = await graphql(http, token, "{ referrals { edges { node { reference } } } }")
    assert [e["node"]["reference"] for e in listed["data"]["referrals"]["edges"]] == [mine.reference]
    result = await graphql(http, token, PARTIES, {"id": global_id("Referral", mine.id)})
    assert "errors" not in result
    assert [p["contact"]["phone"] for p in result["data"]["node"]["participants"]] == ["07700 900123"] * 2
    unseen = await graphql(http, token, PARTIES, {"id": global_id("Referral", other.id)})
    assert unseen["data"] == {"node": None} and unseen["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_a_record_you_may_not_see_is_not_found_everywhere_never_forbidden(http, session):
    mine = await create_agency(session, AgencyKind.POLICE)
    theirs = await create_agency(session, AgencyKind.POLICE)
    referral, harmed, _ = await case_from(session, theirs)
    token = await token_for(http, await create_client(session, mine, {Role.REFERRER}))
    referral_id, participant_id = global_id("Referral", referral.id), global_id("Participant", harmed.id)
    answers = [
        await graphql(http, token, "query($id: ID!) { node(id: $id) { id } }", {"id": referral_id}),
        await graphql(http, token, "query($id: ID!) { node(id: $id) { id } }", {"id": participant_id}),
        await graphql(
            http, token, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [referral_id, participant_id]}
        ),
        await graphql(http, token, "query($r: String!) { referral(reference: $r) { id } }", {"r": referral.reference}),
    ]
    for answer in answers:
        assert {e["extensions"]["code"] for e in answer["errors"]} == {"NOT_FOUND"}
        assert all(value in (None, [None, None]) for value in answer["data"].values())
    listed = await graphql(http, token, "{ referrals { edges { node { id } } } }")
    assert listed["data"]["referrals"]["edges"] == []


async def test_a_global_id_of_one_type_never_fetches_an_object_of_another(http, session):
    agency = await create_agency(session, AgencyKind.POLICE)
    referral, _, _ = await case_from(session, agency)
    rj = await create_agency(session, AgencyKind.RJ_SERVICE)
    token = await token_for(http, await create_client(session, rj, {Role.MANAGER}))
    disguised = global_id("Participant", referral.id)
    result = await graphql(http, token, "query($id: ID!) { node(id: $id) { id } }", {"id": disguised})
    assert result["data"] == {"node": None} and result["errors"][0]["extensions"]["code"] == "NOT_FOUND"
