"""The business rules of a case's course: submission, triage, allocation, stage changes and closing.

The only code that writes referrals (with casework.py for what is recorded along the way). Services never
commit: the request's change commits or rolls back as a whole, and a `Refused` leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.principal import Principal
from hub.columns import utcnow
from hub.facilitators import repository as facilitators
from hub.facilitators.models import Allocation, Facilitator
from hub.ids import row_id
from hub.problems import Problem, ProblemCode, Refused, path
from hub.records import NewRows
from hub.referrals import repository
from hub.referrals.inputs import (
    AcceptReferralInput,
    AdvanceStageInput,
    AllocateFacilitatorsInput,
    CaseChangeInput,
    CloseReferralInput,
    DeclineReferralInput,
    PutOnHoldInput,
    ResumeInput,
    SubmitReferralInput,
    WithdrawReferralInput,
)
from hub.referrals.models import (
    NOTE_MAX_LENGTH,
    ActionStatus,
    AssessmentOutcome,
    ConsentState,
    DeclineReason,
    IncidentKind,
    Outcome,
    Participant,
    ParticipantRole,
    Referral,
    Stage,
)
from hub.referrals.submission import ReferralValues, check_submission
from hub.referrals.transitions import STAGE_EVENTS, WORKING, apply_transition, check_transition, ordered, touch
from hub.referrals.types import is_child
from hub.validation import Checker
from hub.webhooks.events import emit
from hub.webhooks.models import WebhookEventType

MAX_FACILITATORS = 2
# A positive outcome needs the restorative process to have happened.
POSITIVE_FROM = frozenset({Stage.RESTORATIVE_PROCESS, Stage.AGREEMENT_MONITORING})
# Moves that carry data of their own go through their own mutation.
DEDICATED = {
    Stage.DECLINED: "declineReferral (with a reason)",
    Stage.CLOSED: "closeReferral (with an outcome)",
    Stage.ON_HOLD: "putOnHold (with a note)",
}


@dataclass(frozen=True)
class Submission:
    referral: Any  # the Referral already sent, or the new one's row (hub.records), read alike
    created: bool


async def submit(session: AsyncSession, principal: Principal, given: SubmitReferralInput) -> Submission:
    """Record a new referral from the principal's agency, or return the one already sent with the same content."""
    now = utcnow()
    values = check_submission(given, now.date())
    assert values.agency_reference is not None  # checked above
    await repository.lock_agency_reference(session, principal.agency_id, values.agency_reference)
    existing = await repository.by_agency_reference(session, principal.agency_id, values.agency_reference)
    if existing is not None:
        if existing.content_hash != values.fingerprint():
            raise Refused.one(
                ("input", "agencyReference"),
                f"Your agency already referred a different case as {values.agency_reference!r} "
                f"(hub reference {existing.reference}). Use a new reference, or resend exactly the same content.",
                ProblemCode.DUPLICATE_AGENCY_REFERENCE,
            )
        return Submission(existing, created=False)
    referral = await _create(session, principal, values)
    return Submission(referral, created=True)


async def _create(session: AsyncSession, principal: Principal, values: ReferralValues) -> Any:
    """The referral, its participants and its first stage event, written as rows (hub.records: no ORM instances to
    make and flush); the referral comes back as its row."""
    now = utcnow()
    number = await repository.next_reference_number(session)
    referral = _REFERRALS.make(
        reference=f"RJ-{now.astimezone(UTC).year}-{number:06d}",
        referring_agency_id=principal.agency_id,
        agency_reference=values.agency_reference,
        referrer_name=values.referrer_name,
        referrer_email=values.referrer_email,
        referrer_phone=values.referrer_phone,
        district=values.district,
        incident_kind=values.incident_kind,
        offence_category=values.offence_category,
        sensitivity=values.flags(now.date()),
        reported_to_police=values.reported_to_police,
        responsibility_admitted=values.responsibility_admitted,
        summary=values.summary,
        content_hash=values.fingerprint(),
        submitted_at=now,
        updated_at=now,
    )
    await _REFERRALS.add(session, [referral])
    participants = [
        _PARTICIPANTS.make(referral_id=referral.id, position=position, **vars(person))
        for position, person in enumerate(values.participants)
    ]
    await _PARTICIPANTS.add(session, participants)
    received = STAGE_EVENTS.make(
        referral_id=referral.id,
        from_stage=None,
        to_stage=Stage.RECEIVED,
        at=referral.submitted_at,
        actor_agency_id=principal.agency_id,
        actor_client_id=principal.client_id,
    )
    await STAGE_EVENTS.add(session, [received])
    await emit(session, referral, WebhookEventType.REFERRAL_RECEIVED, None, Stage.RECEIVED, referral.submitted_at)
    return referral


