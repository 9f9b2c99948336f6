"""Relay object identification: `node(id:)` and `nodes(ids:)` over every type with a global id.

A global id names its type, and each type loads only from its own table through the caller's row filter,
so an id of one type can never fetch an object of another, and a row the caller may not see is NOT_FOUND.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from hub.api.context import Info
from hub.api.errors import bad_input, not_found
from hub.api.pagination import MAX_PAGE_SIZE


async def load_many(
    info: Info, loader: DataLoader[uuid.UUID, Any], node_ids: Iterable[str], make: Callable[[Any], Any]
) -> list[Any]:
    keys = [_uuid(node_id) for node_id in node_ids]
    rows = await loader.load_many([k for k in keys if k is not None])
    found = iter(rows)
    return [None if key is None or (row := next(found)) is None else make(row) for key in keys]


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _node_types() -> dict[str, Any]:
    from hub.agencies.types import AgencyType
    from hub.facilitators.types import FacilitatorType
    from hub.referrals.types import ParticipantType, ReferralType

    return {t.__strawberry_definition__.name: t for t in (AgencyType, FacilitatorType, ParticipantType, ReferralType)}


def _parse(global_id: str) -> tuple[str, str]:
    try:
        parsed = relay.GlobalID.from_id(global_id)
    except (ValueError, relay.GlobalIDValueError):
        raise bad_input("That is not a global id this hub gave out.") from None
    return parsed.type_name, parsed.node_id


async def _resolve(info: Info, global_id: str) -> Any:
    type_name, node_id = _parse(global_id)
    node_type = _node_types().get(type_name)
    if node_type is None:
        return not_found()
    (node,) = await node_type.resolve_nodes(info=info, node_ids=[node_id])
    return node if node is not None else not_found(type_name)


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Fetch any object by its global id. NOT_FOUND when it does not exist for you.")
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        result = await _resolve(info, id)
        if isinstance(result, Exception):
            raise result
        return result  # type: ignore[no-any-return]

    @strawberry.field(
        description=f"Fetch up to {MAX_PAGE_SIZE} objects by global id, in order; each one you may not see is "
        "null with a NOT_FOUND error at its index."
    )
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[relay.Node | None]:
        if len(ids) > MAX_PAGE_SIZE:
            raise bad_input(f"`ids` may hold at most {MAX_PAGE_SIZE} ids (got {len(ids)}).")
        return [await _resolve(info, global_id) for global_id in ids]


def parse_id(global_id: str, type_name: str, argument: str) -> uuid.UUID:
    """The row id inside a global id of the given type; BAD_USER_INPUT naming the argument otherwise."""
    parsed_type, node_id = _parse(global_id)
    row_id = _uuid(node_id)
    if parsed_type != type_name or row_id is None:
        raise bad_input(f"`{argument}` must be the id of a {type_name}.")
    return row_id
