"""No N+1: a page of referrals with their whole case record costs the same statements for 2 rows as for 20."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from hub.agencies.models import AgencyKind
from hub.auth.scopes import Role
from hub.referrals.models import (
    ActionKind,
    AgreementAction,
    Approach,
    Assessment,
    AssessmentOutcome,
    ContactAttempt,
    ContactMethod,
    Feedback,
    OutcomeAgreement,
    Participant,
    ParticipantRole,
    Respondent,
    RestorativeSession,
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

PAGE = """
query Page($first: Int!) {
  referrals(first: $first) {
    edges {
      node {
        reference
        referringAgency { name }
        participants { fullName }
        stageHistory { to note }
        facilitators { firstName fullName }
        contactAttempts { method participant { fullName } }
        assessments { outcome participant { fullName } }
        sessions { id status }
        agreement { agreedOn notes actions { id description note } }
        feedback { respondent participant { fullName } }
      }
    }
  }
}
"""

CASES = 22


@contextmanager
def statements_on(engine) -> Iterator[list[str]]:
    """Every SQL statement sent through the engine while the block runs."""
    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        sent.append(statement)

    sa.event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        sa.event.remove(engine.sync_engine, "before_cursor_execute", record)


async def add_case_record(session, referral, harmed: Participant, responsible: Participant) -> None:
    """A contact attempt, an assessment, a session, an agreement with two actions and two answers of feedback."""
    when = referral.submitted_at + timedelta(days=2)
    agreement = OutcomeAgreement(referral_id=referral.id, agreed_on=date(2026, 3, 20))
    session.add_all(
        [
            ContactAttempt(
                referral_id=referral.id,
                participant_id=harmed.id,
                method=ContactMethod.PHONE,
                successful=True,
                attempted_at=when,
            ),
            Assessment(
                referral_id=referral.id,
                participant_id=responsible.id,
                outcome=AssessmentOutcome.SAFE,
                assessed_on=date(2026, 3, 10),
            ),
            RestorativeSession(referral_id=referral.id, approach=Approach.VIDEO_OR_PHONE, scheduled_for=when),
            agreement,
            Feedback(referral_id=referral.id, respondent=Respondent.REFERRER, would_recommend=True),
            Feedback(
                referral_id=referral.id, respondent=Respondent.PARTICIPANT, participant_id=harmed.id, satisfied=True
            ),
        ]
    )
    await session.flush()
    for position, kind in enumerate([ActionKind.APOLOGY, ActionKind.REPAIR]):
        description = f"{kind.value.title()} as agreed."
        owner = ParticipantRole.RESPONSIBLE
        session.add(
            AgreementAction(
                agreement_id=agreement.id, kind=kind, description=description, owner_role=owner, position=position
            )
        )
    await session.flush()


@pytest.fixture
async def many_cases(session):
    police = await create_agency(session, AgencyKind.POLICE)
    start = datetime(2026, 3, 1, 9, tzinfo=UTC)
    for day in range(CASES):
        referral = await create_referral(
            session, police, stage=Stage.AGREEMENT_MONITORING, submitted_at=start + timedelta(days=day)
        )
        harmed = await create_participant(session, referral, ParticipantRole.HARMED)
        responsible = await create_participant(session, referral, ParticipantRole.RESPONSIBLE)
        await create_facilitator(session, referral)
        await add_case_record(session, referral, harmed, responsible)


async def statements_for_page(http, engine, token: str, size: int) -> int:
    with statements_on(engine) as sent:
        result = await graphql(http, token, PAGE, {"first": size})
    assert "errors" not in result
    nodes = [edge["node"] for edge in result["data"]["referrals"]["edges"]]
    assert len(nodes) == size
    assert all(len(node["agreement"]["actions"]) == 2 and len(node["feedback"]) == 2 for node in nodes)
    assert all(node["contactAttempts"][0]["participant"]["fullName"] for node in nodes)
    return len(sent)


async def test_a_page_of_case_records_costs_the_same_statements_whatever_its_size(http, session, engine, many_cases):
    service = await create_agency(session, AgencyKind.RJ_SERVICE)
    token = await token_for(http, await create_client(session, service, {Role.MANAGER}))
    small = await statements_for_page(http, engine, token, 2)
    large = await statements_for_page(http, engine, token, 20)
    assert small == large


async def test_the_parts_of_a_case_one_level_asks_for_are_read_in_one_statement(http, session, engine, many_cases):
    """The page's referring agencies, participants, history, facilitators, contact attempts, assessments, sessions,
    agreements with their actions, and feedback are one statement (hub.prepared.Together), not one a part. The
    participants and the actions are not read again for the level below (a record's participant, an agreement's
    actions)."""
    service = await create_agency(session, AgencyKind.RJ_SERVICE)
    token = await token_for(http, await create_client(session, service, {Role.MANAGER}))
    with statements_on(engine) as sent:
        result = await graphql(http, token, PAGE, {"first": 20})
    assert "errors" not in result
    gathered = [statement for statement in sent if "array_agg(row(" in statement]
    assert len(gathered) == 1
    parts = ("stage_event", "allocation", "contact_attempt", "assessment", "restorative_session", "feedback")
    for table in (*parts, "participant", "outcome_agreement", "agreement_action", "agency"):
        assert f"FROM {table}" in gathered[0]
        assert not [s for s in sent if f"FROM {table}" in s and s not in gathered], table
