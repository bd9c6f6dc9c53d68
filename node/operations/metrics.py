"""The node's Prometheus metrics: one registry per app (never the global default, so several nodes in one process
keep their own counts), fed by the engine's observer hook and the app's middleware (request times), with queue
depths read from the database at scrape time."""

from __future__ import annotations

from bisect import bisect_left
from itertools import accumulate
from typing import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.metrics_core import HistogramMetricFamily
from prometheus_client.registry import Collector
from prometheus_client.utils import INF, floatToGoString

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
_LE = [floatToGoString(bound) for bound in (*_BUCKETS, INF)]


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
        self.latency = _Latency()
        self.registry.register(self.latency)
        # (verdict, reason) -> its counter: `labels()` looks it up under a lock on every call, and every inbox POST
        # counts one. As bounded as the counter's own children, which it mirrors.
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

    def observe(self, method: str, route: str, seconds: float) -> None:
        """Count one request of `method` on `route` that took `seconds`. `route` is a route template, never a raw
        path: the number of label values must stay bounded."""
        self.latency.observe(method, route, seconds)


class _Latency(Collector):
    """`agency_http_request_duration_seconds`, a histogram by method and route template, counted in plain
    numbers and turned into Prometheus samples when scraped: every request is observed, and prometheus_client's
    Histogram takes a lock twice and walks its buckets in Python for each (a quarter of a microsecond here against
    one). Observed and scraped on the event loop only."""

    def __init__(self) -> None:
        # (method, route) -> the count in each bucket (the last one +Inf), then the sum of seconds.
        self._series: dict[tuple[str, str], list[float]] = {}

    def observe(self, method: str, route: str, seconds: float) -> None:
        series = self._series.get((method, route))
        if series is None:
            series = self._series[(method, route)] = [0] * (len(_BUCKETS) + 1) + [0.0]
        series[bisect_left(_BUCKETS, seconds)] += 1  # the first bucket whose bound is >= seconds, as Prometheus
        series[-1] += seconds

    def collect(self) -> Iterator[HistogramMetricFamily]:
        family = HistogramMetricFamily("agency_http_request_duration_seconds", "HTTP request time by route template",
                                       labels=["method", "route"])
        for (method, route), series in list(self._series.items()):
            family.add_metric([method, route], sum_value=series[-1], buckets=[
                (_LE[i], count) for i, count in enumerate(accumulate(series[:-1]))])
        yield family
