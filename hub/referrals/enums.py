"""The referrals domain's enums as GraphQL enums: each registered with Strawberry once, here."""

from __future__ import annotations

import strawberry

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

StageType = strawberry.enum(Stage, description="Where a case is in the restorative process.")
IncidentKindType = strawberry.enum(IncidentKind, description="What kind of harm or conflict was referred.")
SensitivityType = strawberry.enum(
    Sensitivity, description="Flags that restrict allocation to facilitators trained for sensitive cases."
)
OutcomeType = strawberry.enum(Outcome, description="How a closed case ended.")
ParticipantRoleType = strawberry.enum(ParticipantRole, description="A participant's part in the case.")
ConsentStateType = strawberry.enum(ConsentState, description="Whether a participant has agreed to take part.")
ContactMethodType = strawberry.enum(ContactMethod, description="How a participant is, or prefers to be, contacted.")
ApproachType = strawberry.enum(Approach, description="The restorative approach: how the parties communicate.")
# The statistics domain wraps DeclineReason too; the description must stay the same in both places.
DeclineReasonType = strawberry.enum(DeclineReason, description="Why a referral was not taken on.")
AssessmentOutcomeType = strawberry.enum(
    AssessmentOutcome, description="Whether it is safe for a party to communicate with the other party."
)
SessionStatusType = strawberry.enum(SessionStatus, description="Whether a session is to come, was held or cancelled.")
ActionKindType = strawberry.enum(ActionKind, description="What an action of an outcome agreement is.")
ActionStatusType = strawberry.enum(ActionStatus, description="Where an agreed action stands while it is monitored.")
RespondentType = strawberry.enum(Respondent, description="Who gave feedback: a participant or the referrer.")
