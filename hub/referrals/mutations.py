"""Thin mutations of the referrals domain: parse input, call one service function, shape the payload.

Each mutation takes one input object and returns one payload with `userErrors`. Who may call it is the
permission class on the field, checked before anything runs; which cases it reaches is the caller's row filter.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from strawberry.permission import BasePermission

from hub.api.context import Info
from hub.api.mutations import UserError, attempt
from hub.api.permissions import CoordinatesCases, DoesCaseWork, MayRefer
from hub.referrals import casework, service
from hub.referrals import inputs as i
from hub.referrals.models import Referral
from hub.referrals.service import Submission
from hub.referrals.types import ReferralType


@strawberry.type(description="The result of a change to a case.")
class ReferralChange:
    referral: ReferralType | None = strawberry.field(
        description="The case after the change (with its new version); null when the change was refused."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why the change was refused; empty when it was made. Nothing is changed when it is not empty."
    )

    @classmethod
    def of(cls, result: Referral | None, errors: list[UserError]) -> ReferralChange:
        return cls(referral=ReferralType.from_row(result) if result is not None else None, user_errors=errors)


@strawberry.type(description="The result of submitReferral.")
class SubmitReferralPayload(ReferralChange):
    created: bool = strawberry.field(
        default=False,
        description="True when this call created the referral; false when it returned the one already submitted "
        "with the same agency reference and content (or when refused).",
    )

    @classmethod
    def of(cls, result: Submission | None, errors: list[UserError]) -> SubmitReferralPayload:  # type: ignore[override]
        if result is None:
            return cls(referral=None, user_errors=errors)
        return cls(referral=ReferralType.from_row(result.referral), user_errors=errors, created=result.created)


def _payload(name: str) -> type[ReferralChange]:
    mutation = name[0].lower() + name[1:]
    return strawberry.type(type(f"{name}Payload", (ReferralChange,), {}), description=f"The result of {mutation}.")


AcceptReferralPayload = _payload("AcceptReferral")
DeclineReferralPayload = _payload("DeclineReferral")
AllocateFacilitatorsPayload = _payload("AllocateFacilitators")
AdvanceStagePayload = _payload("AdvanceStage")
PutOnHoldPayload = _payload("PutOnHold")
ResumePayload = _payload("Resume")
CloseReferralPayload = _payload("CloseReferral")
WithdrawReferralPayload = _payload("WithdrawReferral")
RecordContactAttemptPayload = _payload("RecordContactAttempt")
RecordConsentPayload = _payload("RecordConsent")
RecordAssessmentPayload = _payload("RecordAssessment")
ScheduleSessionPayload = _payload("ScheduleSession")
RecordSessionOutcomePayload = _payload("RecordSessionOutcome")
RecordOutcomeAgreementPayload = _payload("RecordOutcomeAgreement")
UpdateAgreementActionPayload = _payload("UpdateAgreementAction")
WithdrawParticipantPayload = _payload("WithdrawParticipant")
RecordFeedbackPayload = _payload("RecordFeedback")


def _mutation(
    action: Callable[..., Awaitable[Any]],
    input_type: type,
    payload: type[ReferralChange],
    permission: type[BasePermission],
    description: str,
) -> Any:
    """A mutation field that runs `action` as one change and shapes its payload."""

    async def resolve(self: Any, info: Info, input: Any) -> Any:
        return payload.of(*await attempt(info, action, input))

    resolve.__annotations__ = {"info": Info, "input": input_type, "return": payload | None}
    return strawberry.mutation(
        resolver=resolve, description=f"{description} {permission.__doc__}", permission_classes=[permission]
    )


@strawberry.type(description="Referrals and the case work on them.")
class ReferralMutation:
    submit_referral = _mutation(
        service.submit,
        i.SubmitReferralInput,
        SubmitReferralPayload,
        MayRefer,
        "Refer a case. Idempotent: the same agency reference with the same content returns the referral already "
        "made; with different content it is refused (DUPLICATE_AGENCY_REFERENCE).",
    )
    withdraw_referral = _mutation(
        service.withdraw,
        i.WithdrawReferralInput,
        WithdrawReferralPayload,
        MayRefer,
        "Withdraw your agency's referral: the case closes as WITHDRAWN_BY_REFERRER.",
    )
    accept_referral = _mutation(
        service.accept,
        i.AcceptReferralInput,
        AcceptReferralPayload,
        CoordinatesCases,
        "RECEIVED → ACCEPTED. A crime not reported to the police cannot be accepted.",
    )
    decline_referral = _mutation(
        service.decline, i.DeclineReferralInput, DeclineReferralPayload, CoordinatesCases, "RECEIVED → DECLINED."
    )
    allocate_facilitators = _mutation(
        service.allocate,
        i.AllocateFacilitatorsInput,
        AllocateFacilitatorsPayload,
        CoordinatesCases,
        "Allocate one or two facilitators (sensitive cases: trained facilitators only); ACCEPTED → ALLOCATED.",
    )
    advance_stage = _mutation(
        service.advance,
        i.AdvanceStageInput,
        AdvanceStagePayload,
        CoordinatesCases,
        "Move the case to its next stage. An illegal move is refused with the allowed next stages; PREPARATION "
        "and RESTORATIVE_PROCESS need every party still taking part consented and assessed SAFE.",
    )
    put_on_hold = _mutation(
        service.put_on_hold, i.PutOnHoldInput, PutOnHoldPayload, CoordinatesCases, "Pause an open case."
    )
    resume = _mutation(
        service.resume, i.ResumeInput, ResumePayload, CoordinatesCases, "ON_HOLD → the stage the case left."
    )
    close_referral = _mutation(
        service.close,
        i.CloseReferralInput,
        CloseReferralPayload,
        CoordinatesCases,
        "Close the case with an outcome. RESOLVED and PARTIALLY_RESOLVED need the restorative process; RESOLVED "
        "needs every agreed action done or waived.",
    )
    record_contact_attempt = _mutation(
        casework.record_contact_attempt,
        i.RecordContactAttemptInput,
        RecordContactAttemptPayload,
        DoesCaseWork,
        "Record an attempt to reach a participant.",
    )
    record_consent = _mutation(
        casework.record_consent,
        i.RecordConsentInput,
        RecordConsentPayload,
        DoesCaseWork,
        "Record a participant's consent or refusal.",
    )
    record_assessment = _mutation(
        casework.record_assessment,
        i.RecordAssessmentInput,
        RecordAssessmentPayload,
        DoesCaseWork,
        "Record a participant's risk and suitability assessment.",
    )
    schedule_session = _mutation(
        casework.schedule_session,
        i.ScheduleSessionInput,
        ScheduleSessionPayload,
        DoesCaseWork,
        "Schedule a session: only once every party still taking part has consented and been assessed SAFE.",
    )
    record_session_outcome = _mutation(
        casework.record_session_outcome,
        i.RecordSessionOutcomeInput,
        RecordSessionOutcomePayload,
        DoesCaseWork,
        "Record that a session was held or cancelled.",
    )
    record_outcome_agreement = _mutation(
        casework.record_outcome_agreement,
        i.RecordOutcomeAgreementInput,
        RecordOutcomeAgreementPayload,
        CoordinatesCases,
        "Record the outcome agreement and its actions.",
    )
    update_agreement_action = _mutation(
        casework.update_agreement_action,
        i.UpdateAgreementActionInput,
        UpdateAgreementActionPayload,
        DoesCaseWork,
        "Settle an agreed action as DONE, MISSED or WAIVED.",
    )
    withdraw_participant = _mutation(
        casework.withdraw_participant,
        i.WithdrawParticipantInput,
        WithdrawParticipantPayload,
        CoordinatesCases,
        "A participant withdraws; without a harmed (or responsible) party the case closes as withdrawn by them.",
    )
    record_feedback = _mutation(
        casework.record_feedback,
        i.RecordFeedbackInput,
        RecordFeedbackPayload,
        CoordinatesCases,
        "Record feedback on a closed case.",
    )
