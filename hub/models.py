"""Every table, imported once so the metadata (and Alembic) sees the whole schema."""

from hub.agencies.models import Agency
from hub.api.ratelimit import RateBucket
from hub.audit.models import AuditEntry
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
from hub.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription

__all__ = [
    "Agency",
    "AgreementAction",
    "Allocation",
    "Assessment",
    "AuditEntry",
    "ConsentRecord",
    "ContactAttempt",
    "Facilitator",
    "Feedback",
    "OAuthClient",
    "OutcomeAgreement",
    "Participant",
    "RateBucket",
    "Referral",
    "RestorativeSession",
    "SigningKey",
    "StageEvent",
    "VolunteerHours",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookSubscription",
]