_REFERRALS, _PARTICIPANTS = NewRows(Referral), NewRows(Participant)


async def lock_case(session: AsyncSession, principal: Principal, given: CaseChangeInput) -> Referral:
    """The case the change names, locked, if the principal may see it and it is at the version they read."""
    note_problem = Checker()
    note_problem.text(given.note, ("input", "note"), NOTE_MAX_LENGTH)
    note_problem.done()
    referral_id = row_id(given.referral_id, "Referral", "input", "referralId")
    referral = await repository.for_update(session, principal, referral_id)
    if referral is None:
        raise Refused.one(("input", "referralId"), "No referral with that id exists for you.", ProblemCode.NOT_FOUND)
    if referral.version != given.version:
        raise Refused.one(
            ("input", "version"),
            f"The case changed since you read it: it is at version {referral.version} (stage {referral.stage}), "
            f"you sent version {given.version}. Read it again and retry if the change still makes sense.",
            ProblemCode.STALE_VERSION,
        )
    return referral


def note_of(given: CaseChangeInput) -> str | None:
    return given.note.strip() or None if given.note else None


def require_stage(referral: Referral, stages: frozenset[Stage], doing: str) -> None:
    """Refuse work that does not belong to the case's current stage."""
    if referral.stage not in stages:
        listed = ", ".join(ordered(stages))
        raise Refused.one(
            (),
            f"{doing} is not possible while the case is at {referral.stage}; it is at: {listed}.",
            ProblemCode.WRONG_STAGE,
        )


async def move(session: AsyncSession, principal: Principal, referral: Referral, to: Stage, note: str | None) -> Any:
    """Check the move is allowed and its entry rules hold, then apply it: the stage event's row."""
    check_transition(referral, to)
    await check_entry(session, referral, to)
    return await apply_transition(session, principal, referral, to, note)


async def check_entry(session: AsyncSession, referral: Referral, to: Stage) -> None:
    """The rules a case must meet to enter a stage (DESIGN §2)."""
    if to == Stage.ACCEPTED and referral.incident_kind == IncidentKind.CRIME and not referral.reported_to_police:
        raise Refused.one(
            (),
            "A crime that was not reported to the police cannot be accepted; decline it with reason "
            "NOT_REPORTED_TO_POLICE, or have it reported first.",
            ProblemCode.NOT_REPORTED_TO_POLICE,
        )
    if to == Stage.ALLOCATED and not await repository.allocated_ids(session, referral.id):
        raise Refused.one(
            ("input", "to"),
            "No facilitator is allocated: use allocateFacilitators.",
            ProblemCode.NO_FACILITATOR_ALLOCATED,
        )
    if to in (Stage.PREPARATION, Stage.RESTORATIVE_PROCESS):
        await require_parties_ready(session, referral, f"entering {to}")


async def require_parties_ready(session: AsyncSession, referral: Referral, doing: str) -> None:
    """Every harmed and responsible party still taking part has consented and was last assessed SAFE."""
    participants = await repository.participants_of(session, [referral.id])
    latest = await repository.latest_assessments(session, referral.id)
    waiting = [
        _why_not_ready(p, latest.get(p.id))
        for p in participants
        if p.role in (ParticipantRole.HARMED, ParticipantRole.RESPONSIBLE) and p.withdrawn_at is None
    ]
    waiting = [reason for reason in waiting if reason]
    if waiting:
        raise Refused.one(
            (),
            f"Before {doing}, every harmed and responsible party still taking part must have consented and been "
            f"assessed SAFE. Waiting for: {'; '.join(waiting)}.",
            ProblemCode.PARTIES_NOT_READY,
        )


