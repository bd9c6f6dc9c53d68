"""An in-process event hub: what happened in this node, told at once to whoever listens (the desk's live pages).

One hub per running node (`Node.events`). `publish` never waits: each subscriber has a bounded queue, and one that
falls too far behind is told to resynchronise instead of holding the others back. The hub keeps the last events
so that a client reconnecting with its last event id (SSE `Last-Event-ID`) gets what it missed; ids carry the
hub's epoch, so an id from before a restart asks for a resynchronisation instead of replaying the wrong events.
Nothing is persisted: the database stays the truth, and a resynchronisation reloads from it.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Mapping

__all__ = ["Event", "EventHub", "Subscription"]


@dataclass
class Event:
    """One event: its number in the hub, its kind (``wire.stored``...), its data, and a scratch `cache` that
    subscribers share (e.g. the story row rendered once per language instead of once per desk)."""

    seq: int
    kind: str
    data: Mapping[str, Any]
    id: str = ""
    cache: dict[Any, Any] = field(default_factory=dict, repr=False)


# A subscriber's queue holds at most this many events; past it, it is told to resynchronise.
QUEUE_SIZE = 256


class Subscription:
    """One listener's events, in order; `resync` is set when some were lost (too slow, or too old to replay)."""

    def __init__(self, hub: "EventHub") -> None:
        self._hub = hub
        self._queue: asyncio.Queue[Event] = asyncio.Queue(QUEUE_SIZE)
        self.resync = False
        self.closed = False  # the hub closed (the node is stopping): the listener should end
        self._wakeup = asyncio.Event()

    def _put(self, event: Event) -> None:
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.resync = True
        self._wakeup.set()

    async def next(self, timeout: float) -> Event | None:
        """The next event, or None after `timeout` seconds without one (or when `resync` was set)."""
        if self._queue.empty() and not self.resync and not self.closed:
            self._wakeup.clear()
            try:
                await asyncio.wait_for(self._wakeup.wait(), timeout)
            except TimeoutError:
                return None
        if self.resync or self.closed:
            return None
        return self._queue.get_nowait() if not self._queue.empty() else None

    def reset(self) -> None:
        """After a resynchronisation: forget what is queued and the flag (the client reloads from the database)."""
        while not self._queue.empty():
            self._queue.get_nowait()
        self.resync = False

    def close(self) -> None:
        self._hub._subscribers.discard(self)

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class EventHub:
    """Publish events to every current subscriber, keeping the last `keep` for reconnecting clients."""

    def __init__(self, keep: int = 1000) -> None:
        self.epoch = secrets.token_hex(4)
        self._seq = 0
        self._recent: deque[Event] = deque(maxlen=keep)
        self._subscribers: set[Subscription] = set()

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def publish(self, kind: str, data: Mapping[str, Any]) -> Event:
        """Tell every subscriber, now, without waiting for any of them."""
        self._seq += 1
        event = Event(self._seq, kind, dict(data), id=f"{self.epoch}-{self._seq}")
        self._recent.append(event)
        for sub in list(self._subscribers):
            sub._put(event)
        return event

    def close(self) -> None:
        """Tell every subscriber to end (the node is stopping: open streams must not hold its shutdown)."""
        for sub in list(self._subscribers):
            sub.closed = True
            sub._wakeup.set()

    def subscribe(self, last_event_id: str = "") -> Subscription:
        """A new subscription; with the last event id a client saw, the events since then come first (or, when
        they cannot, the subscription starts with `resync` set)."""
        sub = Subscription(self)
        if last_event_id:
            epoch, _, seq = last_event_id.partition("-")
            missed = self._since(int(seq)) if epoch == self.epoch and seq.isdigit() else None
            if missed is None:
                sub.resync = True
            else:
                for event in missed:
                    sub._put(event)
        self._subscribers.add(sub)
        return sub

    def _since(self, seq: int) -> list[Event] | None:
        if seq > self._seq:
            return None
        if seq == self._seq:
            return []
        if not self._recent or self._recent[0].seq > seq + 1:
            return None  # some were dropped from the window
        return [e for e in self._recent if e.seq > seq]
