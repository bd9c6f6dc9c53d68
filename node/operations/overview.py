"""What an operator looks at first (the desk's Operations screen): every queue's rows by state, the hosts that keep
failing or are parked, and the latest errors recorded on queue rows, each with its short error.

Read-only queries on indexed columns (`state`, `host`), cheap enough to run on every page load.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.functions import Count

from federation.store.models import Delivery, HostHealth, InboxItem
from node.media.wire_models import WireMedia
from node.operations.metrics import QUEUES
from node.translation.models import TranslationJob

__all__ = ["FailingHost", "RecentError", "failing_hosts", "queue_states", "recent_errors"]


async def queue_states() -> dict[str, dict[str, Any]]:
    """Per queue (delivery, inbox, translation, media_fetch): rows by state, and how many are still to be done
    (the same open states `/metrics` counts as the queue's depth)."""
    out: dict[str, dict[str, Any]] = {}
    for name, (model, open_states) in QUEUES.items():
        rows = await model.annotate(n=Count("id")).group_by("state").values_list("state", "n")
        by_state = {str(state): int(n) for state, n in rows}
        out[name] = {"by_state": dict(sorted(by_state.items())),
                     "open": sum(by_state.get(str(s), 0) for s in open_states)}
    return out


@dataclass(frozen=True)
class FailingHost:
    """A host our deliveries keep failing on; `parked` hosts get nothing until they talk to us again."""

    host: str
    consecutive_failures: int
    parked: bool
    last_failure_at: datetime | None
    last_success_at: datetime | None
    waiting: int  # deliveries still queued for it


async def failing_hosts(limit: int = 50) -> list[FailingHost]:
    """Parked hosts first, then those with the most failures in a row."""
    rows = await HostHealth.filter(consecutive_failures__gt=0).order_by("-parked", "-consecutive_failures",
                                                                           "host").limit(limit)
    rows += await HostHealth.filter(parked=True, consecutive_failures=0).limit(limit)
    hosts = [r.host for r in rows]
    waiting = dict(await Delivery.filter(host__in=hosts, state="queued").annotate(n=Count("id"))
                   .group_by("host").values_list("host", "n")) if hosts else {}
    return [FailingHost(r.host, r.consecutive_failures, r.parked, r.last_failure_at, r.last_success_at,
                        int(waiting.get(r.host, 0))) for r in rows][:limit]


@dataclass(frozen=True)
class RecentError:
    """One queue row whose last attempt failed: which queue, what it was about, its state and short error."""

    queue: str       # delivery | inbox | translation | media_fetch
    subject: str     # the inbox URL, the activity id, the story and language, the file URL
    state: str
    attempts: int
    error: str
    at: datetime | None


async def recent_errors(limit: int = 20) -> list[RecentError]:
    """The latest failed or retrying rows of every queue, newest first (by row, then by time)."""
    found: list[RecentError] = []
    for d in await Delivery.filter(last_error__isnull=False).exclude(state="delivered").order_by("-id").limit(limit):
        found.append(RecentError("delivery", d.inbox, d.state, d.attempts,
                                 d.last_error or (f"HTTP {d.last_status}" if d.last_status else ""),
                                 d.next_attempt_at))
    for i in await InboxItem.filter(state="failed").order_by("-id").limit(limit):
        found.append(RecentError("inbox", f"{i.type} {i.activity_id}", i.state, i.attempts, i.note or "",
                                 i.processed_at or i.received_at))
    jobs = await TranslationJob.filter(last_error__isnull=False).exclude(state="translated") \
        .prefetch_related("story").order_by("-id").limit(limit)
    for j in jobs:
        found.append(RecentError("translation", f"{j.story.headline} → {j.language}", j.state, j.attempts,
                                 j.last_error or "", j.next_attempt_at))
    for m in await WireMedia.filter(last_error__isnull=False).exclude(state="stored").order_by("-id").limit(limit):
        found.append(RecentError("media_fetch", m.url, m.state, m.attempts, m.last_error or "",
                                 m.settled_at or m.next_attempt_at))
    found.sort(key=lambda e: e.at.timestamp() if e.at else 0.0, reverse=True)
    return found[:limit]
