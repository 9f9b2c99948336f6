"""The request's dataloaders, built fresh for each request (so nothing is cached across principals)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.agencies.loaders import AgencyByIdLoader
from hub.facilitators.loaders import FacilitatorByIdLoader, FacilitatorsByReferralLoader
from hub.referrals.loaders import (
    ParticipantByIdLoader,
    ParticipantsByReferralLoader,
    ReferralByIdLoader,
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
