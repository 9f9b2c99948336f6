"""serviceStatistics: every figure of a period of known referrals, the previous period, access and bad periods."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

from hub.agencies.models import AgencyKind
from hub.auth.scopes import Role
from hub.facilitators.models import VolunteerHours
from hub.referrals.models import (
    ContactAttempt,
    ContactMethod,
    DeclineReason,
    Feedback,
    Outcome,
    ParticipantRole,
    Respondent,
    Stage,
    StageEvent,
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

STATISTICS = """
query Statistics($from: Date!, $to: Date!) {
  serviceStatistics(from: $from, to: $to) {
    ...Figures
    previousPeriod { ...Figures previousPeriod { from } }
  }
}

fragment Figures on ServiceStatistics {
  from to
  referralsReceived
  referralsBySource { agencyKind count }
  referralsByAgency { agency { name } count }
  referralsByDistrict { district count }
  referralsAccepted
  referralsDeclined
  declinedByReason { reason count }
  harmedPartiesContacted
  casesClosed
  positiveOutcomes
  outcomes { outcome count }
  participantSatisfactionRate participantFeedbackCount
  referrerRecommendationRate referrerFeedbackCount
  volunteerHours
}
"""

# A quarter of 91 days; the previous period is the 91 days before it.
PERIOD = {"from": "2026-04-01", "to": "2026-07-01"}
POLICE, COUNCIL, YOUTH = "Essex Police", "Colchester City Council", "Essex Youth Justice Service"
WITHDRAWN, NO_ADMISSION = Outcome.WITHDRAWN_BY_HARMED_PARTY, DeclineReason.NO_ADMISSION_OF_RESPONSIBILITY


def at(month: int, day: int, hour: int = 9, year: int = 2026, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, second // 60, second % 60, tzinfo=UTC)


async def moved(session, referral, from_stage: Stage | None, to_stage: Stage, when: datetime) -> None:
    session.add(StageEvent(referral_id=referral.id, from_stage=from_stage, to_stage=to_stage, at=when))
    await session.flush()


async def contacted(session, participant, when: datetime, successful: bool = True) -> None:
    attempt = ContactAttempt(
        referral_id=participant.referral_id,
        participant_id=participant.id,
        method=ContactMethod.PHONE,
        successful=successful,
        attempted_at=when,
    )
    session.add(attempt)
    await session.flush()


async def participant_says(session, participant, satisfied: bool, when: datetime) -> None:
    feedback = Feedback(
        referral_id=participant.referral_id,
        respondent=Respondent.PARTICIPANT,
        participant_id=participant.id,
        satisfied=satisfied,
        received_at=when,
    )
    session.add(feedback)
    await session.flush()


async def referrer_says(session, referral, would_recommend: bool, when: datetime) -> None:
    feedback = Feedback(
        referral_id=referral.id, respondent=Respondent.REFERRER, would_recommend=would_recommend, received_at=when
    )
    session.add(feedback)
    await session.flush()


async def worked(session, facilitator, day: date, hours: str) -> None:
    session.add(VolunteerHours(facilitator_id=facilitator.id, worked_on=day, hours=Decimal(hours), activity="Case"))
    await session.flush()


async def closed(session, agency, submitted_at: datetime, outcome: Outcome, closed_at: datetime, **fields):
    return await create_referral(
        session, agency, stage=Stage.CLOSED, submitted_at=submitted_at, outcome=outcome, closed_at=closed_at, **fields
    )


async def declined(session, agency, submitted_at: datetime, reason: DeclineReason, **fields):
    return await create_referral(
        session,
        agency,
        stage=Stage.DECLINED,
        submitted_at=submitted_at,
        decline_reason=reason,
        closed_at=submitted_at + timedelta(hours=1),  # the factory moves it to DECLINED at that time too
        **fields,
    )


@pytest.fixture
async def agencies(session):
    return {
        "police": await create_agency(session, AgencyKind.POLICE, POLICE),
        "council": await create_agency(session, AgencyKind.COUNCIL, COUNCIL),
        "youth": await create_agency(session, AgencyKind.YOUTH_OFFENDING, YOUTH),
        "service": await create_agency(session, AgencyKind.RJ_SERVICE, "Essex RJ Service"),
    }


async def this_quarters_referrals(session, agencies) -> dict:
    """Eight referrals submitted in the period, including at its first instant and just before its end."""
    police, council, youth = agencies["police"], agencies["council"], agencies["youth"]
    late = datetime(2026, 7, 1, 0, 30, tzinfo=timezone(timedelta(hours=1)))  # 30 June 23:30 UTC: in the period
    return {
        "r1": await closed(session, police, at(4, 1, 0), Outcome.RESOLVED, at(5, 10)),
        "r2": await declined(session, police, at(4, 5), DeclineReason.OUT_OF_AREA, district="Southend"),
        # Accepted at 00:30 UTC on 1 July: received in the period, accepted after it.
        "r3": await create_referral(session, police, stage=Stage.ACCEPTED, submitted_at=late),
        "r4": await create_referral(session, council, stage=Stage.ACCEPTED, submitted_at=at(5, 2)),
        "r5": await closed(session, council, at(5, 3), WITHDRAWN, at(6, 1), district="Thurrock"),
        "r6": await declined(session, youth, at(6, 1), NO_ADMISSION, district="Southend"),
        # Closed at the first instant after the period: received in it, not closed in it.
        "r13": await closed(session, police, at(5, 20), Outcome.RESOLVED, at(7, 1, 0)),
        "r14": await closed(session, police, at(4, 2), Outcome.RESOLVED, at(4, 30), district="Basildon"),
    }


async def earlier_and_later_referrals(session, agencies) -> dict:
    """Referrals submitted in the previous period, before it, and at the first instant after this period."""
    police, council = agencies["police"], agencies["council"]
    return {
        "r7": await create_referral(session, police, submitted_at=at(7, 1, 0)),
        # Submitted one second before the period; the factory accepts it an hour later, inside the period.
        "r8": await create_referral(session, police, stage=Stage.ACCEPTED, submitted_at=at(3, 31, 23, second=3599)),
        # Submitted in the previous period, closed in this one.
        "r9": await closed(session, council, at(1, 15), Outcome.PARTIALLY_RESOLVED, at(4, 20)),
        "r10": await closed(session, police, at(2, 1), Outcome.NO_CONTACT, at(3, 15), district="Southend"),
        "r11": await create_referral(session, police, submitted_at=at(12, 30, 23, year=2025, second=3599)),
        "r12": await declined(session, police, at(2, 10), DeclineReason.RISK_TOO_HIGH),
        "r15": await create_referral(session, police, submitted_at=at(12, 31, 0, year=2025)),
    }


async def stage_moves(session, referrals) -> None:
    r4, r9 = referrals["r4"], referrals["r9"]
    # r4 was accepted, put on hold and accepted again in the period: one accepted referral.
    await moved(session, r4, Stage.ACCEPTED, Stage.ON_HOLD, at(5, 10))
    await moved(session, r4, Stage.ON_HOLD, Stage.ACCEPTED, at(5, 20))
    await moved(session, r9, Stage.RECEIVED, Stage.ACCEPTED, at(1, 20))


async def contacts(session, referrals) -> dict:
    people = {
        "p1": await create_participant(session, referrals["r1"], ParticipantRole.HARMED),
        "p2": await create_participant(session, referrals["r1"], ParticipantRole.RESPONSIBLE),
        "p3": await create_participant(session, referrals["r4"], ParticipantRole.HARMED),
        "p4": await create_participant(session, referrals["r5"], ParticipantRole.HARMED),
        "p5": await create_participant(session, referrals["r9"], ParticipantRole.HARMED),
    }
    await contacted(session, people["p1"], at(4, 3))
    await contacted(session, people["p1"], at(4, 10))  # the same harmed party twice: counted once
    await contacted(session, people["p2"], at(4, 3))  # responsible, not harmed
    await contacted(session, people["p3"], at(5, 5), successful=False)
    await contacted(session, people["p3"], at(7, 1, 0))  # after the period
    await contacted(session, people["p4"], at(5, 4), successful=False)
    await contacted(session, people["p4"], at(5, 6))
    await contacted(session, people["p5"], at(3, 31, 23))  # the previous period
    return people


async def feedback(session, referrals, people) -> None:
    await participant_says(session, people["p1"], True, at(5, 11))
    await participant_says(session, people["p2"], True, at(5, 12))
    await participant_says(session, people["p4"], False, at(6, 2))
    await participant_says(session, people["p5"], False, at(7, 1, 0))  # after the period
    await referrer_says(session, referrals["r1"], True, at(5, 11))
    await referrer_says(session, referrals["r5"], True, at(6, 2))
    await referrer_says(session, referrals["r9"], False, at(4, 21))
    await referrer_says(session, referrals["r14"], True, at(5, 1))


async def hours(session) -> None:
    first, second = await create_facilitator(session), await create_facilitator(session)
    await worked(session, first, date(2026, 4, 1), "3.50")
    await worked(session, first, date(2026, 6, 30), "2.25")
    await worked(session, second, date(2026, 5, 5), "4.00")
    await worked(session, first, date(2026, 7, 1), "8.00")  # after the period
    await worked(session, first, date(2026, 3, 31), "1.50")  # the previous period
    await worked(session, second, date(2025, 12, 30), "6.00")  # before the previous period


@pytest.fixture
async def quarter(session, agencies):
    """A quarter of known referrals, contacts, outcomes, feedback and hours, with rows just outside both ends."""
    referrals = await this_quarters_referrals(session, agencies) | await earlier_and_later_referrals(session, agencies)
    await stage_moves(session, referrals)
    await feedback(session, referrals, await contacts(session, referrals))
    await hours(session)
    return referrals


THIS_QUARTER = {
    "from": "2026-04-01",
    "to": "2026-07-01",
    "referralsReceived": 8,
    "referralsBySource": [
        {"agencyKind": "POLICE", "count": 5},
        {"agencyKind": "COUNCIL", "count": 2},
        {"agencyKind": "YOUTH_OFFENDING", "count": 1},
    ],
    "referralsByAgency": [
        {"agency": {"name": POLICE}, "count": 5},
        {"agency": {"name": COUNCIL}, "count": 2},
        {"agency": {"name": YOUTH}, "count": 1},
    ],
    "referralsByDistrict": [
        {"district": "Colchester", "count": 4},
        {"district": "Southend", "count": 2},
        {"district": "Basildon", "count": 1},
        {"district": "Thurrock", "count": 1},
    ],
    "referralsAccepted": 2,
    "referralsDeclined": 2,
    "declinedByReason": [
        {"reason": "NO_ADMISSION_OF_RESPONSIBILITY", "count": 1},
        {"reason": "OUT_OF_AREA", "count": 1},
    ],
    "harmedPartiesContacted": 2,
    "casesClosed": 4,
    "positiveOutcomes": 3,
    "outcomes": [
        {"outcome": "RESOLVED", "count": 2},
        {"outcome": "PARTIALLY_RESOLVED", "count": 1},
        {"outcome": "WITHDRAWN_BY_HARMED_PARTY", "count": 1},
    ],
    "participantSatisfactionRate": 0.6667,
    "participantFeedbackCount": 3,
    "referrerRecommendationRate": 0.75,
    "referrerFeedbackCount": 4,
    "volunteerHours": 9.75,
}

PREVIOUS_QUARTER = {
    "from": "2025-12-31",
    "to": "2026-04-01",
    "referralsReceived": 5,
    "referralsBySource": [{"agencyKind": "POLICE", "count": 4}, {"agencyKind": "COUNCIL", "count": 1}],
    "referralsByAgency": [{"agency": {"name": POLICE}, "count": 4}, {"agency": {"name": COUNCIL}, "count": 1}],
    "referralsByDistrict": [{"district": "Colchester", "count": 4}, {"district": "Southend", "count": 1}],
    "referralsAccepted": 1,
    "referralsDeclined": 1,
    "declinedByReason": [{"reason": "RISK_TOO_HIGH", "count": 1}],
    "harmedPartiesContacted": 1,
    "casesClosed": 1,
    "positiveOutcomes": 0,
    "outcomes": [{"outcome": "NO_CONTACT", "count": 1}],
    "participantSatisfactionRate": None,
    "participantFeedbackCount": 0,
    "referrerRecommendationRate": None,
    "referrerFeedbackCount": 0,
    "volunteerHours": 1.5,
    "previousPeriod": None,
}


async def token_as(http, session, agency, role: Role, scope: str | None = None) -> str:
    return await token_for(http, await create_client(session, agency, {role}), scope)


@pytest.mark.parametrize("role", [Role.MANAGER, Role.AUDITOR])
async def test_every_figure_of_a_known_quarter_and_the_one_before(http, session, agencies, quarter, role):
    token = await token_as(http, session, agencies["service"], role)
    result = await graphql(http, token, STATISTICS, PERIOD)
    assert "errors" not in result
    assert result["data"] == {"serviceStatistics": THIS_QUARTER | {"previousPeriod": PREVIOUS_QUARTER}}


async def test_a_period_without_activity_has_zeros_and_no_rates(http, session, agencies, quarter):
    token = await token_as(http, session, agencies["service"], Role.MANAGER)
    result = await graphql(http, token, STATISTICS, {"from": "2020-01-01", "to": "2020-01-02"})
    empty = {
        "referralsReceived": 0,
        "referralsBySource": [],
        "referralsByAgency": [],
        "referralsByDistrict": [],
        "referralsAccepted": 0,
        "referralsDeclined": 0,
        "declinedByReason": [],
        "harmedPartiesContacted": 0,
        "casesClosed": 0,
        "positiveOutcomes": 0,
        "outcomes": [],
        "participantSatisfactionRate": None,
        "participantFeedbackCount": 0,
        "referrerRecommendationRate": None,
        "referrerFeedbackCount": 0,
        "volunteerHours": 0.0,
    }
    previous = empty | {"from": "2019-12-31", "to": "2020-01-01", "previousPeriod": None}
    expected = empty | {"from": "2020-01-01", "to": "2020-01-02", "previousPeriod": previous}
    assert "errors" not in result
    assert result["data"] == {"serviceStatistics": expected}


DENIED = "Only the RJ service's manager and auditors may read the service's statistics."


@pytest.mark.parametrize("role", [Role.REFERRER, Role.COORDINATOR, Role.FACILITATOR])
async def test_other_roles_get_forbidden_and_null(http, session, agencies, quarter, role):
    agency = agencies["police"] if role == Role.REFERRER else agencies["service"]
    token = await token_as(http, session, agency, role)
    result = await graphql(http, token, STATISTICS, PERIOD)
    error = {"message": DENIED, "path": ["serviceStatistics"], "extensions": {"code": "FORBIDDEN"}}
    assert result["data"] == {"serviceStatistics": None}
    assert [{k: e[k] for k in ("message", "path", "extensions")} for e in result["errors"]] == [error]


async def test_a_manager_token_without_the_statistics_scope_is_forbidden(http, session, agencies):
    token = await token_as(http, session, agencies["service"], Role.MANAGER, scope="referrals:read")
    result = await graphql(http, token, STATISTICS, PERIOD)
    assert result["data"] == {"serviceStatistics": None}
    assert result["errors"][0]["extensions"] == {"code": "FORBIDDEN"}


async def test_a_bad_period_from_someone_denied_is_still_forbidden(http, session, agencies):
    token = await token_as(http, session, agencies["police"], Role.REFERRER)
    result = await graphql(http, token, STATISTICS, {"from": "2026-07-01", "to": "2026-04-01"})
    assert result["errors"][0]["extensions"] == {"code": "FORBIDDEN"}


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-04-01", "2026-04-01", "`from` must be before `to`."),
        ("2026-07-01", "2026-04-01", "`from` must be before `to`."),
        ("2020-01-01", "2025-01-02", "`to` must be at most 5 years after `from`."),
        ("2024-02-29", "2029-03-02", "`to` must be at most 5 years after `from`."),
        ("0001-01-02", "0001-01-04", "`from` is too early: the period before it would start before the year 1."),
    ],
)
async def test_bad_periods_are_bad_user_input(http, session, agencies, start, end, message):
    token = await token_as(http, session, agencies["service"], Role.AUDITOR)
    result = await graphql(http, token, STATISTICS, {"from": start, "to": end})
    assert result["data"] == {"serviceStatistics": None}
    assert [(e["message"], e["extensions"], e["path"]) for e in result["errors"]] == [
        (message, {"code": "BAD_USER_INPUT"}, ["serviceStatistics"])
    ]


@pytest.mark.parametrize(("start", "end"), [("2020-01-01", "2025-01-01"), ("2024-02-29", "2029-03-01")])
async def test_a_period_of_exactly_five_years_is_allowed(http, session, agencies, start, end):
    token = await token_as(http, session, agencies["service"], Role.AUDITOR)
    result = await graphql(http, token, STATISTICS, {"from": start, "to": end})
    assert "errors" not in result
    assert result["data"]["serviceStatistics"]["from"] == start


DISTRICTS = ["Colchester", "Southend", "Basildon", "Thurrock", "Tendring"]


async def busy_quarter(session, agencies, referrals: int) -> None:
    """Referrals from three agencies and five districts, each closed, contacted, answered and worked on."""
    facilitator = await create_facilitator(session)
    kinds = [agencies["police"], agencies["council"], agencies["youth"]]
    for i in range(referrals):
        submitted = at(4, 1 + i % 28)
        outcome, closed_at = list(Outcome)[i % 7], submitted + timedelta(days=2)
        referral = await closed(session, kinds[i % 3], submitted, outcome, closed_at, district=DISTRICTS[i % 5])
        harmed = await create_participant(session, referral, ParticipantRole.HARMED)
        await contacted(session, harmed, submitted + timedelta(days=1))
        await participant_says(session, harmed, i % 2 == 0, submitted + timedelta(days=3))
        await referrer_says(session, referral, i % 3 == 0, submitted + timedelta(days=3))
        await worked(session, facilitator, submitted.date(), "1.25")


async def statements_for_statistics(http, engine, token: str) -> int:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    sa.event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        result = await graphql(http, token, STATISTICS, PERIOD)
    finally:
        sa.event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert "errors" not in result
    return len(statements)


async def test_the_number_of_statements_does_not_depend_on_the_number_of_referrals(http, session, engine, agencies):
    token = await token_as(http, session, agencies["service"], Role.MANAGER)
    await busy_quarter(session, agencies, 1)
    few = await statements_for_statistics(http, engine, token)
    await busy_quarter(session, agencies, 30)
    assert await statements_for_statistics(http, engine, token) == few
