"""Every table, imported once so the metadata (and Alembic) sees the whole schema."""

from hub.agencies.models import Agency
from hub.auth.models import OAuthClient, SigningKey
from hub.facilitators.models import Allocation, Facilitator, VolunteerHours
from hub.referrals.models import (
    AgreementAction,
    Assessment,
    ConsentRecord,
    ContactAttempt,
    Feedback,
    OutcomeAgreement,
    Participant,
    Referral,
    RestorativeSession,
    StageEvent,
)

__all__ = [
    "Agency",
    "AgreementAction",
    "Allocation",
    "Assessment",
    "ConsentRecord",
    "ContactAttempt",
    "Facilitator",
    "Feedback",
    "OAuthClient",
    "OutcomeAgreement",
    "Participant",
    "Referral",
    "RestorativeSession",
    "SigningKey",
    "StageEvent",
    "VolunteerHours",
]