def _why_not_ready(participant: Participant, assessment: AssessmentOutcome | None) -> str | None:
    missing = []
    if participant.consent != ConsentState.GIVEN:
        missing.append(f"consent is {participant.consent}")
    if assessment != AssessmentOutcome.SAFE:
        missing.append("no assessment yet" if assessment is None else "last assessed NOT_SAFE")
    return f"{participant.full_name} ({participant.role}): {', '.join(missing)}" if missing else None


async def accept(session: AsyncSession, principal: Principal, given: AcceptReferralInput) -> Referral:
    """Triage passed: the service takes the case on."""
    referral = await lock_case(session, principal, given)
    await move(session, principal, referral, Stage.ACCEPTED, note_of(given))
    return referral


async def decline(session: AsyncSession, principal: Principal, given: DeclineReferralInput) -> Referral:
    """The service does not take the case on, for a reason (OTHER needs a note)."""
    referral = await lock_case(session, principal, given)
    check_transition(referral, Stage.DECLINED, ("input", "reason"))
    note = note_of(given)
    if given.reason == DeclineReason.OTHER and note is None:
        raise Refused.one(
            ("input", "note"), "Declining for reason OTHER needs a note saying why.", ProblemCode.REQUIRED
        )
    referral.decline_reason = given.reason
    referral.decline_note = note
    await apply_transition(session, principal, referral, Stage.DECLINED, note)
    return referral


async def allocate(session: AsyncSession, principal: Principal, given: AllocateFacilitatorsInput) -> Referral:
    """Allocate one or two facilitators (replacing any before); an ACCEPTED case moves to ALLOCATED."""
    referral = await lock_case(session, principal, given)
    require_stage(referral, WORKING | {Stage.ACCEPTED}, "Allocating facilitators")
    chosen = await _facilitators(session, principal, given.facilitator_ids)
    await _check_training(session, referral, chosen, given.facilitator_ids)
    keep = {f.id for f in chosen}
    await repository.remove_allocations(session, referral.id, keep)
    already = await repository.allocated_ids(session, referral.id)
    for facilitator in chosen:
        if facilitator.id not in already:
            session.add(Allocation(referral_id=referral.id, facilitator_id=facilitator.id))
    await session.flush()
    if referral.stage == Stage.ACCEPTED:
        await apply_transition(session, principal, referral, Stage.ALLOCATED, note_of(given))
    else:
        touch(referral)
        await session.flush()
    return referral


async def _facilitators(session: AsyncSession, principal: Principal, ids: Sequence[str]) -> list[Facilitator]:
    field = ("input", "facilitatorIds")
    check = Checker()
    check.count(ids, field, 1, MAX_FACILITATORS, "facilitators")
    check.done()
    wanted = [row_id(global_id, "Facilitator", *field, i) for i, global_id in enumerate(ids)]
    if len(set(wanted)) != len(wanted):
        raise Refused.one(field, "The same facilitator is listed twice.", ProblemCode.INVALID)
    found = await facilitators.by_ids(session, principal, wanted)
    problems = [_unavailable(found.get(fid), i) for i, fid in enumerate(wanted)]
    if any(problems):
        raise Refused([p for p in problems if p])
    return [found[fid] for fid in wanted]


def _unavailable(facilitator: Facilitator | None, index: int) -> Problem | None:
    field = path("input", "facilitatorIds", index)
    if facilitator is None:
        return Problem(field, "No facilitator with that id exists.", ProblemCode.NOT_FOUND)
    if not facilitator.active:
        return Problem(
            field, f"{facilitator.full_name} does not take cases at present.", ProblemCode.FACILITATOR_INACTIVE
        )
    return None


async def _check_training(
    session: AsyncSession, referral: Referral, chosen: list[Facilitator], ids: Sequence[str]
) -> None:
    reasons = list(referral.sensitivity)
    participants = await repository.participants_of(session, [referral.id])
    if any(is_child(p.date_of_birth) for p in participants) and "CHILD_INVOLVED" not in reasons:
        reasons.append("CHILD_INVOLVED")
    if not reasons:
        return
    untrained = [
        Problem(
            path("input", "facilitatorIds", i),
            f"{f.full_name} is not trained for sensitive cases, and this case is flagged {', '.join(reasons)}: "
            "choose a facilitator trained for sensitive cases.",
            ProblemCode.FACILITATOR_NOT_TRAINED,
        )
        for i, f in enumerate(chosen)
        if not f.sensitive_trained
    ]
    if untrained:
        raise Refused(untrained)


