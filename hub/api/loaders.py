"""The request's dataloaders, built fresh for each request (so nothing is cached across principals)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.agencies.loaders import AgencyByIdLoader
from hub.facilitators.loaders import (
    FacilitatorByIdLoader,
    FacilitatorsByReferralLoader,
    VolunteerHoursByFacilitatorLoader,
    VolunteerHoursTotalByFacilitatorLoader,
)
from hub.referrals.loaders import (
    ActionsByAgreementLoader,
    AgreementByReferralLoader,
    AssessmentsByReferralLoader,
    ContactAttemptsByReferralLoader,
    FeedbackByReferralLoader,
    ParticipantByIdLoader,
    ParticipantsByReferralLoader,
    ReferralByIdLoader,
    SessionsByReferralLoader,
    StageEventsByReferralLoader,
)

if TYPE_CHECKING:
    from hub.api.context import Context


class Loaders:
    def __init__(self, context: Context) -> None:
        session = context.run
        principal = context.principal
        self.agency_by_id = AgencyByIdLoader(session)
        self.referral_by_id = ReferralByIdLoader(session, principal)
        self.participant_by_id = ParticipantByIdLoader(session, principal)
        self.facilitator_by_id = FacilitatorByIdLoader(session, principal)
        self.participants_by_referral = ParticipantsByReferralLoader(session)
        self.stage_events_by_referral = StageEventsByReferralLoader(session)
        self.facilitators_by_referral = FacilitatorsByReferralLoader(session)
        self.contact_attempts_by_referral = ContactAttemptsByReferralLoader(session)
        self.assessments_by_referral = AssessmentsByReferralLoader(session)
        self.sessions_by_referral = SessionsByReferralLoader(session)
        self.agreement_by_referral = AgreementByReferralLoader(session)
        self.actions_by_agreement = ActionsByAgreementLoader(session)
        self.feedback_by_referral = FeedbackByReferralLoader(session)
        self.volunteer_hours_by_facilitator = VolunteerHoursByFacilitatorLoader(session)
        self.volunteer_hours_total_by_facilitator = VolunteerHoursTotalByFacilitatorLoader(session)
