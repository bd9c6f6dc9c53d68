"""Operations on real loopback nodes: /healthz and the Prometheus /metrics endpoint."""

from __future__ import annotations

import asyncio
import dataclasses

from aiohttp.test_utils import make_mocked_request
from prometheus_client.parser import text_string_to_metric_families

from federation.store.models import RemoteActor
from node.operations.routes import metrics_allowed
from node.web.app import create_app
from tests.nodes import TOKEN, node_config, running_node, settle

STORY = {"headline": "Caspian ferry line reopens", "summary": "Baku-Aktau crossings resume on Monday.",
         "body": "<p>The ferry line between Baku and Aktau reopens.</p>", "language": "az"}


async def _scrape(node, token: str | None = None) -> tuple[int, dict[tuple[str, tuple], float], str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with node.session.get(node.base_url + "/metrics", headers=headers) as resp:
        text = await resp.text()
        if resp.status != 200:
            return resp.status, {}, text
        assert resp.headers["Content-Type"].startswith("text/plain")
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(text) for s in family.samples}
    return 200, samples, text


async def test_healthz__ok_when_database_answers(tmp_path):
    """A started node answers 200 with status ok and its database state."""
    async with running_node(tmp_path, "baku") as baku:
        status, doc, _ = await baku.get("/healthz", accept="application/json")
    assert status == 200, doc
    assert doc["status"] == "ok" and doc["database"] == "ok" and doc["workers"]["stopped"] == []


async def test_healthz__503_when_database_closed(tmp_path):
    """With the database connection closed, /healthz answers 503 naming the database."""
    async with running_node(tmp_path, "baku") as baku:
        db = baku.node.db
        await baku.node.run(db.close_connections)
        status, doc, _ = await baku.get("/healthz", accept="application/json")
    assert status == 503, doc
    assert doc["status"] == "unhealthy" and doc["database"] != "ok"
    assert any(p.startswith("database") for p in doc["problems"])


async def test_healthz__503_when_a_worker_died(tmp_path):
    """A background worker that ended while the node runs makes /healthz 503 and names it."""
    async def _crash(stop):
        raise RuntimeError("boom")

    async with running_node(tmp_path, "baku") as baku:
        task = baku.node._spawn(_crash, None)
        baku.node._tasks.append(task)
        await asyncio.gather(task, return_exceptions=True)
        status, doc, _ = await baku.get("/healthz", accept="application/json")
    assert status == 503, doc
    assert doc["database"] == "ok" and any("_crash" in name for name in doc["workers"]["stopped"])


async def test_metrics__counts_retried_delivery(tmp_path):
    """A delivery to a node that has gone away is counted as retried, and stays in the delivery queue."""
    async with running_node(tmp_path, "baku") as baku:
        async with running_node(tmp_path, "ankara") as ankara:
            status, _ = await ankara.api("POST", "/api/following", {"handle": baku.handle})
            assert status == 202
            await settle(ankara, baku)
        status, story = await baku.api("POST", "/api/stories", STORY)  # Ankara is stopped now
        assert status == 201, story
        await baku.node.deliver_once()
        _, samples, _ = await _scrape(baku)
    assert samples[("agency_deliveries_total", (("outcome", "retried"),))] == 1
    assert samples[("agency_queue_depth", (("queue", "delivery"),))] == 1


async def test_metrics__counts_dead_delivery(tmp_path):
    """A delivery refused for good (the inbox answers 404) is counted as dead and leaves the queue."""
    async with running_node(tmp_path, "baku") as baku, running_node(tmp_path, "ankara") as ankara:
        status, _ = await ankara.api("POST", "/api/following", {"handle": baku.handle})
        assert status == 202
        await settle(ankara, baku)
        nowhere = ankara.base_url + "/nowhere"
        await baku.db(lambda: RemoteActor.filter(uri=ankara.actor_id).update(inbox=nowhere, shared_inbox=nowhere))
        status, story = await baku.api("POST", "/api/stories", STORY)
        assert status == 201, story
        await baku.node.deliver_once()
        _, samples, _ = await _scrape(baku)
    assert samples[("agency_deliveries_total", (("outcome", "dead"),))] == 1
    assert samples[("agency_queue_depth", (("queue", "delivery"),))] == 0


