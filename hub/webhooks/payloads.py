"""The body of a webhook: `{type, timestamp, data}`, shaped for its subscriber by the same field rules as queries.

Each field of `data` is read through the access table of hub/api/access.py as the GraphQL field it mirrors
(`Referral.reference`, `StageEvent.to` ...): a field the subscriber may not read in a query is null in its
webhook too. Payloads carry no participants and no personal details at all: a partner that needs more asks the
API, where the same rules apply. JSON Schemas of every type are in schema/webhooks/.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from hub.api.access import rule_for
from hub.auth.principal import Principal
from hub.ids import global_id
from hub.webhooks.models import WebhookEvent

MAX_PAYLOAD_BYTES = 20_000


class PayloadTooLarge(Exception):
    """A payload over the size partners are promised (it cannot happen with today's fields: a guard)."""


def _value(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


# data field → (GraphQL type, field) whose access rule governs it, and how to read it from the event.
DATA_FIELDS: dict[str, tuple[str, str, Callable[[WebhookEvent], Any]]] = {
    "referralId": ("Referral", "id", lambda e: global_id("Referral", e.referral_id)),
    "reference": ("Referral", "reference", lambda e: e.reference),
    "agencyReference": ("Referral", "agencyReference", lambda e: e.agency_reference),
    "stageFrom": ("StageEvent", "from", lambda e: _value(e.stage_from)),
    "stageTo": ("StageEvent", "to", lambda e: _value(e.stage_to)),
    "outcome": ("Referral", "outcome", lambda e: _value(e.outcome)),
}


def iso(at: datetime) -> str:
    """A UTC time as partners read it: 2026-11-23T12:45:00.123456Z."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def data_for(event: WebhookEvent, receiver: Principal) -> dict[str, Any]:
    """The event's data as the receiver may read it: a field its rule denies is null."""
    return {
        name: read(event) if rule_for(type_name, field).allows(receiver, event) else None
        for name, (type_name, field, read) in DATA_FIELDS.items()
    }


def build(event: WebhookEvent, receiver: Principal, sequence: int) -> str:
    """The exact body of one delivery (compact JSON), the same on every attempt."""
    payload = {
        "type": _value(event.type),
        "timestamp": iso(event.occurred_at),
        "data": {**data_for(event, receiver), "sequence": sequence},
    }
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    if len(body.encode()) > MAX_PAYLOAD_BYTES:
        raise PayloadTooLarge(f"a {payload['type']} payload is over {MAX_PAYLOAD_BYTES} bytes")
    return body


def field_names(body: str) -> list[str]:
    """The names of the data fields a body carries with a value (what the audit trail says was disclosed)."""
    data = json.loads(body)["data"]
    return sorted(name for name, value in data.items() if value is not None)
