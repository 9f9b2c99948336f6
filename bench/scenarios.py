"""The five measured operations, each as the hub's GraphQL request and the bare route that reads the same rows.

A scenario turns into a `Plan` per side: the HTTP requests the load generator sends (a fixed list it cycles
through, a list it sends once in order, or a template whose marker takes a unique value per request) and how it
tells a good answer from a failure.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from bench.dataset import ADVANCE_STEPS, POOL_VERSION, Dataset

HUB, BARE = "hub", "bare"
MARKER = "@@N@@"  # replaced by a unique value per request
# A GraphQL answer is a failure when it has errors; a mutation's also when userErrors is not empty.
NO_ERRORS = ['"errors"']
NO_USER_ERRORS = ['"userErrors": []', '"userErrors":[]']

MY_REFERRALS = """
query MyNewestReferrals($first: Int!) {
  referrals(first: $first) {
    edges { node { id reference agencyReference stage version outcome submittedAt updatedAt
                   stageHistory { from to at } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
CASE = """
query Case($id: ID!) {
  node(id: $id) {
    ... on Referral {
      id reference agencyReference district incidentKind offenceCategory sensitivity reportedToPolice
      responsibilityAdmitted summary stage version approach outcome declineReason declineNote
      submittedAt updatedAt closedAt
      referringAgency { id name kind }
      referrer { name email phone }
      participants { id role fullName dateOfBirth isChild contact { phone email address } preferredContact
                     needs { interpreterLanguage accessibility } custody { establishment prisonNumber }
                     consent withdrawnAt }
      stageHistory { from to at note actor }
      facilitators { id firstName fullName email accreditation }
      contactAttempts { method successful attemptedAt recordedBy note participant { id } }
      assessments { outcome assessedOn reviewDate assessedBy notes participant { id } }
      sessions { id approach scheduledFor location status heldAt notes }
      agreement { agreedOn notes actions { id kind description ownerRole dueOn status settledAt note } }
      feedback { respondent satisfied wouldRecommend comments receivedAt participant { id } }
    }
  }
}"""
SUBMIT = """
mutation Submit($input: SubmitReferralInput!) {
  submitReferral(input: $input) {
    created
    referral { id reference agencyReference stage version submittedAt }
    userErrors { field message code }
  }
}"""
ADVANCE = """
mutation Advance($input: AdvanceStageInput!) {
  advanceStage(input: $input) {
    referral { id stage version }
    userErrors { field message code }
  }
}"""
FIGURES = """
  from to referralsReceived referralsAccepted referralsDeclined harmedPartiesContacted casesClosed positiveOutcomes
  participantSatisfactionRate participantFeedbackCount referrerRecommendationRate referrerFeedbackCount volunteerHours
  referralsBySource { agencyKind count }
  referralsByAgency { agency { id name } count }
  referralsByDistrict { district count }
  declinedByReason { reason count }
  outcomes { outcome count }
"""
STATISTICS = f"""
query Statistics($from: Date!, $to: Date!) {{
  serviceStatistics(from: $from, to: $to) {{
    {FIGURES}
    previousPeriod {{ {FIGURES} }}
  }}
}}"""


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str


SCENARIOS = (
    Scenario("a", "partner's 50 newest referrals + stage history"),
    Scenario("b", "one referral by id, all a co-ordinator sees"),
    Scenario("c", "submitReferral"),
    Scenario("d", "advanceStage"),
    Scenario("e", "serviceStatistics for a year"),
)


@dataclass
class Plan:
    """What the load generator sends for one scenario on one side, and how it checks each answer."""

    method: str
    headers: dict[str, str]
    requests: list[tuple[str, str]]  # (path, body)
    mode: str = "cycle"  # cycle | once | unique (MARKER in path or body takes a unique value per request)
    reject: list[str] = field(default_factory=list)  # an answer holding any of these failed
    expect_any: list[str] = field(default_factory=list)  # a good answer holds one of these (if given)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Context:
    """What the plans are made from: the data set and the bearer tokens."""

    dataset: Dataset
    referrer_token: str = ""
    staff_token: str = ""
    today: date = field(default_factory=date.today)

    @property
    def year(self) -> tuple[date, date]:
        return self.today - timedelta(days=365), self.today


def graphql(query: str, variables: dict[str, Any]) -> str:
    return json.dumps({"query": query, "variables": variables}, separators=(",", ":"))


def hub_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def referral_global_id(row_id: Any) -> str:
    import base64

    return base64.b64encode(f"Referral:{row_id}".encode()).decode()


def submission(agency_reference: str) -> dict[str, Any]:
    """A realistic referral from the partner police agency: a harmed party, a responsible party and a supporter."""
    return {
        "agencyReference": agency_reference,
        "referrer": {"name": "PC Jade Walsh", "email": "jade.walsh@police.example.org", "phone": "01632 960001"},
        "district": "Colchester",
        "incidentKind": "CRIME",
        "offenceCategory": "Criminal damage",
        "sensitivity": [],
        "reportedToPolice": True,
        "responsibilityAdmitted": True,
        "summary": "The windows of a community café in Colchester were smashed late at night. The responsible "
        "party was identified on CCTV and has admitted the damage.",
        "participants": [
            {
                "role": "HARMED",
                "fullName": "Grace Okafor",
                "dateOfBirth": "1971-04-12",
                "contact": {"phone": "07700 900123", "email": "grace.okafor@example.net", "address": "4 Mill Lane"},
                "preferredContact": "PHONE",
            },
            {
                "role": "RESPONSIBLE",
                "fullName": "Liam Turner",
                "dateOfBirth": "1999-09-30",
                "contact": {"phone": "07700 900456", "address": "17 Station Road, Colchester"},
                "preferredContact": "LETTER",
                "needs": {"accessibility": "Dyslexic: plain-language letters."},
            },
            {"role": "SUPPORTER", "fullName": "Maya Turner", "contact": {"phone": "07700 900789"}},
        ],
    }


def advance_requests(ids: Sequence[Any], to_body: Any) -> list[tuple[str, str]]:
    """Every pool referral to CONTACT, then every one to ASSESSMENT: a referral's second move is sent long after
    its first was answered, so each request carries the version the referral is at."""
    return [to_body(row_id, POOL_VERSION + step, stage) for step, stage in enumerate(ADVANCE_STEPS) for row_id in ids]


def plan(scenario: str, side: str, context: Context) -> Plan:
    """The requests of one scenario on one side."""
    return (_hub_plan if side == HUB else _bare_plan)(scenario, context)


def _hub_plan(scenario: str, context: Context) -> Plan:
    data = context.dataset
    referrer, staff = hub_headers(context.referrer_token), hub_headers(context.staff_token)
    if scenario == "a":
        return Plan("POST", referrer, [("/graphql", graphql(MY_REFERRALS, {"first": 50}))], reject=NO_ERRORS)
    if scenario == "b":
        bodies = [("/graphql", graphql(CASE, {"id": referral_global_id(i)})) for i in data.case_ids]
        return Plan("POST", staff, bodies, reject=NO_ERRORS)
    if scenario == "c":
        body = graphql(SUBMIT, {"input": submission(f"BENCH/{MARKER}")})
        return Plan("POST", referrer, [("/graphql", body)], "unique", NO_ERRORS, NO_USER_ERRORS)
    if scenario == "d":

        def advance(row_id: Any, version: int, stage: str) -> tuple[str, str]:
            given = {"referralId": referral_global_id(row_id), "version": version, "to": stage}
            return "/graphql", graphql(ADVANCE, {"input": given})

        return Plan("POST", staff, advance_requests(data.advance_pool, advance), "once", NO_ERRORS, NO_USER_ERRORS)
    start, end = context.year
    body = graphql(STATISTICS, {"from": start.isoformat(), "to": end.isoformat()})
    return Plan("POST", staff, [("/graphql", body)], reject=NO_ERRORS)


def _bare_plan(scenario: str, context: Context) -> Plan:
    data = context.dataset
    json_headers = {"Content-Type": "application/json"}
    if scenario == "a":
        return Plan("GET", {}, [(f"/bare/referrals?agency={data.partner_agency_id}&first=50", "")])
    if scenario == "b":
        return Plan("GET", {}, [(f"/bare/referral/{i}", "") for i in data.case_ids])
    if scenario == "c":
        given = {"agencyId": str(data.partner_agency_id), "input": submission(f"BENCH/{MARKER}")}
        return Plan("POST", json_headers, [("/bare/referrals", json.dumps(given))], "unique")
    if scenario == "d":

        def advance(row_id: Any, version: int, stage: str) -> tuple[str, str]:
            return "/bare/advance", json.dumps({"referralId": str(row_id), "version": version, "to": stage})

        return Plan("POST", json_headers, advance_requests(data.advance_pool, advance), "once")
    start, end = context.year
    return Plan("GET", {}, [(f"/bare/statistics?from={start.isoformat()}&to={end.isoformat()}", "")])