async def test_metrics__counts_delivery_inbox_and_queues(tmp_path):
    """A delivery to a second node and the activity it receives are counted; queue depths and latency show."""
    async with running_node(tmp_path, "baku") as baku, running_node(tmp_path, "ankara") as ankara:
        status, doc = await ankara.api("POST", "/api/following", {"handle": baku.handle})
        assert status == 202, doc
        await settle(ankara, baku)
        status, story = await baku.api("POST", "/api/stories", STORY)
        assert status == 201, story
        # Before the workers run, the Create waits in Baku's delivery queue.
        status, before, _ = await _scrape(baku)
        assert status == 200
        assert before[("agency_queue_depth", (("queue", "delivery"),))] == 1
        await settle(baku, ankara)
        _, baku_m, text = await _scrape(baku)
        _, ankara_m, _ = await _scrape(ankara)
    # Baku delivered an Accept and the Create; Ankara's inbox accepted both and processed them.
    assert baku_m[("agency_deliveries_total", (("outcome", "delivered"),))] == 2
    assert ankara_m[("agency_inbox_activities_total", (("reason", ""), ("verdict", "accepted")))] == 2
    assert ankara_m[("agency_inbox_activities_total", (("reason", ""), ("verdict", "processed")))] == 2
    assert baku_m[("agency_inbox_activities_total", (("reason", ""), ("verdict", "accepted")))] == 1  # the Follow
    for queue in ("delivery", "inbox", "translation", "media_fetch"):
        assert baku_m[("agency_queue_depth", (("queue", queue),))] == 0
    assert baku_m[("agency_http_request_duration_seconds_count",
                   (("method", "POST"), ("route", "/api/stories")))] == 1
    # Routes are labelled by template, never by raw path (bounded label values).
    assert 'route="/actors/{username}/inbox"' in text and 'route="/actors/baku/inbox"' not in text


async def test_metrics__refused_inbox_counted_by_reason(tmp_path):
    """An unsigned inbox POST is refused and counted under its reason class."""
    async with running_node(tmp_path, "baku") as baku:
        async with baku.session.post(baku.base_url + "/inbox", data=b'{"type": "Create"}',
                                     headers={"Content-Type": "application/activity+json"}) as resp:
            assert resp.status == 400
        _, samples, _ = await _scrape(baku)
        async with baku.session.post(baku.base_url + "/inbox", data=b"x" * (baku.config.federation["max_body_bytes"]
                                                                          + 1),
                                     headers={"Content-Type": "application/activity+json"}) as resp:
            assert resp.status == 413
        _, samples, _ = await _scrape(baku)
    assert samples[("agency_inbox_activities_total", (("reason", "invalid"), ("verdict", "refused")))] == 1
    assert samples[("agency_inbox_activities_total", (("reason", "too_large"), ("verdict", "refused")))] == 1


async def test_metrics__token_mode_refuses_loopback_without_token(tmp_path):
    """With metrics_access = "token", even a loopback client needs the node token; with it, metrics answer."""
    config = node_config(tmp_path, "baku")
    config = dataclasses.replace(config, operations={"metrics_access": "token"})
    async with running_node(tmp_path, "baku", config=config) as baku:
        status, _, body = await _scrape(baku)
        assert status == 403 and "metrics_access" in body
        status, samples, _ = await _scrape(baku, token=TOKEN)
    assert status == 200 and ("agency_queue_depth", (("queue", "inbox"),)) in samples


def _request_from(app, address: str, token: str | None = None):
    class _Transport:
        def get_extra_info(self, name, default=None):
            return (address, 40000) if name == "peername" else default
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return make_mocked_request("GET", "/metrics", headers=headers, app=app, transport=_Transport())


def test_metrics__loopback_mode_refuses_remote_client_without_token(tmp_path):
    """By default a client on a public address is refused unless it sends the node token; loopback is let in."""
    app = create_app(node_config(tmp_path, "baku"), run_workers=False)
    assert not metrics_allowed(_request_from(app, "203.0.113.5"))
    assert not metrics_allowed(_request_from(app, "203.0.113.5", token="wrong"))
    assert metrics_allowed(_request_from(app, "203.0.113.5", token=TOKEN))
    assert metrics_allowed(_request_from(app, "127.0.0.1")) and metrics_allowed(_request_from(app, "::1"))
