"""Relay cursor connections over keyset pagination: pages are found by index, never by OFFSET."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from hub.api.errors import bad_input
from hub.db import records
from hub.prepared import Bind, Shapes, literal

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20

Row = TypeVar("Row")
Node = TypeVar("Node")


@dataclass(frozen=True)
class PageArgs:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None

    def size(self) -> int:
        if self.first is not None and self.last is not None:
            raise bad_input("Give either `first` or `last`, not both.")
        size = self.first if self.first is not None else self.last
        if size is None:
            return DEFAULT_PAGE_SIZE
        if not 0 <= size <= MAX_PAGE_SIZE:
            name = "first" if self.first is not None else "last"
            raise bad_input(f"`{name}` must be between 0 and {MAX_PAGE_SIZE} (got {size}).")
        return size

    @property
    def backwards(self) -> bool:
        return self.last is not None or (self.before is not None and self.first is None)


@dataclass(frozen=True)
class Ordering:
    """A sort column plus the row id as tie-breaker, and how to carry the column's value in a cursor."""

    column: Any
    id_column: Any
    descending: bool
    value_of: Callable[[Any], Any]
    encode: Callable[[Any], Any] = lambda v: v
    decode: Callable[[Any], Any] = lambda v: v


def iso_datetime() -> dict[str, Callable[[Any], Any]]:
    return {"encode": lambda v: v.isoformat(), "decode": datetime.fromisoformat}


def encode_cursor(ordering: Ordering, row: Any) -> str:
    value = ordering.encode(ordering.value_of(row))
    if isinstance(value, str):  # what json.dumps([value, id]) writes, without its general machinery
        raw = f"[{encode_basestring_ascii(value)}, {encode_basestring_ascii(str(row.id))}]"
    else:
        raw = json.dumps([value, str(row.id)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(ordering: Ordering, cursor: str, argument: str) -> tuple[Any, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, row_id = json.loads(base64.urlsafe_b64decode(padded))
        return ordering.decode(value), uuid.UUID(row_id)
    except (ValueError, TypeError, binascii.Error):
        raise bad_input(f"`{argument}` is not a cursor this list gave out.") from None


def _seek(ordering: Ordering, cursor: str, argument: str, forwards: bool, bind: Bind) -> sa.ColumnElement[bool]:
    value, row_id = decode_cursor(ordering, cursor, argument)
    left = sa.tuple_(ordering.column, ordering.id_column)
    right = sa.tuple_(
        bind(f"{argument}_value", value, ordering.column.type), bind(f"{argument}_id", row_id, ordering.id_column.type)
    )
    # Rows after the cursor in the requested order.
    return left < right if ordering.descending == forwards else left > right


def _order(ordering: Ordering, forwards: bool) -> list[Any]:
    descending = ordering.descending == forwards
    if descending:
        return [ordering.column.desc(), ordering.id_column.desc()]
    return [ordering.column.asc(), ordering.id_column.asc()]


@dataclass
class Page(Generic[Row]):
    rows: Sequence[Row]
    has_next: bool
    has_previous: bool


async def fetch_page(session: AsyncSession, statement: sa.Select, ordering: Ordering, args: PageArgs) -> Page:
    """One page of `statement` (already filtered to what the caller may see) in the given order, as read-only
    records (see hub.db.records)."""
    return _page(list((await session.execute(_paged(statement, ordering, args, literal))).all()), args)


async def fetch_prepared_page(
    session: AsyncSession,
    shapes: Shapes,
    shape: Hashable,
    build: Callable[[Bind], sa.Select],
    ordering: Ordering,
    args: PageArgs,
    binds: Callable[[Bind], object] | None = None,
) -> Page:
    """fetch_page for a list read often: `build(bind)` builds the statement with its values bound (and `shape`
    tells what no parameter shows, as for hub.prepared.Shapes); the page's statement is prepared once per shape.
    `binds(bind)`, where given, binds what `build` does without building the statement (Shapes.prepare)."""
    whole_shape = (shape, ordering.column.key, ordering.id_column.key, ordering.descending, args.backwards)
    page_binds = None if binds is None else (lambda bind: (binds(bind), _bounds(ordering, args, bind)))
    rows = await shapes.rows(session, whole_shape, lambda bind: _paged(build(bind), ordering, args, bind), page_binds)
    return _page(rows, args)


def _paged(statement: sa.Select, ordering: Ordering, args: PageArgs, bind: Bind) -> sa.Select:
    """The statement of one page: after and before the cursors given, in the order asked, one row more than the
    page (to tell whether there is more)."""
    conditions, limit = _bounds(ordering, args, bind)
    return records(statement.where(*conditions).order_by(*_order(ordering, not args.backwards)).limit(limit))


def _bounds(ordering: Ordering, args: PageArgs, bind: Bind) -> tuple[list[sa.ColumnElement[bool]], Any]:
    """The page's conditions (after and before the cursors given) and its LIMIT."""
    conditions = []
    if args.after:
        conditions.append(_seek(ordering, args.after, "after", True, bind))
    if args.before:
        conditions.append(_seek(ordering, args.before, "before", False, bind))
    return conditions, bind("limit", args.size() + 1, sa.Integer)


def _page(rows: list[Any], args: PageArgs) -> Page:
    size = args.size()
    more = len(rows) > size
    rows = rows[:size]
    if args.backwards:
        rows.reverse()
        return Page(rows, has_next=args.before is not None, has_previous=more)
    return Page(rows, has_next=more, has_previous=args.after is not None)


class Edge(relay.Edge[Node]):
    """An edge whose cursor is written when it is read: a page's query often asks only for pageInfo's."""

    def __init__(self, node: Node, row: Any, ordering: Ordering) -> None:
        self.node, self._row, self._ordering = node, row, ordering

    @property  # type: ignore[override]
    def cursor(self) -> str:
        return encode_cursor(self._ordering, self._row)


def to_connection(page: Page, ordering: Ordering, make_node: Callable[[Any], Node]) -> relay.Connection[Node]:
    rows = page.rows
    return relay.Connection(
        edges=[Edge(make_node(row), row, ordering) for row in rows],
        page_info=relay.PageInfo(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=encode_cursor(ordering, rows[0]) if rows else None,
            end_cursor=encode_cursor(ordering, rows[-1]) if rows else None,
        ),
    )
