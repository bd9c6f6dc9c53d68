"""Delivery over real loopback HTTP: shared-inbox collapse, retries, Retry-After, 410, parking and revival."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from federation.keys import load_public_key
from federation.store.models import Delivery, Follower, HostHealth
from tests.fakeremote import FakeRemote
import pytest

from tests.nodes import node_on, settle

STORY = {"headline": "Grain corridor talks resume", "body": "<p>Talks resume in Istanbul.</p>", "language": "en"}


def _node_key_resolver(baku):
    async def resolve(key_id: str):
        return load_public_key(baku.node.keys[baku.config.agency.handle].public_key_pem)
    return resolve


async def _followed_by(baku, remote: FakeRemote, name: str, *, shared: bool = True) -> str:
    actor_id = remote.url(f"/users/{name}")
    doc = remote.generated_actor(actor_id)
    if not shared:
        doc.pop("endpoints")
    remote.serve_actor(doc)
    follow = {"@context": "https://www.w3.org/ns/activitystreams", "id": remote.url(f"/follows/{name}"),
              "type": "Follow", "actor": actor_id, "object": baku.actor_id}
    status, _ = await remote.post_signed(baku.base_url + "/inbox", follow)
    assert status == 202
    await settle(baku)
    return actor_id


def _creates(remote: FakeRemote, path: str):
    return [r for r in remote.received_at(path) if r.json().get("type") == "Create"]


async def _future_run(baku, minutes: float = 10) -> int:
    return await baku.node.run(baku.node.delivery_worker.run_once,
                               datetime.now(timezone.utc) + timedelta(minutes=minutes))


@pytest.mark.postgres
async def test_delivery__shared_inbox_collapse(tmp_path, database_url):
    """Two followers on one host with a shared inbox get one POST of the story, signed by the agency."""
    async with node_on(tmp_path, "baku", database_url) as baku, FakeRemote() as remote:
        remote.key_resolver = _node_key_resolver(baku)
        await _followed_by(baku, remote, "alice")
        await _followed_by(baku, remote, "bob")
        assert len(remote.received_at("/users/alice/inbox")) == 1  # Accepts go to personal inboxes
        await baku.api("POST", "/api/stories", STORY)
        await settle(baku)
        creates = _creates(remote, "/inbox")
        assert len(creates) == 1
        assert creates[0].verified is True
        assert await baku.db(lambda: Delivery.filter(activity__type="Create").count()) == 1


@pytest.mark.postgres
async def test_delivery__500_then_200_delivers_exactly_once(tmp_path, database_url):
    """A peer that fails once gets the story again later, and never again after its 2xx."""
    async with node_on(tmp_path, "baku", database_url) as baku, FakeRemote() as remote:
        await _followed_by(baku, remote, "alice")
        remote.respond("/inbox", [500])
        await baku.api("POST", "/api/stories", STORY)
        assert await baku.node.deliver_once() == 1
        row = await baku.db(lambda: Delivery.get(activity__type="Create"))
        assert (row.state, row.last_status, row.attempts) == ("queued", 500, 1)
        assert await _future_run(baku) == 1
        assert await _future_run(baku, 60) == 0
        row = await baku.db(lambda: Delivery.get(activity__type="Create"))
        assert (row.state, row.last_status, row.attempts) == ("delivered", 202, 2)
        statuses = [r.status for r in _creates(remote, "/inbox")]
        assert statuses == [500, 202]


@pytest.mark.postgres
async def test_delivery__retry_after_is_honoured(tmp_path, database_url):
    """A 503 with Retry-After: 600 is not retried before ten minutes."""
    async with node_on(tmp_path, "baku", database_url) as baku, FakeRemote() as remote:
        await _followed_by(baku, remote, "alice")
        remote.respond("/inbox", [503], retry_after=600)
        await baku.api("POST", "/api/stories", STORY)
        before = datetime.now(timezone.utc)
        await baku.node.deliver_once()
        row = await baku.db(lambda: Delivery.get(activity__type="Create"))
        assert row.state == "queued"
        assert row.next_attempt_at >= before + timedelta(seconds=590)
        assert await _future_run(baku, 5) == 0


@pytest.mark.postgres
async def test_delivery__410_removes_follower(tmp_path, database_url):
    """An inbox answering 410 Gone drops the follower and kills the delivery."""
    async with node_on(tmp_path, "baku", database_url) as baku, FakeRemote() as remote:
        await _followed_by(baku, remote, "alice", shared=False)
        remote.respond("/users/alice/inbox", [410])
        await baku.api("POST", "/api/stories", STORY)
        await baku.node.deliver_once()
        row = await baku.db(lambda: Delivery.get(activity__type="Create"))
        assert (row.state, row.last_status) == ("dead", 410)
        assert await baku.db(lambda: Follower.all().count()) == 0


@pytest.mark.postgres
async def test_delivery__permanent_4xx_is_not_retried(tmp_path, database_url):
    """A 400 from the inbox is final: the row is dead after one attempt."""
    async with node_on(tmp_path, "baku", database_url) as baku, FakeRemote() as remote:
        await _followed_by(baku, remote, "alice")
        remote.respond("/inbox", [400])
        await baku.api("POST", "/api/stories", STORY)
        await baku.node.deliver_once()
        assert await _future_run(baku) == 0
        row = await baku.db(lambda: Delivery.get(activity__type="Create"))
        assert (row.state, row.attempts) == ("dead", 1)


@pytest.mark.postgres
async def test_delivery__failing_host_is_parked_and_revived(tmp_path, database_url):
    """After repeated failures a host is parked; when it sends us something it is revived and served."""
    async with node_on(tmp_path, "baku", database_url) as baku, FakeRemote() as remote:
        baku.node.fed.retry = type(baku.node.fed.retry)(base_delay=0.01, max_delay=1, park_after_failures=2)
        await _followed_by(baku, remote, "alice")
        remote.respond("/inbox", [500, 500, 500, 500])
        await baku.api("POST", "/api/stories", STORY)
        assert await baku.node.deliver_once() == 1
        assert await _future_run(baku) == 1
        host = await baku.db(lambda: HostHealth.get(host=remote.origin.split("://")[1]))
        assert host.parked and host.consecutive_failures == 2
        assert await _future_run(baku) == 0  # parked: not even tried
        remote.respond("/inbox", [])
        await _followed_by(baku, remote, "carol")  # the host talks to us: revived
        await settle(baku)
        row = await baku.db(lambda: Delivery.get(activity__type="Create"))
        assert row.state == "delivered"
        assert not (await baku.db(lambda: HostHealth.get(host=remote.origin.split("://")[1]))).parked


@pytest.mark.postgres
async def test_delivery__status_visible_per_story(tmp_path, database_url):
    """The API lists each inbox of a story with its state, attempts and last status."""
    async with node_on(tmp_path, "baku", database_url) as baku, FakeRemote() as remote:
        await _followed_by(baku, remote, "alice")
        remote.respond("/inbox", [500])
        _, story = await baku.api("POST", "/api/stories", STORY)
        await baku.node.deliver_once()
        status, doc = await baku.api("GET", f"/api/stories/{story['id']}/deliveries")
        assert status == 200
        (row,) = doc["deliveries"]
        assert row["inbox"] == remote.url("/inbox") and row["state"] == "queued" and row["last_status"] == 500
        _, listed = await baku.api("GET", "/api/stories")
        assert listed["stories"][0]["deliveries"] == {"queued": 1}
