"""The request's dataloaders, built fresh for each request (so nothing is cached across principals)."""

from __future__ import annotations

from functools import cached_property
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
    """The request's loaders, each made when the request first asks for it (most requests use few of them)."""

    def __init__(self, context: Context) -> None:
        self._run = context.run
        self._principal = context.principal

    @cached_property
    def _case(self) -> Gathered:
        return Gathered(self._run, CASE_RECORD)  # one statement for the parts of a case each level asks for

    @cached_property
    def agency_by_id(self) -> AgencyByIdLoader:
        return AgencyByIdLoader(self._run)

    @cached_property
    def referral_by_id(self) -> ReferralByIdLoader:
        return ReferralByIdLoader(self._run, self._principal)

    @cached_property
    def participant_by_id(self) -> ParticipantByIdLoader:
        return ParticipantByIdLoader(self._run, self._principal)

    @cached_property
    def facilitator_by_id(self) -> FacilitatorByIdLoader:
        return FacilitatorByIdLoader(self._run, self._principal)

    @cached_property
    def participants_by_referral(self) -> PartByKeyLoader[Participant]:
        return PartByKeyLoader(self._case, "participants", BY_REFERRAL)

    @cached_property
    def stage_events_by_referral(self) -> PartByKeyLoader[StageEvent]:
        return PartByKeyLoader(self._case, "stage_events", BY_REFERRAL)

    @cached_property
    def facilitators_by_referral(self) -> PartByKeyLoader[Facilitator]:
        # Facilitators come as records with the referral's id as `allocated_to`.
        return PartByKeyLoader(self._case, "facilitators", attrgetter("allocated_to"))

    @cached_property
    def contact_attempts_by_referral(self) -> PartByKeyLoader[ContactAttempt]:
        return PartByKeyLoader(self._case, "contact_attempts", BY_REFERRAL)

    @cached_property
    def assessments_by_referral(self) -> PartByKeyLoader[Assessment]:
        return PartByKeyLoader(self._case, "assessments", BY_REFERRAL)

    @cached_property
    def sessions_by_referral(self) -> PartByKeyLoader[RestorativeSession]:
        return PartByKeyLoader(self._case, "sessions", BY_REFERRAL)

    @cached_property
    def agreement_by_referral(self) -> AgreementByReferralLoader:
        return AgreementByReferralLoader(self._case)

    @cached_property
    def actions_by_agreement(self) -> PartByKeyLoader[AgreementAction]:
        return PartByKeyLoader(self._case, "actions", attrgetter("agreement_id"))

    @cached_property
    def feedback_by_referral(self) -> PartByKeyLoader[Feedback]:
        return PartByKeyLoader(self._case, "feedback", BY_REFERRAL)

    @cached_property
    def agency_of_case(self) -> PartByKeyLoader[Agency]:
        return PartByKeyLoader(self._case, "agencies", attrgetter("id"))

    @cached_property
    def volunteer_hours_by_facilitator(self) -> VolunteerHoursByFacilitatorLoader:
        return VolunteerHoursByFacilitatorLoader(self._run)

    @cached_property
    def volunteer_hours_total_by_facilitator(self) -> VolunteerHoursTotalByFacilitatorLoader:
        return VolunteerHoursTotalByFacilitatorLoader(self._run)
