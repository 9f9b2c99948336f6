"""The business rules of what is recorded while a case is worked: contact, consent, assessments, sessions,
the outcome agreement, participants withdrawing, and feedback. Every change bumps the case's version."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.principal import Principal
from hub.columns import utcnow
from hub.ids import row_id
from hub.problems import ProblemCode, Refused
from hub.referrals import repository
from hub.referrals.inputs import (
    RecordAssessmentInput,
    RecordConsentInput,
    RecordContactAttemptInput,
    RecordFeedbackInput,
    RecordOutcomeAgreementInput,
    RecordSessionOutcomeInput,
    ScheduleSessionInput,
    UpdateAgreementActionInput,
    WithdrawParticipantInput,
)
from hub.referrals.models import (
    NOTE_MAX_LENGTH,
    ActionStatus,
    AgreementAction,
    Assessment,
    ConsentRecord,
    ConsentState,
    ContactAttempt,
    Feedback,
    Outcome,
    OutcomeAgreement,
    Participant,
    ParticipantRole,
    Referral,
    Respondent,
    RestorativeSession,
    SessionStatus,
    Stage,
)
from hub.referrals.service import close_with, lock_case, note_of, require_parties_ready, require_stage
from hub.referrals.transitions import OPEN, WORKING, actor_name, touch
from hub.validation import Checker

SESSION_STAGES = frozenset({Stage.PREPARATION, Stage.RESTORATIVE_PROCESS, Stage.AGREEMENT_MONITORING})
HELD_STAGES = frozenset({Stage.RESTORATIVE_PROCESS, Stage.AGREEMENT_MONITORING})
MAX_ACTIONS = 20


def recorder(principal: Principal) -> str:
    """Who recorded something: the person, or the client that acted."""
    return actor_name(principal) or principal.client_id


async def _participant(
    session: AsyncSession, referral: Referral, global_id: str, *, active: bool = True
) -> Participant:
    field = ("input", "participantId")
    participant = await repository.participant_in(session, referral.id, row_id(global_id, "Participant", *field))
    if participant is None:
        raise Refused.one(field, "No participant with that id takes part in this case.", ProblemCode.NOT_FOUND)
    if active and participant.withdrawn_at is not None:
        raise Refused.one(field, f"{participant.full_name} has withdrawn from the case.", ProblemCode.WRONG_STAGE)
    return participant


def _not_future(when: datetime | date, field: tuple[str, ...], since: date) -> None:
    """A time or day that has happened, and not before the referral was submitted."""
    if isinstance(when, datetime):
        _aware(when, field)
    now = utcnow()
    if when > now if isinstance(when, datetime) else when > now.date():
        raise Refused.one(field, "This is in the future; record things that have happened.", ProblemCode.IN_FUTURE)
    if (when.date() if isinstance(when, datetime) else when) < since:
        raise Refused.one(
            field, f"This is before the referral was submitted ({since.isoformat()}).", ProblemCode.INVALID
        )


def _aware(when: datetime, field: tuple[str, ...]) -> None:
    if when.tzinfo is None:
        raise Refused.one(
            field, "Give the time with its UTC offset, e.g. 2026-11-23T14:00:00+00:00.", ProblemCode.INVALID
        )


async def _changed(session: AsyncSession, referral: Referral, *rows: object) -> Referral:
    for row in rows:
        session.add(row)
    touch(referral)
    session.add(referral)
    await session.flush()
    return referral


async def record_contact_attempt(
    session: AsyncSession, principal: Principal, given: RecordContactAttemptInput
) -> Referral:
    """One attempt to reach a participant (the service reports "victims contacted" from these)."""
    referral = await lock_case(session, principal, given)
    require_stage(referral, WORKING, "Recording contact")
    participant = await _participant(session, referral, given.participant_id)
    attempted_at = given.attempted_at or utcnow()
    _not_future(attempted_at, ("input", "attemptedAt"), referral.submitted_at.date())
    attempt = ContactAttempt(
        referral_id=referral.id,
        participant_id=participant.id,
        method=given.method,
        successful=given.successful,
        attempted_at=attempted_at,
        recorded_by=recorder(principal),
        note=note_of(given),
    )
    return await _changed(session, referral, attempt)


async def record_consent(session: AsyncSession, principal: Principal, given: RecordConsentInput) -> Referral:
    """A participant gives or refuses consent; the record keeps each answer."""
    referral = await lock_case(session, principal, given)
    require_stage(referral, WORKING, "Recording consent")
    participant = await _participant(session, referral, given.participant_id)
    if given.consent == ConsentState.PENDING:
        raise Refused.one(("input", "consent"), "Record GIVEN or REFUSED.", ProblemCode.INVALID)
    participant.consent = given.consent
    record = ConsentRecord(
        participant_id=participant.id, consent=given.consent, recorded_by=recorder(principal), note=note_of(given)
    )
    return await _changed(session, referral, participant, record)


async def record_assessment(session: AsyncSession, principal: Principal, given: RecordAssessmentInput) -> Referral:
    """The risk and suitability assessment of one participant: SAFE or NOT_SAFE, with a review date."""
    referral = await lock_case(session, principal, given)
    require_stage(referral, WORKING, "Recording an assessment")
    participant = await _participant(session, referral, given.participant_id)
    _not_future(given.assessed_on, ("input", "assessedOn"), referral.submitted_at.date())
    if given.review_date is not None and given.review_date < given.assessed_on:
        raise Refused.one(
            ("input", "reviewDate"), "The review date must be on or after assessedOn.", ProblemCode.INVALID
        )
    assessment = Assessment(
        referral_id=referral.id,
        participant_id=participant.id,
        outcome=given.outcome,
        assessed_on=given.assessed_on,
        review_date=given.review_date,
        assessed_by=recorder(principal),
        notes=note_of(given),
    )
    return await _changed(session, referral, assessment)


async def schedule_session(session: AsyncSession, principal: Principal, given: ScheduleSessionInput) -> Referral:
    """Schedule a meeting, letter exchange or call: only once every party still taking part is ready."""
    referral = await lock_case(session, principal, given)
    require_stage(referral, SESSION_STAGES, "Scheduling a session")
    await require_parties_ready(session, referral, "a session is scheduled")
    check = Checker()
    location = check.text(given.location, ("input", "location"), 300)
    check.done()
    _aware(given.scheduled_for, ("input", "scheduledFor"))
    if given.scheduled_for < referral.submitted_at:
        raise Refused.one(("input", "scheduledFor"), "This is before the referral was submitted.", ProblemCode.INVALID)
    if referral.approach is None:
        referral.approach = given.approach
    meeting = RestorativeSession(
        referral_id=referral.id,
        approach=given.approach,
        scheduled_for=given.scheduled_for,
        location=location,
        notes=note_of(given),
    )
    return await _changed(session, referral, meeting)


async def record_session_outcome(
    session: AsyncSession, principal: Principal, given: RecordSessionOutcomeInput
) -> Referral:
    """A scheduled session was held or cancelled."""
    referral = await lock_case(session, principal, given)
    require_stage(referral, SESSION_STAGES, "Recording a session")
    field = ("input", "sessionId")
    meeting = await repository.session_in(session, referral.id, row_id(given.session_id, "RestorativeSession", *field))
    if meeting is None:
        raise Refused.one(field, "No session with that id belongs to this case.", ProblemCode.NOT_FOUND)
    if meeting.status != SessionStatus.SCHEDULED:
        raise Refused.one(
            field, f"This session was already recorded as {meeting.status}.", ProblemCode.ALREADY_RECORDED
        )
    if given.status == SessionStatus.SCHEDULED:
        raise Refused.one(("input", "status"), "Record HELD or CANCELLED.", ProblemCode.INVALID)
    if given.status == SessionStatus.HELD:
        require_stage(referral, HELD_STAGES, "Holding a session")
        meeting.held_at = given.held_at or utcnow()
        _not_future(meeting.held_at, ("input", "heldAt"), referral.submitted_at.date())
    meeting.status = given.status
    if given.note:
        meeting.notes = note_of(given)
    return await _changed(session, referral, meeting)


async def record_outcome_agreement(
    session: AsyncSession, principal: Principal, given: RecordOutcomeAgreementInput
) -> Referral:
    """The agreement the parties reached, with its actions to monitor."""
    referral = await lock_case(session, principal, given)
    require_stage(referral, HELD_STAGES, "Recording an outcome agreement")
    if await repository.agreement_of(session, referral.id) is not None:
        raise Refused.one((), "This case already has an outcome agreement.", ProblemCode.ALREADY_EXISTS)
    _not_future(given.agreed_on, ("input", "agreedOn"), referral.submitted_at.date())
    check = Checker()
    check.count(given.actions, ("input", "actions"), 1, MAX_ACTIONS, "actions")
    descriptions = [
        check.text(a.description, ("input", "actions", i, "description"), 1000, required=True)
        for i, a in enumerate(given.actions)
    ]
    for i, action in enumerate(given.actions):
        if action.due_on is not None and action.due_on < given.agreed_on:
            check.add(
                ("input", "actions", i, "dueOn"), "An action cannot be due before the agreement.", ProblemCode.INVALID
            )
    check.done()
    agreement = OutcomeAgreement(referral_id=referral.id, agreed_on=given.agreed_on, notes=note_of(given))
    session.add(agreement)
    await session.flush()
    actions = [
        AgreementAction(
            agreement_id=agreement.id,
            kind=a.kind,
            description=description,
            owner_role=a.owner_role,
            due_on=a.due_on,
            position=i,
        )
        for i, (a, description) in enumerate(zip(given.actions, descriptions, strict=True))
    ]
    return await _changed(session, referral, *actions)


async def update_agreement_action(
    session: AsyncSession, principal: Principal, given: UpdateAgreementActionInput
) -> Referral:
    """Settle an agreed action as DONE, MISSED or WAIVED (with a note saying why)."""
    referral = await lock_case(session, principal, given)
    require_stage(referral, HELD_STAGES, "Updating an agreed action")
    field = ("input", "actionId")
    action = await repository.action_in(session, referral.id, row_id(given.action_id, "AgreementAction", *field))
    if action is None:
        raise Refused.one(field, "No agreed action with that id belongs to this case.", ProblemCode.NOT_FOUND)
    if action.status != ActionStatus.PENDING:
        raise Refused.one(field, f"This action was already settled as {action.status}.", ProblemCode.ALREADY_RECORDED)
    if given.status == ActionStatus.PENDING:
        raise Refused.one(("input", "status"), "Settle the action as DONE, MISSED or WAIVED.", ProblemCode.INVALID)
    note = note_of(given)
    if given.status == ActionStatus.WAIVED and note is None:
        raise Refused.one(("input", "note"), "Waiving an action needs a note saying why.", ProblemCode.REQUIRED)
    action.status = given.status
    action.settled_at = utcnow()
    action.note = note
    return await _changed(session, referral, action)


async def withdraw_participant(
    session: AsyncSession, principal: Principal, given: WithdrawParticipantInput
) -> Referral:
    """A participant stops taking part; with no harmed or no responsible party left, the case closes."""
    referral = await lock_case(session, principal, given)
    require_stage(referral, OPEN, "Withdrawing a participant")
    participant = await _participant(session, referral, given.participant_id)
    participant.withdrawn_at = utcnow()
    session.add(participant)
    await session.flush()
    remaining = {p.role for p in await repository.participants_of(session, [referral.id]) if p.withdrawn_at is None}
    if ParticipantRole.HARMED not in remaining:
        await close_with(session, principal, referral, Outcome.WITHDRAWN_BY_HARMED_PARTY, note_of(given))
    elif ParticipantRole.RESPONSIBLE not in remaining:
        await close_with(session, principal, referral, Outcome.WITHDRAWN_BY_RESPONSIBLE_PARTY, note_of(given))
    else:
        await _changed(session, referral)
    return referral


async def record_feedback(session: AsyncSession, principal: Principal, given: RecordFeedbackInput) -> Referral:
    """A participant's satisfaction, or the referrer's answer to "would you recommend the service"."""
    referral = await lock_case(session, principal, given)
    require_stage(referral, frozenset({Stage.CLOSED}), "Recording feedback")
    check = Checker()
    comments = check.text(given.comments, ("input", "comments"), NOTE_MAX_LENGTH)
    participant_id = None
    if given.respondent == Respondent.PARTICIPANT:
        _answers(check, given.satisfied, given.would_recommend, "satisfied", "wouldRecommend", "a participant")
        if given.participant_id is None:
            check.add(("input", "participantId"), "Name the participant who answered.", ProblemCode.REQUIRED)
    else:
        _answers(check, given.would_recommend, given.satisfied, "wouldRecommend", "satisfied", "the referrer")
        if given.participant_id is not None:
            check.add(
                ("input", "participantId"),
                "The referrer answers for the agency, not a participant.",
                ProblemCode.INVALID,
            )
    check.done()
    if given.participant_id is not None:
        participant_id = (await _participant(session, referral, given.participant_id, active=False)).id
    if await repository.feedback_exists(session, referral.id, given.respondent, participant_id):
        raise Refused.one(
            ("input", "respondent"), "This respondent's feedback is already recorded.", ProblemCode.ALREADY_RECORDED
        )
    feedback = Feedback(
        referral_id=referral.id,
        respondent=given.respondent,
        participant_id=participant_id,
        satisfied=given.satisfied,
        would_recommend=given.would_recommend,
        comments=comments,
    )
    return await _changed(session, referral, feedback)


def _answers(check: Checker, asked: bool | None, other: bool | None, name: str, other_name: str, who: str) -> None:
    if asked is None:
        check.add(("input", name), f"Give {name} for {who}.", ProblemCode.REQUIRED)
    if other is not None:
        check.add(("input", other_name), f"{other_name} is not asked of {who}.", ProblemCode.INVALID)
