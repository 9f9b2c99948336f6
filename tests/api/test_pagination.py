"""Cursors: what encode_cursor writes decodes to the row's place, whatever the ordering value holds."""

from __future__ import annotations

import base64
import json
import uuid
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from hub.api.pagination import Ordering, decode_cursor, encode_cursor

TEXT = Ordering(sa.column("name"), sa.column("id"), False, lambda row: row.name)
NUMBER = Ordering(sa.column("n"), sa.column("id"), False, lambda row: row.n)


@pytest.mark.parametrize("name", ["Walsh", 'O"Brien \\ back', "Zoë\u2028line", ""])
def test_a_text_cursor_is_the_json_of_its_value_and_id(name):
    row = SimpleNamespace(id=uuid.uuid4(), name=name)
    cursor = encode_cursor(TEXT, row)
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    assert raw == json.dumps([name, str(row.id)]).encode()
    assert decode_cursor(TEXT, cursor, "after") == (name, row.id)


def test_a_cursor_of_another_value_round_trips():
    row = SimpleNamespace(id=uuid.uuid4(), n=42)
    assert decode_cursor(NUMBER, encode_cursor(NUMBER, row), "after") == (42, row.id)


def test_an_edge_writes_its_cursor_when_it_is_read(monkeypatch):
    from hub.api import pagination

    rows = [SimpleNamespace(id=uuid.uuid4(), name=f"row {n}") for n in range(5)]
    written = []
    monkeypatch.setattr(pagination, "encode_cursor", lambda *given: written.append(given[1]) or encode_cursor(*given))
    connection = pagination.to_connection(pagination.Page(rows, True, False), TEXT, lambda row: row.name)
    assert written == [rows[0], rows[-1]]  # pageInfo's, and no edge's yet
    assert [edge.node for edge in connection.edges] == [row.name for row in rows]
    assert connection.edges[2].cursor == encode_cursor(TEXT, rows[2])
    assert connection.page_info.end_cursor == connection.edges[-1].cursor
    assert connection.page_info.has_next_page and not connection.page_info.has_previous_page
