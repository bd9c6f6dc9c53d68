"""The request-time histogram: counted in plain numbers, scraped as a Prometheus histogram by route template."""

from __future__ import annotations

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from node.operations.metrics import NodeMetrics


def test_latency__scraped_as_a_cumulative_histogram_by_method_and_route():
    """Each time lands in the first bucket whose bound holds it (a bound is inclusive); buckets are cumulative,
    with the count and the sum, per method and route template."""
    metrics = NodeMetrics()
    for seconds in (0.001, 0.005, 0.0051, 3.0, 20.0):
        metrics.observe("GET", "/actors/{username}", seconds)
    metrics.observe("POST", "/inbox", 0.2)
    text = generate_latest(metrics.registry).decode()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    family = families["agency_http_request_duration_seconds"]
    assert family.type == "histogram"
    samples = {(s.name, s.labels.get("le"), s.labels["method"]): s.value for s in family.samples}
    name = "agency_http_request_duration_seconds"
    assert samples[(name + "_bucket", "0.005", "GET")] == 2
    assert samples[(name + "_bucket", "0.01", "GET")] == 3
    assert samples[(name + "_bucket", "5.0", "GET")] == 4
    assert samples[(name + "_bucket", "+Inf", "GET")] == 5
    assert samples[(name + "_count", None, "GET")] == 5
    assert abs(samples[(name + "_sum", None, "GET")] - 23.0111) < 1e-9
    assert samples[(name + "_bucket", "0.1", "POST")] == 0 and samples[(name + "_bucket", "0.25", "POST")] == 1
    assert 'route="/actors/{username}"' in text