async def advance(session: AsyncSession, principal: Principal, given: AdvanceStageInput) -> Referral:
    """The generic, validated move to another stage of the work."""
    referral = await lock_case(session, principal, given)
    to = Stage(given.to)
    if to in DEDICATED:
        raise Refused.one(("input", "to"), f"Moving to {to} needs {DEDICATED[to]}.", ProblemCode.REQUIRED)
    if given.approach is not None:
        referral.approach = given.approach
    await move(session, principal, referral, to, note_of(given))
    return referral


async def put_on_hold(session: AsyncSession, principal: Principal, given: PutOnHoldInput) -> Referral:
    """Pause an open case; it remembers the stage it left."""
    referral = await lock_case(session, principal, given)
    check_transition(referral, Stage.ON_HOLD, ())
    note = note_of(given)
    if note is None:
        raise Refused.one(
            ("input", "note"), "Say why the case is on hold, e.g. awaiting sentencing.", ProblemCode.REQUIRED
        )
    await apply_transition(session, principal, referral, Stage.ON_HOLD, note)
    return referral


async def resume(session: AsyncSession, principal: Principal, given: ResumeInput) -> Referral:
    """Take a case off hold, back to the stage it left."""
    referral = await lock_case(session, principal, given)
    if referral.stage != Stage.ON_HOLD or referral.stage_before_hold is None:
        raise Refused.one((), f"The case is at {referral.stage}, not ON_HOLD.", ProblemCode.ILLEGAL_TRANSITION)
    await apply_transition(session, principal, referral, Stage(referral.stage_before_hold), note_of(given))
    return referral


async def close(session: AsyncSession, principal: Principal, given: CloseReferralInput) -> Referral:
    """Close the case with its outcome."""
    referral = await lock_case(session, principal, given)
    await close_with(session, principal, referral, Outcome(given.outcome), note_of(given))
    return referral


async def withdraw(session: AsyncSession, principal: Principal, given: WithdrawReferralInput) -> Referral:
    """The referring agency withdraws its referral."""
    referral = await lock_case(session, principal, given)
    await close_with(session, principal, referral, Outcome.WITHDRAWN_BY_REFERRER, note_of(given))
    return referral


async def close_with(
    session: AsyncSession, principal: Principal, referral: Referral, outcome: Outcome, note: str | None
) -> None:
    """Close the case, refusing an outcome its course does not support."""
    check_transition(referral, Stage.CLOSED, ())
    stage = Stage(referral.stage_before_hold or referral.stage)
    if outcome in (Outcome.RESOLVED, Outcome.PARTIALLY_RESOLVED) and stage not in POSITIVE_FROM:
        raise Refused.one(
            ("input", "outcome"),
            f"{outcome} needs the restorative process to have taken place; the case is at {stage}.",
            ProblemCode.OUTCOME_NOT_ALLOWED,
        )
    if outcome == Outcome.RESOLVED:
        await _require_actions_settled(session, referral)
    referral.outcome = outcome
    await apply_transition(session, principal, referral, Stage.CLOSED, note)


async def _require_actions_settled(session: AsyncSession, referral: Referral) -> None:
    agreement = await repository.agreement_of(session, referral.id)
    if agreement is None:
        return
    actions = await repository.actions_of(session, agreement.id)
    open_actions = [a for a in actions if a.status not in (ActionStatus.DONE, ActionStatus.WAIVED)]
    if open_actions:
        listed = "; ".join(f"{a.description[:60]} ({a.status})" for a in open_actions)
        raise Refused.one(
            ("input", "outcome"),
            f"RESOLVED needs every agreed action done or explicitly waived. Still open: {listed}.",
            ProblemCode.AGREEMENT_ACTIONS_OPEN,
        )
