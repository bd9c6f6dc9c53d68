"""Declared states of the stored queues and the edges allowed between them.

A queue row only moves along a declared edge; `check_transition` raises on any other, so a bug that would, say,
resurrect a delivered row fails loudly instead of sending a story twice.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Mapping


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


class ExpansionState(StrEnum):
    EXPANDING = "expanding"    # followers left to turn into delivery rows (two-stage fan-out)
    EXPANDED = "expanded"      # every follower has its row
    CANCELLED = "cancelled"    # the activity was withdrawn (story killed) before the last batch


_EXPANSION_EDGES: dict[ExpansionState, frozenset[ExpansionState]] = {
    ExpansionState.EXPANDING: frozenset({ExpansionState.EXPANDED, ExpansionState.CANCELLED}),
    ExpansionState.EXPANDED: frozenset(),
    ExpansionState.CANCELLED: frozenset(),
}

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


# The engine's own machines, then those an application declares for its queues (`declare`).
_MACHINES: list[tuple[type[StrEnum], Mapping[Any, frozenset[Any]]]] = [
    (DeliveryState, _DELIVERY_EDGES), (InboxState, _INBOX_EDGES), (ExpansionState, _EXPANSION_EDGES)]


def declare(states: type[StrEnum], edges: Mapping[Any, frozenset[Any]]) -> None:
    """Declare the states and edges of an application's queue (the newsroom's translation jobs), so that
    `check_transition` and `sources_of` guard its rows too. Declaring the same states again does nothing.

    A pair of state names that an earlier machine also has is checked against the earlier one."""
    if not any(enum is states for enum, _ in _MACHINES):
        _MACHINES.append((states, edges))
        _ALLOWED.clear()


# Edges already found allowed: a fan-out checks the same one for every row it settles.
_ALLOWED: set[tuple[str, str]] = set()


def check_transition(current: str, new: str) -> None:
    """Raise `IllegalTransition` unless a delivery, inbox or declared queue row may go from `current` to `new`."""
    key = (str(current), str(new))  # an enum member hashes by its name, not its value
    if key in _ALLOWED:
        return
    _check(current, new)
    _ALLOWED.add(key)


def _check(current: str, new: str) -> None:
    for enum, edges in _MACHINES:  # type: ignore[assignment]
        if current in enum.__members__.values() and new in enum.__members__.values():
            if enum(new) in edges[enum(current)]:
                return
            raise IllegalTransition(f"{enum.__name__}: {current} -> {new} is not allowed")
    raise IllegalTransition(f"unknown states: {current!r} -> {new!r}")


def sources_of(new: StrEnum) -> tuple[str, ...]:
    """The states a row may come from to reach `new` (used to write conditional UPDATEs)."""
    edges: dict = next(e for enum, e in _MACHINES if isinstance(new, enum))  # type: ignore[type-arg]
    return tuple(sorted(src.value for src, dst in edges.items() if new in dst))
