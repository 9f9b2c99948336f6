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
