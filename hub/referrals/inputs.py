"""Input objects of the referrals domain's mutations: one per mutation, with every field described."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

import hub.referrals.enums  # noqa: F401  (registers the domain's enums with Strawberry)
from hub.referrals.models import (
    ActionKind,
    ActionStatus,
    Approach,
    AssessmentOutcome,
    ConsentState,
    ContactMethod,
    DeclineReason,
    IncidentKind,
    Outcome,
    ParticipantRole,
    Respondent,
    Sensitivity,
    SessionStatus,
    Stage,
)


@strawberry.input(description="The officer or member of staff making the referral.")
class ReferrerInput:
    name: str = strawberry.field(description="Their name (up to 200 characters).")
    email: str | None = strawberry.field(default=None, description="Their work email.")
    phone: str | None = strawberry.field(default=None, description="Their work phone.")


@strawberry.input(description="How to reach a participant. Never disclosed back to referrers.")
class ContactDetailsInput:
    phone: str | None = strawberry.field(default=None, description="Phone number.")
    email: str | None = strawberry.field(default=None, description="Email address.")
    address: str | None = strawberry.field(default=None, description="Postal address (up to 500 characters).")


@strawberry.input(description="What a participant needs to take part.")
class NeedsInput:
    interpreter_language: str | None = strawberry.field(default=None, description="Language of an interpreter.")
    accessibility: str | None = strawberry.field(default=None, description="Accessibility needs (up to 1000).")


@strawberry.input(description="Where a participant in custody is held.")
class CustodyInput:
    establishment: str = strawberry.field(description="The prison or other establishment.")
    prison_number: str | None = strawberry.field(default=None, description="The prisoner number, e.g. A1234BC.")


@strawberry.input(description="A person taking part: at least one HARMED and one RESPONSIBLE party per referral.")
class ParticipantInput:
    role: ParticipantRole = strawberry.field(description="Their part in the case.")
    full_name: str = strawberry.field(description="Full name (up to 200 characters).")
    date_of_birth: date | None = strawberry.field(
        default=None, description="Date of birth; a participant under 18 flags the case CHILD_INVOLVED."
    )
    contact: ContactDetailsInput | None = strawberry.field(default=None, description="How to reach them.")
    preferred_contact: ContactMethod | None = strawberry.field(default=None, description="Their preferred contact.")
    needs: NeedsInput | None = strawberry.field(default=None, description="Interpreter and accessibility needs.")
    custody: CustodyInput | None = strawberry.field(default=None, description="Custody details, if in custody.")


@strawberry.input(description="A new referral. Resubmitting the same agencyReference with the same content is safe.")
class SubmitReferralInput:
    agency_reference: str = strawberry.field(
        description="Your own reference (crime or occurrence number), unique within your agency; up to 100 characters."
    )
    referrer: ReferrerInput = strawberry.field(description="Who is referring.")
    district: str = strawberry.field(description="The district the case belongs to.")
    incident_kind: IncidentKind = strawberry.field(description="What kind of harm or conflict it is.")
    offence_category: str | None = strawberry.field(default=None, description="The offence category, for crimes.")
    sensitivity: list[Sensitivity] = strawberry.field(
        default_factory=list, description="Sensitive or complex case flags."
    )
    reported_to_police: bool = strawberry.field(description="Whether the harm was reported to the police.")
    responsibility_admitted: bool = strawberry.field(description="Whether the responsible party admits it.")
    summary: str = strawberry.field(description="What happened (up to 4000 characters).")
    participants: list[ParticipantInput] = strawberry.field(
        description="Everyone taking part, harmed and responsible parties first (at most 20)."
    )


@strawberry.input(description="Names the case and the version you read, so a change made since is not overwritten.")
class CaseChangeInput:
    referral_id: strawberry.ID = strawberry.field(description="The referral's id.")
    version: int = strawberry.field(description="The referral's version as you last read it.")
    note: str | None = strawberry.field(default=None, description="Why, in your words (up to 4000 characters).")


@strawberry.input(description="Accept a received referral (triage passed).")
class AcceptReferralInput(CaseChangeInput):
    pass


@strawberry.input(description="Decline a received referral, with a reason (OTHER needs a note).")
class DeclineReferralInput(CaseChangeInput):
    reason: DeclineReason = strawberry.field(description="Why the service does not take the case on.")


@strawberry.input(description="Allocate one or two facilitators; the first allocation moves the case to ALLOCATED.")
class AllocateFacilitatorsInput(CaseChangeInput):
    facilitator_ids: list[strawberry.ID] = strawberry.field(description="One or two facilitators' ids.")


@strawberry.input(description="A move to the next stage of the work (the generic, validated transition).")
class AdvanceStageInput(CaseChangeInput):
    to: Stage = strawberry.field(description="The stage to move to.")
    approach: Approach | None = strawberry.field(
        default=None, description="The restorative approach chosen (usually given on entering PREPARATION)."
    )


@strawberry.input(description="Pause an open case, e.g. awaiting sentencing or a prison transfer (note required).")
class PutOnHoldInput(CaseChangeInput):
    pass


@strawberry.input(description="Take a case off hold, back to the stage it left.")
class ResumeInput(CaseChangeInput):
    pass


@strawberry.input(description="Close a case with its outcome.")
class CloseReferralInput(CaseChangeInput):
    outcome: Outcome = strawberry.field(description="How the case ended.")


@strawberry.input(description="The referring agency withdraws its own referral; the case closes WITHDRAWN_BY_REFERRER.")
class WithdrawReferralInput(CaseChangeInput):
    pass


@strawberry.input(description="One attempt to reach a participant.")
class RecordContactAttemptInput(CaseChangeInput):
    participant_id: strawberry.ID = strawberry.field(description="Who was contacted.")
    method: ContactMethod = strawberry.field(description="How.")
    successful: bool = strawberry.field(description="Whether the participant was reached.")
    attempted_at: datetime | None = strawberry.field(default=None, description="When (default: now).")


@strawberry.input(description="A participant gives or refuses consent to take part.")
class RecordConsentInput(CaseChangeInput):
    participant_id: strawberry.ID = strawberry.field(description="The participant.")
    consent: ConsentState = strawberry.field(description="GIVEN or REFUSED.")


@strawberry.input(description="The risk and suitability assessment of one participant.")
class RecordAssessmentInput(CaseChangeInput):
    participant_id: strawberry.ID = strawberry.field(description="The participant assessed.")
    outcome: AssessmentOutcome = strawberry.field(description="SAFE or NOT_SAFE.")
    assessed_on: date = strawberry.field(description="The day of the assessment (not in the future).")
    review_date: date | None = strawberry.field(default=None, description="When to review it (after assessedOn).")


@strawberry.input(description="A meeting, letter exchange or call to hold.")
class ScheduleSessionInput(CaseChangeInput):
    approach: Approach = strawberry.field(description="The restorative approach of the session.")
    scheduled_for: datetime = strawberry.field(description="When it is to take place.")
    location: str | None = strawberry.field(default=None, description="Where (up to 300 characters).")


@strawberry.input(description="How a scheduled session went.")
class RecordSessionOutcomeInput(CaseChangeInput):
    session_id: strawberry.ID = strawberry.field(description="The session.")
    status: SessionStatus = strawberry.field(description="HELD or CANCELLED.")
    held_at: datetime | None = strawberry.field(default=None, description="When it was held (HELD; default now).")


@strawberry.input(description="One action of an outcome agreement.")
class AgreementActionInput:
    kind: ActionKind = strawberry.field(description="What kind of action.")
    description: str = strawberry.field(description="What is to be done (up to 1000 characters).")
    owner_role: ParticipantRole = strawberry.field(description="Whose action it is.")
    due_on: date | None = strawberry.field(default=None, description="When it is due.")


@strawberry.input(description="The outcome agreement the parties reached.")
class RecordOutcomeAgreementInput(CaseChangeInput):
    agreed_on: date = strawberry.field(description="The day it was agreed (not in the future).")
    actions: list[AgreementActionInput] = strawberry.field(description="Its actions (1 to 20).")


@strawberry.input(description="Settle an agreed action: DONE, MISSED, or WAIVED (a note says why).")
class UpdateAgreementActionInput(CaseChangeInput):
    action_id: strawberry.ID = strawberry.field(description="The action.")
    status: ActionStatus = strawberry.field(description="Its new status.")


@strawberry.input(description="A participant stops taking part; without a harmed or responsible party the case closes.")
class WithdrawParticipantInput(CaseChangeInput):
    participant_id: strawberry.ID = strawberry.field(description="The participant withdrawing.")


@strawberry.input(
    description="Feedback on a closed case: a participant's satisfaction or the referrer's recommendation."
)
class RecordFeedbackInput(CaseChangeInput):
    respondent: Respondent = strawberry.field(description="PARTICIPANT or REFERRER.")
    participant_id: strawberry.ID | None = strawberry.field(default=None, description="The participant (PARTICIPANT).")
    satisfied: bool | None = strawberry.field(default=None, description="Satisfied with the service (PARTICIPANT).")
    would_recommend: bool | None = strawberry.field(default=None, description="Would recommend it (REFERRER).")
    comments: str | None = strawberry.field(default=None, description="Their comments (up to 4000 characters).")
