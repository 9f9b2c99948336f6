"""The request's dataloaders, built fresh for each request (so nothing is cached across principals)."""

from __future__ import annotations

from operator import attrgetter
from typing import TYPE_CHECKING

from hub.agencies.loaders import AgencyByIdLoader
from hub.agencies.models import Agency
from hub.facilitators import repository as facilitators_repository
from hub.facilitators.loaders import (
    FacilitatorByIdLoader,
    VolunteerHoursByFacilitatorLoader,
    VolunteerHoursTotalByFacilitatorLoader,
)
from hub.facilitators.models import Facilitator
from hub.prepared import Together
from hub.referrals import repository as referrals_repository
from hub.referrals.loaders import (
    AgreementByReferralLoader,
    Gathered,
    PartByKeyLoader,
    ParticipantByIdLoader,
    ReferralByIdLoader,
)
from hub.referrals.models import (
    AgreementAction,
    Assessment,
    ContactAttempt,
    Feedback,
    Participant,
    RestorativeSession,
    StageEvent,
)

# What the case's dataloaders read, by referral: its collections and its allocated facilitators.
BY_REFERRAL = attrgetter("referral_id")
CASE_RECORD = Together(
    {
        **referrals_repository.CASE_PARTS,
        "facilitators": facilitators_repository.allocated,
        "agencies": referrals_repository.by_key(Agency.id),  # a case's referring agency, read with its parts
    },
    alone=True,
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
        case = Gathered(session, CASE_RECORD)  # one statement for the parts of a case each level asks for
        self.participants_by_referral = PartByKeyLoader[Participant](case, "participants", BY_REFERRAL)
        self.stage_events_by_referral = PartByKeyLoader[StageEvent](case, "stage_events", BY_REFERRAL)
        # Facilitators come as records with the referral's id as `allocated_to`.
        self.facilitators_by_referral = PartByKeyLoader[Facilitator](case, "facilitators", attrgetter("allocated_to"))
        self.contact_attempts_by_referral = PartByKeyLoader[ContactAttempt](case, "contact_attempts", BY_REFERRAL)
        self.assessments_by_referral = PartByKeyLoader[Assessment](case, "assessments", BY_REFERRAL)
        self.sessions_by_referral = PartByKeyLoader[RestorativeSession](case, "sessions", BY_REFERRAL)
        self.agreement_by_referral = AgreementByReferralLoader(case)
        self.actions_by_agreement = PartByKeyLoader[AgreementAction](case, "actions", attrgetter("agreement_id"))
        self.feedback_by_referral = PartByKeyLoader[Feedback](case, "feedback", BY_REFERRAL)
        self.agency_of_case = PartByKeyLoader[Agency](case, "agencies", attrgetter("id"))
        self.volunteer_hours_by_facilitator = VolunteerHoursByFacilitatorLoader(session)
        self.volunteer_hours_total_by_facilitator = VolunteerHoursTotalByFacilitatorLoader(session)
