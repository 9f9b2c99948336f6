"""Thin resolvers of the webhooks domain: a partner's subscriptions, and every delivery and attempt of one."""

from __future__ import annotations

from collections import defaultdict

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from hub.api.context import Info
from hub.api.pagination import MAX_PAGE_SIZE, Ordering, Page, PageArgs, fetch_page, iso_datetime, to_connection
from hub.api.permissions import ManagesWebhooks
from hub.auth.principal import Principal
from hub.webhooks import repository
from hub.webhooks.models import WebhookDelivery, WebhookSubscription
from hub.webhooks.types import DeliveryStatusType, WebhookDeliveryType, WebhookSubscriptionType

_NEWEST_SUBSCRIPTIONS = Ordering(
    WebhookSubscription.created_at, WebhookSubscription.id, True, lambda row: row.created_at, **iso_datetime()
)
_NEWEST_DELIVERIES = Ordering(
    WebhookDelivery.created_at, WebhookDelivery.id, True, lambda row: row.created_at, **iso_datetime()
)


async def _delivery_page(
    session: AsyncSession, principal: Principal, subscription_id: str, status: str | None, args: PageArgs
) -> tuple[Page, dict]:
    """One page of deliveries, with their attempts (two statements for any page)."""
    from hub.api.node import parse_id

    statement = repository.deliveries_of(principal, parse_id(subscription_id, "WebhookSubscription", "subscriptionId"))
    if status is not None:
        statement = statement.where(WebhookDelivery.status == status)
    page = await fetch_page(session, statement, _NEWEST_DELIVERIES, args)
    attempts: dict = defaultdict(list)
    for attempt in await repository.attempts_of(session, [row.id for row in page.rows]):
        attempts[attempt.delivery_id].append(attempt)
    return page, attempts


@strawberry.type
class WebhookQuery:
    @strawberry.field(
        description=f"Your webhook subscriptions, newest first, at most {MAX_PAGE_SIZE} a page (the RJ service's "
        f"staff see every partner's). {ManagesWebhooks.__doc__}",
        permission_classes=[ManagesWebhooks],
    )
    async def webhook_subscriptions(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> relay.Connection[WebhookSubscriptionType] | None:  # type: ignore[type-var]  # not nodes
        statement = repository.readable(info.context.principal)
        args = PageArgs(first, after, last, before)
        page = await info.context.run(fetch_page, statement, _NEWEST_SUBSCRIPTIONS, args)
        return to_connection(page, _NEWEST_SUBSCRIPTIONS, WebhookSubscriptionType.from_row)

    @strawberry.field(
        description=f"The deliveries of one of your subscriptions, newest first, at most {MAX_PAGE_SIZE} a page, "
        f"each with every attempt (time, status code, duration, error, the answer's first kilobyte). "
        f"{ManagesWebhooks.__doc__}",
        permission_classes=[ManagesWebhooks],
    )
    async def webhook_deliveries(
        self,
        info: Info,
        subscription_id: strawberry.ID,
        status: DeliveryStatusType | None = None,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> relay.Connection[WebhookDeliveryType] | None:  # type: ignore[type-var]  # not nodes
        args = PageArgs(first, after, last, before)
        page, attempts = await info.context.run(_delivery_page, info.context.principal, subscription_id, status, args)
        return to_connection(
            page,
            _NEWEST_DELIVERIES,
            lambda row: WebhookDeliveryType.from_row(row, attempts[row.id]),
        )
