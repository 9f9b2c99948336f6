"""One LISTEN connection per hub process, fanning each stage change out to the process's subscribers.

The listener starts with the first subscription, on a dedicated asyncpg connection (not one of the pool's),
and keeps it: a ping every PING_SECONDS notices a connection that died silently, and a lost connection is
replaced after a short pause. A change committed while no connection was listening cannot be delivered, so
a lost connection ends every subscription with an error (the client subscribes again and re-reads what it
follows) rather than letting it miss events in silence.

Each subscriber has a bounded queue. The listener never waits for a subscriber: one that falls QUEUE_SIZE events
behind is ended with an error, for the same reason, and the others carry on.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from contextlib import suppress
from dataclasses import dataclass, field

import asyncpg

from hub.db import CONNECT_TIMEOUT_SECONDS, plain_url
from hub.live.notices import CHANNEL, StageChange, parse

log = logging.getLogger(__name__)

QUEUE_SIZE = 100
PING_SECONDS = 15.0
RECONNECT_SECONDS = 1.0
# How long a new subscription waits for the listener to be listening before it is refused as unavailable.
READY_TIMEOUT_SECONDS = 5.0
APPLICATION_NAME = "rj-partner-hub-listener"

FELL_BEHIND = f"you fell more than {QUEUE_SIZE} events behind"
INTERRUPTED = "the hub lost its connection to the database"


class Interrupted(Exception):
    """The subscriber may have missed events: its subscription must end."""


@dataclass(eq=False)
class Subscriber:
    """One subscription's inbox: the stage changes of one referral, or of all (referral_id None)."""

    referral_id: uuid.UUID | None
    queue: asyncio.Queue[StageChange | None] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    ended: str | None = None

    def wants(self, change: StageChange) -> bool:
        return self.referral_id is None or self.referral_id == change.referral_id

    def offer(self, change: StageChange) -> None:
        """Queue the change without waiting; a full queue ends the subscription."""
        try:
            self.queue.put_nowait(change)
        except asyncio.QueueFull:
            self.end(FELL_BEHIND)

    def end(self, reason: str) -> None:
        if self.ended is None:
            self.ended = reason
            with suppress(asyncio.QueueFull):
                self.queue.put_nowait(None)  # wakes a waiting reader; a full queue is read without waiting

    async def next(self) -> StageChange:
        """The next change; Interrupted once the subscription has ended."""
        change = await self.queue.get() if self.ended is None else None
        if change is None or self.ended is not None:
            raise Interrupted(self.ended)
        return change


@dataclass(eq=False)
class StageChangeListener:
    """LISTENs on the stage-change channel and hands every notice to the subscribers that want it."""

    url: str
    subscribers: set[Subscriber] = field(default_factory=set)
    _listening: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None

    async def subscribe(self, referral_id: uuid.UUID | None) -> Subscriber:
        """A new subscriber, once the listener is listening (TimeoutError if the database cannot be reached)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="stage-change-listener")
        await asyncio.wait_for(self._listening.wait(), READY_TIMEOUT_SECONDS)
        subscriber = Subscriber(referral_id)
        self.subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)

    def deliver(self, text: str) -> None:
        """Hand one notice to every subscriber that wants it."""
        change = parse(text)
        if change is None:
            return
        for subscriber in list(self.subscribers):
            if subscriber.ended is not None:
                self.subscribers.discard(subscriber)  # its subscription is over, even if it never said so
            elif subscriber.wants(change):
                subscriber.offer(change)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self._listen()
            except Exception as error:  # the connection failed or dropped: say so, end what it served, go again
                log.warning("stage change listener: %s; reconnecting", type(error).__name__)
            await asyncio.sleep(RECONNECT_SECONDS)

    async def _listen(self) -> None:
        connection = await asyncpg.connect(
            self.url, timeout=CONNECT_TIMEOUT_SECONDS, server_settings={"application_name": APPLICATION_NAME}
        )
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _: lost.set())
        try:
            await connection.add_listener(CHANNEL, lambda _connection, _pid, _channel, text: self.deliver(text))
            self._listening.set()
            await self._keep_alive(connection, lost)
        finally:
            self._interrupt()
            connection.terminate()

    async def _keep_alive(self, connection: asyncpg.Connection, lost: asyncio.Event) -> None:
        while True:
            with suppress(TimeoutError):
                await asyncio.wait_for(lost.wait(), PING_SECONDS)
            if lost.is_set():
                raise ConnectionError("the listening connection closed")
            await connection.fetchval("SELECT 1", timeout=CONNECT_TIMEOUT_SECONDS)

    def _interrupt(self) -> None:
        """No connection is listening: every current subscriber may miss events, so each one ends."""
        self._listening.clear()
        for subscriber in list(self.subscribers):
            subscriber.end(INTERRUPTED)


def listener_for(database_url: str) -> StageChangeListener:
    return StageChangeListener(plain_url(database_url))
