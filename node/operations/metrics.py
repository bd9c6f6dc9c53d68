"""The node's Prometheus metrics: one registry per app (never the global default, so several nodes in one process
keep their own counts), fed by the engine's observer hook and a latency middleware, with queue depths read from
the database at scrape time."""

from __future__ import annotations

import time
from typing import Awaitable, Callable

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from federation.observe import Observer
from federation.states import DeliveryState, InboxState
from federation.store.models import Delivery, InboxItem
from node.media.wire_models import WireMedia
from node.media.wire_states import MediaFetchState
from node.translation.models import TranslationJob
from node.translation.states import TranslationJobState

__all__ = ["CONTENT_TYPE_LATEST", "NodeMetrics", "QUEUES"]

# Each queue and the states in which its rows are still to be done (waiting or being worked on).
QUEUES = {
    "delivery": (Delivery, (DeliveryState.QUEUED, DeliveryState.SENDING)),
    "inbox": (InboxItem, (InboxState.RECEIVED, InboxState.PROCESSING)),
    "translation": (TranslationJob, (TranslationJobState.PENDING, TranslationJobState.TRANSLATING)),
    "media_fetch": (WireMedia, (MediaFetchState.WAITING, MediaFetchState.FETCHING)),
}
# Seconds: most API and ActivityPub answers take milliseconds; uploads and verification can take seconds.
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class NodeMetrics(Observer):
    """The metrics of one node; also the engine's observer (`Federation.observer`)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.deliveries = Counter("agency_deliveries", "Delivery attempts by outcome", ["outcome"],
                                  registry=self.registry)
        self.inbox_activities = Counter("agency_inbox_activities", "Inbox activities by verdict (refused: with "
                                        "the reason class)", ["verdict", "reason"], registry=self.registry)
        self.queue_depth = Gauge("agency_queue_depth", "Rows waiting or being worked on, per queue", ["queue"],
                                 registry=self.registry)
        self.connections_refused = Counter("agency_connections_refused", "Connections refused because their "
                                           "address had [limits] connections_per_address open", registry=self.registry)
        self.latency = Histogram("agency_http_request_duration_seconds", "HTTP request time by route template",
                                 ["method", "route"], buckets=_BUCKETS, registry=self.registry)
        # (method, route template) -> its histogram: `labels()` looks it up under a lock on every call. As
        # bounded as the histogram's own children, which it mirrors.
        self._latency_of: dict[tuple[str, str], Histogram] = {}
        # (verdict, reason) -> its counter, for the same reason: every inbox POST counts one. Bounded alike.
        self._inbox_of: dict[tuple[str, str], Counter] = {}

    def delivery(self, outcome: str) -> None:
        self.deliveries.labels(outcome=outcome).inc()

    def inbox(self, verdict: str, reason: str = "") -> None:
        series = self._inbox_of.get((verdict, reason))
        if series is None:
            series = self._inbox_of[(verdict, reason)] = self.inbox_activities.labels(verdict=verdict, reason=reason)
        series.inc()

    def connection_refused(self) -> None:
        self.connections_refused.inc()

    async def read_queues(self) -> dict[str, int]:
        """Count each queue's open rows (indexed `state` columns: one cheap COUNT each) into the gauges."""
        depths = {}
        for name, (model, states) in QUEUES.items():
            depths[name] = await model.filter(state__in=[str(s) for s in states]).count()
            self.queue_depth.labels(queue=name).set(depths[name])
        return depths

    async def exposition(self) -> bytes:
        """The Prometheus text format of every metric, queue depths read now."""
        await self.read_queues()
        return generate_latest(self.registry)

    def middleware(self) -> Callable[..., Awaitable[web.StreamResponse]]:
        """An aiohttp middleware timing every request under its route template (never the raw path: the
        number of label values must stay bounded)."""
        @web.middleware
        async def _timed(request: web.Request,
                         handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
            started = time.perf_counter()
            try:
                return await handler(request)
            finally:
                resource = request.match_info.route.resource
                route = (resource.canonical if resource is not None else "") or "unmatched"
                series = self._latency_of.get((request.method, route))
                if series is None:
                    series = self._latency_of[(request.method, route)] = self.latency.labels(
                        method=request.method, route=route)
                series.observe(time.perf_counter() - started)
        return _timed
