"""The listener's fan-out within one process: every subscriber that wants a change gets it, and one that falls
behind is ended (its subscription ends with an error) without holding back the others."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from hub.live.listener import FELL_BEHIND, INTERRUPTED, QUEUE_SIZE, Interrupted, StageChangeListener, Subscriber

CASE = uuid.uuid4()


def notice(referral_id: uuid.UUID = CASE, number: int = 0) -> str:
    event = uuid.UUID(int=number)
    fields = {"event": str(event), "referral": str(referral_id), "from": "RECEIVED", "to": "ACCEPTED"}
    return json.dumps(fields | {"at": "2026-11-23T10:00:00+00:00"})


def listening(*subscribers: Subscriber) -> StageChangeListener:
    listener = StageChangeListener("postgresql://unused")
    listener.subscribers.update(subscribers)
    return listener


async def test_a_subscriber_that_falls_behind_is_ended_and_the_others_carry_on():
    slow, quick = Subscriber(None), Subscriber(CASE)
    listener = listening(slow, quick)
    heard = []
    for number in range(QUEUE_SIZE + 1):
        listener.deliver(notice(number=number))
        heard.append((await quick.next()).event_id.int)
    assert heard == list(range(QUEUE_SIZE + 1))
    assert (slow.ended, quick.ended) == (FELL_BEHIND, None)
    with pytest.raises(Interrupted, match=FELL_BEHIND):
        await slow.next()
    listener.deliver(notice(number=QUEUE_SIZE + 1))
    assert listener.subscribers == {quick}


async def test_a_subscriber_to_one_referral_hears_nothing_of_others():
    followed, other = Subscriber(CASE), Subscriber(uuid.uuid4())
    listener = listening(followed, other)
    listener.deliver(notice())
    assert (followed.queue.qsize(), other.queue.qsize()) == (1, 0)


async def test_notices_this_hub_did_not_send_are_ignored(caplog):
    subscriber = Subscriber(None)
    listener = listening(subscriber)
    for text in ("", "[]", '{"event": "x"}', json.dumps({"event": str(CASE), "referral": str(CASE)})):
        listener.deliver(text)
    assert subscriber.queue.qsize() == 0
    assert [record.getMessage() for record in caplog.records] == ["ignored a malformed notice on hub_stage_changed"] * 4


async def test_a_waiting_subscriber_is_woken_when_its_subscription_ends():
    subscriber = Subscriber(None)
    waiting = asyncio.create_task(subscriber.next())
    await asyncio.sleep(0)  # it waits for a change
    subscriber.end(INTERRUPTED)
    with pytest.raises(Interrupted, match=INTERRUPTED):
        await waiting
