"""The request's dataloaders, built fresh for each request (so nothing is cached across principals)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from hub.agencies.loaders import AgencyByIdLoader
from hub.agencies.models import Agency
from hub.facilitators import repository as facilitators_repository
from hub.facilitators.loaders import (
    FacilitatorByIdLoader,
    VolunteerHoursByFacilitatorLoader,
    VolunteerHoursTotalByFacilitatorLoader,
)
from hub.prepared import Together
from hub.referrals import repository as referrals_repository
from hub.referrals.loaders import (
    AgreementsWithActions,
    Gathered,
    PartByKeyLoader,
    ParticipantByIdLoader,
    ReferralByIdLoader,
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


def _part(name: str, key_of: Callable[[Any], Any] = BY_REFERRAL) -> cached_property[PartByKeyLoader[Any]]:
    """A Loaders property: the loader of the case part `name` (CASE_RECORD), made on first use, grouping its rows
    by `key_of`."""
    return cached_property(lambda loaders: PartByKeyLoader(loaders._case, name, key_of))


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

    # A case's parts (hub.referrals.repository.CASE_PARTS and CASE_RECORD's others), by the key of their rows.
    participants_by_referral = _part("participants")
    stage_events_by_referral = _part("stage_events")
    facilitators_by_referral = _part("facilitators", attrgetter("allocated_to"))  # the referral's id, as allocated_to
    contact_attempts_by_referral = _part("contact_attempts")
    assessments_by_referral = _part("assessments")
    sessions_by_referral = _part("sessions")
    actions_by_agreement = _part("actions", attrgetter("agreement_id"))
    feedback_by_referral = _part("feedback")
    agreements_by_referral = _part("agreements")

    @cached_property
    def agreements_with_actions(self) -> AgreementsWithActions:
        return AgreementsWithActions(self.agreements_by_referral, self.actions_by_agreement)

    agency_of_case = _part("agencies", attrgetter("id"))

    @cached_property
    def volunteer_hours_by_facilitator(self) -> VolunteerHoursByFacilitatorLoader:
        return VolunteerHoursByFacilitatorLoader(self._run)

    @cached_property
    def volunteer_hours_total_by_facilitator(self) -> VolunteerHoursTotalByFacilitatorLoader:
        return VolunteerHoursTotalByFacilitatorLoader(self._run)
