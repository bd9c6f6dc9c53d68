"""The operator's overview (node/operations/overview.py) on SQLite and PostgreSQL: rows by state per queue, the
failing and parked hosts with what waits for them, and the latest errors of every queue, newest first."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from federation.store.models import Delivery, HostHealth, InboxItem, OutboxActivity
from node.operations import overview
from tests.nodes import node_on

pytestmark = pytest.mark.postgres


async def test_overview__queues_hosts_and_errors(tmp_path, database_url):
    """Deliveries queued, dead and delivered count by state (open = queued + sending); a parked host comes
    before a merely failing one, with its waiting deliveries; a dead delivery and a failed inbox item are the
    recent errors, the newer first; a healthy host is not listed."""
    async with node_on(tmp_path, "baku", database_url) as baku:
        async def scenario():
            now = datetime.now(timezone.utc)
            act = await OutboxActivity.create(uuid="a1", activity_id="http://n.test/activities/a1", actor="baku",
                                              type="Create", body="{}", digest="SHA-256=x")
            rows = [("down.test", "queued", None), ("down.test", "queued", "HTTP 503"),
                    ("flaky.test", "dead", "HTTP 404: gone for good"), ("ok.test", "delivered", None)]
            for i, (host, state, error) in enumerate(rows):
                await Delivery.create(activity_id=act.id, inbox=f"http://{host}/inbox{i}", host=host, state=state,
                                      next_attempt_at=now - timedelta(minutes=10 - i), last_error=error, attempts=3)
            await HostHealth.create(host="down.test", parked=True, consecutive_failures=12, last_failure_at=now)
            await HostHealth.create(host="flaky.test", consecutive_failures=2, last_failure_at=now)
            await HostHealth.create(host="ok.test", consecutive_failures=0, last_success_at=now)
            await InboxItem.create(activity_id="http://x.test/a/1", actor_uri="http://x.test/actor", type="Create",
                                   body="{}", signature="draft-cavage", key_id="http://x.test/actor#k",
                                   state="failed", next_attempt_at=now, note="handler raised ValueError")
            return (await overview.queue_states(), await overview.failing_hosts(),
                    await overview.recent_errors())

        queues, hosts, errors = await baku.db(scenario)
    assert queues["delivery"] == {"by_state": {"dead": 1, "delivered": 1, "queued": 2}, "open": 2}
    assert queues["inbox"] == {"by_state": {"failed": 1}, "open": 0}
    assert queues["translation"]["open"] == 0 and queues["media_fetch"]["open"] == 0
    assert [(h.host, h.parked, h.consecutive_failures, h.waiting) for h in hosts] == [
        ("down.test", True, 12, 2), ("flaky.test", False, 2, 0)]
    assert [(e.queue, e.state, e.error) for e in errors][:1] == [("inbox", "failed", "handler raised ValueError")]
    assert {(e.queue, e.subject, e.error) for e in errors} == {
        ("inbox", "Create http://x.test/a/1", "handler raised ValueError"),
        ("delivery", "http://flaky.test/inbox2", "HTTP 404: gone for good"),
        ("delivery", "http://down.test/inbox1", "HTTP 503")}
