"""Global ids, as the hub gives them out: a type name and a row id, so one type's id never fetches another's."""

from __future__ import annotations

import uuid

from strawberry import relay

from hub.problems import ProblemCode, Refused


def row_id(global_id: str, type_name: str, *field: str | int) -> uuid.UUID:
    """The row id in a global id of the given type; a refusal at the input path otherwise."""
    try:
        parsed = relay.GlobalID.from_id(global_id)
        if parsed.type_name == type_name:
            return uuid.UUID(parsed.node_id)
    except (ValueError, relay.GlobalIDValueError):
        pass
    raise Refused.one(field, f"This must be the id of a {type_name}, as the hub gives it out.", ProblemCode.INVALID)


def global_id(type_name: str, row: uuid.UUID) -> str:
    return str(relay.GlobalID(type_name, str(row)))
