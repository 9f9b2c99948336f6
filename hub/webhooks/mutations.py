"""Thin mutations of the webhooks domain: parse input, call one service function, shape the payload.

Who may call each is the permission class on the field (scope webhooks:manage); which subscriptions it reaches is
the caller's own (the RJ service's staff reach every partner's).
"""

from __future__ import annotations

import strawberry

from hub.api.context import Info
from hub.api.mutations import UserError, attempt
from hub.api.permissions import ManagesWebhooks
from hub.webhooks import repository, service
from hub.webhooks.models import WebhookSubscription
from hub.webhooks.service import IssuedSubscription
from hub.webhooks.ssrf import UrlPolicy
from hub.webhooks.types import (
    CreateWebhookSubscriptionInput,
    RedeliverWebhookInput,
    ReplayWebhookEventsInput,
    UpdateWebhookSubscriptionInput,
    WebhookDeliveryType,
    WebhookSubscriptionInput,
    WebhookSubscriptionType,
)

ERRORS = "Why the change was refused; empty when it was made. Nothing is changed when it is not empty."
ISSUED_KEY_TEXT = (
    "The signing secret (whsec_...), shown this once: store it now. Verify each webhook with it, e.g. with a "
    "Standard Webhooks library. Null when refused."
)


def _subscription(row: WebhookSubscription | None) -> WebhookSubscriptionType | None:
    return WebhookSubscriptionType.from_row(row) if row is not None else None


@strawberry.type(description="The result of a change to a webhook subscription.")
class WebhookSubscriptionPayload:
    subscription: WebhookSubscriptionType | None = strawberry.field(
        description="The subscription after the change; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=ERRORS)


@strawberry.type(description="The result of a change that issues a signing secret.")
class WebhookSecretPayload(WebhookSubscriptionPayload):
    secret: str | None = strawberry.field(description=ISSUED_KEY_TEXT)

    @classmethod
    def of(cls, issued: IssuedSubscription | None, errors: list[UserError]) -> WebhookSecretPayload:
        if issued is None:
            return cls(subscription=None, secret=None, user_errors=errors)
        return cls(subscription=_subscription(issued.subscription), secret=issued.secret, user_errors=errors)


@strawberry.type(description="The result of deleteWebhookSubscription.")
class DeleteWebhookSubscriptionPayload:
    deleted_subscription_id: strawberry.ID | None = strawberry.field(
        description="The id of the subscription deleted; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=ERRORS)


@strawberry.type(description="The result of redeliverWebhook.")
class RedeliverWebhookPayload:
    delivery: WebhookDeliveryType | None = strawberry.field(
        description="The delivery, queued to be sent again now; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=ERRORS)


@strawberry.type(description="The result of replayWebhookEvents.")
class ReplayWebhookEventsPayload:
    queued: int | None = strawberry.field(description="How many events were queued again; null when refused.")
    user_errors: list[UserError] = strawberry.field(description=ERRORS)


def _changed(row: WebhookSubscription | None, errors: list[UserError]) -> WebhookSubscriptionPayload:
    return WebhookSubscriptionPayload(subscription=_subscription(row), user_errors=errors)


@strawberry.type(description="Webhook subscriptions: managing them, and repairing what did not arrive.")
class WebhookMutation:
    @strawberry.mutation(
        description="Subscribe an endpoint to events about the referrals you may see. Returns the signing secret "
        f"this once. {ManagesWebhooks.__doc__}",
        permission_classes=[ManagesWebhooks],
    )
    async def create_webhook_subscription(
        self, info: Info, input: CreateWebhookSubscriptionInput
    ) -> WebhookSecretPayload | None:
        policy = UrlPolicy.of(info.context.settings)
        return WebhookSecretPayload.of(*await attempt(info, service.create_subscription, input, policy))

    @strawberry.mutation(
        description=f"Change a subscription's URL, event types or label. {ManagesWebhooks.__doc__}",
        permission_classes=[ManagesWebhooks],
    )
    async def update_webhook_subscription(
        self, info: Info, input: UpdateWebhookSubscriptionInput
    ) -> WebhookSubscriptionPayload | None:
        policy = UrlPolicy.of(info.context.settings)
        return _changed(*await attempt(info, service.update_subscription, input, policy))

    @strawberry.mutation(
        description=f"Stop sending for now: events wait, and go out in order on resume. {ManagesWebhooks.__doc__}",
        permission_classes=[ManagesWebhooks],
    )
    async def pause_webhook_subscription(
        self, info: Info, input: WebhookSubscriptionInput
    ) -> WebhookSubscriptionPayload | None:
        return _changed(*await attempt(info, service.pause, input))

    @strawberry.mutation(
        description="Send again after a pause, or after the hub disabled the subscription (fix the endpoint "
        f"first; replayWebhookEvents sends what it missed). {ManagesWebhooks.__doc__}",
        permission_classes=[ManagesWebhooks],
    )
    async def resume_webhook_subscription(
        self, info: Info, input: WebhookSubscriptionInput
    ) -> WebhookSubscriptionPayload | None:
        return _changed(*await attempt(info, service.resume, input))

    @strawberry.mutation(
        description="Issue a new signing secret, returned this once; for 24 hours the old one signs too, so "
        f"receivers can switch without losing an event. {ManagesWebhooks.__doc__}",
        permission_classes=[ManagesWebhooks],
    )
    async def rotate_webhook_secret(self, info: Info, input: WebhookSubscriptionInput) -> WebhookSecretPayload | None:
        return WebhookSecretPayload.of(*await attempt(info, service.rotate_secret, input))

    @strawberry.mutation(
        description="Delete a subscription: nothing more is sent to it; its deliveries stay on record. "
        f"{ManagesWebhooks.__doc__}",
        permission_classes=[ManagesWebhooks],
    )
    async def delete_webhook_subscription(
        self, info: Info, input: WebhookSubscriptionInput
    ) -> DeleteWebhookSubscriptionPayload | None:
        deleted, errors = await attempt(info, service.delete, input)
        return DeleteWebhookSubscriptionPayload(
            deleted_subscription_id=input.subscription_id if deleted is not None else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Send one delivery again now, with the same webhook-id, number and body. "
        f"{ManagesWebhooks.__doc__}",
        permission_classes=[ManagesWebhooks],
    )
    async def redeliver_webhook(self, info: Info, input: RedeliverWebhookInput) -> RedeliverWebhookPayload | None:
        row, errors = await attempt(info, service.redeliver, input)
        if row is None:
            return RedeliverWebhookPayload(delivery=None, user_errors=errors)
        attempts = await info.context.run(repository.attempts_of, [row.id])
        return RedeliverWebhookPayload(delivery=WebhookDeliveryType.from_row(row, list(attempts)), user_errors=errors)

    @strawberry.mutation(
        description="Send again every event since a time (at most 30 days ago) that the subscription wants and "
        "may see, in the order they happened, with their original webhook-ids. "
        f"{ManagesWebhooks.__doc__}",
        permission_classes=[ManagesWebhooks],
    )
    async def replay_webhook_events(
        self, info: Info, input: ReplayWebhookEventsInput
    ) -> ReplayWebhookEventsPayload | None:
        queued, errors = await attempt(info, service.replay, input)
        return ReplayWebhookEventsPayload(queued=queued, user_errors=errors)
