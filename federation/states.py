"""Declared states of the stored queues and the edges allowed between them.

A queue row only moves along a declared edge; `check_transition` raises on any other, so a bug that would, say,
resurrect a delivered row fails loudly instead of sending a story twice.
"""

from __future__ import annotations

from enum import StrEnum


class IllegalTransition(Exception):
    """A queue row was asked to move along an edge that is not declared."""


class DeliveryState(StrEnum):
    QUEUED = "queued"          # waiting for its next attempt (first or retry)
    SENDING = "sending"        # claimed by a worker; lock expiry returns it to the pool after a crash
    DELIVERED = "delivered"    # the inbox answered 2xx: never sent again
    DEAD = "dead"              # gave up: permanent 4xx, 410, or retries exhausted
    CANCELLED = "cancelled"    # withdrawn before delivery (story killed, follower gone)


class InboxState(StrEnum):
    RECEIVED = "received"
    PROCESSING = "processing"
    PROCESSED = "processed"
    IGNORED = "ignored"        # a type we do not handle, or nothing to do
    FAILED = "failed"          # processing raised repeatedly; kept for the operator


class TranslationJobState(StrEnum):
    PENDING = "pending"          # waiting for its next attempt (first, retry, or the story changed)
    TRANSLATING = "translating"  # claimed by a worker; lock expiry returns it to the pool after a crash
    TRANSLATED = "translated"    # the translation reached the translation store
    DEAD = "dead"                # gave up: refused by the engine, or retries exhausted
    CANCELLED = "cancelled"      # the story was deleted first


_DELIVERY_EDGES: dict[DeliveryState, frozenset[DeliveryState]] = {
    DeliveryState.QUEUED: frozenset({DeliveryState.SENDING, DeliveryState.CANCELLED, DeliveryState.DEAD}),
    DeliveryState.SENDING: frozenset(
        {DeliveryState.DELIVERED, DeliveryState.QUEUED, DeliveryState.DEAD, DeliveryState.CANCELLED,
         DeliveryState.SENDING}  # re-claimed after its lock expired (the worker that held it died)
    ),
    DeliveryState.DELIVERED: frozenset(),
    DeliveryState.DEAD: frozenset({DeliveryState.QUEUED}),  # an operator's retry, or a parked host revived
    DeliveryState.CANCELLED: frozenset(),
}

_INBOX_EDGES: dict[InboxState, frozenset[InboxState]] = {
    InboxState.RECEIVED: frozenset({InboxState.PROCESSING}),
    InboxState.PROCESSING: frozenset(
        {InboxState.PROCESSED, InboxState.IGNORED, InboxState.RECEIVED, InboxState.FAILED, InboxState.PROCESSING}
    ),
    InboxState.PROCESSED: frozenset(),
    InboxState.IGNORED: frozenset(),
    InboxState.FAILED: frozenset({InboxState.RECEIVED}),
}


_TRANSLATION_JOB_EDGES: dict[TranslationJobState, frozenset[TranslationJobState]] = {
    TranslationJobState.PENDING: frozenset({TranslationJobState.TRANSLATING, TranslationJobState.CANCELLED,
                                            TranslationJobState.PENDING}),
    TranslationJobState.TRANSLATING: frozenset(
        {TranslationJobState.TRANSLATED, TranslationJobState.PENDING, TranslationJobState.DEAD,
         TranslationJobState.CANCELLED, TranslationJobState.TRANSLATING}  # re-claimed after its lock expired
    ),
    # The story changed, or an operator retries: translate again.
    TranslationJobState.TRANSLATED: frozenset({TranslationJobState.PENDING, TranslationJobState.CANCELLED}),
    # (dead -> cancelled is not an edge: "dead" and "cancelled" are delivery states too, whose edges win.)
    TranslationJobState.DEAD: frozenset({TranslationJobState.PENDING}),
    TranslationJobState.CANCELLED: frozenset(),
}

_MACHINES = ((DeliveryState, _DELIVERY_EDGES), (InboxState, _INBOX_EDGES),
             (TranslationJobState, _TRANSLATION_JOB_EDGES))


def check_transition(current: str, new: str) -> None:
    """Raise `IllegalTransition` unless a delivery, inbox or translation-job row may go from `current` to `new`."""
    for enum, edges in _MACHINES:  # type: ignore[assignment]
        if current in enum.__members__.values() and new in enum.__members__.values():
            if enum(new) in edges[enum(current)]:
                return
            raise IllegalTransition(f"{enum.__name__}: {current} -> {new} is not allowed")
    raise IllegalTransition(f"unknown states: {current!r} -> {new!r}")


def sources_of(new: DeliveryState | InboxState | TranslationJobState) -> tuple[str, ...]:
    """The states a row may come from to reach `new` (used to write conditional UPDATEs)."""
    edges: dict = next(e for enum, e in _MACHINES if isinstance(new, enum))  # type: ignore[type-arg]
    return tuple(sorted(src.value for src, dst in edges.items() if new in dst))
