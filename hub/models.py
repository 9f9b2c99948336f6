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
from hub.stats.models import (
    ClosedCount,
    DeclinedCount,
    FeedbackCount,
    FirstDayCount,
    HoursCount,
    ReceivedCount,
)
from hub.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription

__all__ = [
    "Agency",
    "AgreementAction",
    "Allocation",
    "Assessment",
    "AuditEntry",
    "ClosedCount",
    "ConsentRecord",
    "ContactAttempt",
    "DeclinedCount",
    "Facilitator",
    "Feedback",
    "FeedbackCount",
    "FirstDayCount",
    "HoursCount",
    "OAuthClient",
    "OutcomeAgreement",
    "Participant",
    "RateBucket",
    "ReceivedCount",
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
