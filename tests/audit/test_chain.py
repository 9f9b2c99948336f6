"""The chain: gapless sequence numbers, each entry hashing its content with the previous hash; rows refuse edits."""

from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.exc import DBAPIError

from hub.audit.models import GENESIS_HASH, AuditAction, AuditEntry
from hub.audit.service import (
    Actor,
    PendingEntry,
    append_all,
    around_the_link,
    canonical,
    canonical_text,
    hash_of,
    record,
)
from hub.audit.verify import Break, Verdict, verify_chain
from tests.audit.trail import append_samples, bypass_trigger, entries, restore_trigger, sample
from tests.referrals.test_statement_count import statements_on


async def test_entries_link_in_sequence_and_hash_their_content(session):
    written = await append_samples(session, 3)
    chain = await entries(session)
    assert [e.sequence for e in chain] == [1, 2, 3]
    assert [e.prev_hash for e in chain] == [GENESIS_HASH, chain[0].hash, chain[1].hash]
    assert all(e.hash == hash_of(e) and len(e.hash) == 64 for e in chain)
    assert [e.hash for e in chain] == [e.hash for e in written]  # read back exactly as hashed


def test_the_canonical_form_is_sorted_compact_json_with_utc_microseconds():
    entry = sample(1).chained(7, GENESIS_HASH)
    text = canonical(entry).decode()
    assert text.startswith('{"action":"ALTERATION","actor_agency_id":"00000000-0000-0000-0000-0000000003e9",')
    assert f'"at":"{entry.at.isoformat(timespec="microseconds")}"' in text
    assert f'"prev_hash":"{GENESIS_HASH}"' in text and '"sequence":7' in text
    assert (
        '"records":[{"fields":["stage","version"],"id":"00000000-0000-0000-0000-000000000001","type":"Referral"}]'
        in text
    )


async def test_verify_walks_the_chain_in_batches(session):
    await append_samples(session, 5)
    assert await verify_chain(session, batch_size=2) == Verdict(5)
    assert await verify_chain(session, batch_size=5) == Verdict(5)


async def test_an_empty_chain_is_intact(session):
    assert await verify_chain(session) == Verdict(0)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_entry SET operation = 'declineReferral' WHERE sequence = 1",
        "DELETE FROM audit_entry WHERE sequence = 2",
        "TRUNCATE audit_entry",
    ],
)
async def test_the_application_role_cannot_update_delete_or_truncate_entries(session, statement):
    await append_samples(session, 2)
    with pytest.raises(DBAPIError, match="audit entries are append-only"):
        async with session.begin_nested():
            await session.execute(sa.text(statement))
    assert await verify_chain(session) == Verdict(2)


async def test_an_edit_that_bypasses_the_trigger_is_found(session):
    """As a superuser would: with triggers off for the session (the test's role is a superuser)."""
    await append_samples(session, 4)
    await bypass_trigger(session)
    await session.execute(sa.text("UPDATE audit_entry SET source_address = '198.51.100.7' WHERE sequence = 3"))
    await restore_trigger(session)
    reason = "its content does not match its hash (it was altered after it was written)"
    assert await verify_chain(session, batch_size=2) == Verdict(2, Break(3, reason))


async def test_a_rehashed_edit_breaks_the_next_link(session):
    chain = await append_samples(session, 3)
    forged = AuditEntry(**chain[1].model_dump())
    forged.operation = "closeReferral"
    await bypass_trigger(session)
    await session.execute(
        sa.text("UPDATE audit_entry SET operation = 'closeReferral', hash = :hash WHERE sequence = 2"),
        {"hash": hash_of(forged)},
    )
    await restore_trigger(session)
    assert await verify_chain(session) == Verdict(2, Break(3, "its previous hash does not match the hash of entry #2"))


async def test_a_removed_entry_is_found(session):
    await append_samples(session, 4)
    await bypass_trigger(session)
    await session.execute(sa.text("DELETE FROM audit_entry WHERE sequence IN (2, 3)"))
    await restore_trigger(session)
    assert await verify_chain(session) == Verdict(1, Break(4, "entries #2 to #3 before it are missing"))


AWKWARD = PendingEntry(
    action=AuditAction.CONSULTATION,
    operation='query "prev_hash":"x" "sequence":0',  # the keys' own text inside a value
    records=[
        record("Participant", uuid.UUID(int=5), ["contact"]),
        {"type": "Note", "id": 'Zoë\u2028 \\ "', "fields": []},
    ],
    actor=Actor(None, None, 'person "sequence":0'),
    recipient=None,
    request_id=None,
    source_address='"prev_hash":"',
)


@pytest.mark.parametrize("pending", [sample(1), AWKWARD], ids=["sample", "awkward values"])
def test_the_text_around_the_link_is_the_canonical_text(pending):
    head, middle, tail = around_the_link(canonical(pending.unchained()).decode())  # sequence 0, no previous hash
    entry = pending.chained(123, "ab" * 32)
    assert (head + entry.prev_hash + middle + str(entry.sequence) + tail).encode() == canonical(entry)


# What an entry's body holds: text of any characters, integers, null, and lists and objects of them.
_TEXT = st.text(st.characters(codec="utf-8") | st.sampled_from('"\\/\x00\x1f\x7f\u2028\u2029\ufeff\U0001f600'))
_VALUES = st.recursive(
    st.none() | st.integers(min_value=-(2**63), max_value=2**64 - 1) | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12,
)


@given(st.dictionaries(_TEXT, _VALUES, max_size=6))
def test_the_canonical_text_is_what_json_writes(body):
    """The chain's hashes are of this text, so it must stay exactly what the json module wrote (entries already
    in the chain are verified with it)."""
    assert canonical_text(body) == json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def test_what_orjson_refuses_is_written_by_json():
    for body in ({"n": 2**70}, {"text": "\ud800"}):
        assert canonical_text(body) == json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


async def test_appending_is_one_statement_and_the_database_hashes_as_the_hub_does(session, engine):
    await append_samples(session, 1)
    with statements_on(engine) as sent:
        written = await append_all(session, [AWKWARD, sample(2)])
    assert len(sent) == 1
    chain = await entries(session)
    assert [e.sequence for e in chain] == [1, 2, 3]
    assert [(e.sequence, e.prev_hash, e.hash) for e in chain[1:]] == written
    assert all(e.hash == hash_of(e) for e in chain)
    assert await verify_chain(session) == Verdict(3)
