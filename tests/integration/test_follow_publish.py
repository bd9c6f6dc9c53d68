"""Two real nodes on loopback: follow, accept, publish, update, delete, unfollow, manual approval."""

from __future__ import annotations

import contextlib

import pytest

from federation.store.models import Delivery, Follower, Following, InboxItem
from node.wire.models import WireStory
from tests.nodes import postgres_database, running_node, settle

STORY = {"headline": "Caspian ferry line reopens", "summary": "Baku-Aktau crossings resume on Monday.",
         "body": "<p>The ferry line between <b>Baku</b> and Aktau reopens.</p><script>alert(1)</script>",
         "language": "az", "hashtags": ["Caspian", "ferry"]}


@contextlib.asynccontextmanager
async def two_nodes(tmp_path, database_url, **ankara_opts):
    if database_url == "postgres":
        async with postgres_database() as a, postgres_database() as b:
            async with running_node(tmp_path, "baku", database_url=a) as baku, \
                    running_node(tmp_path, "ankara", database_url=b, **ankara_opts) as ankara:
                yield baku, ankara
    else:
        async with running_node(tmp_path, "baku") as baku, running_node(tmp_path, "ankara", **ankara_opts) as ankara:
            yield baku, ankara


async def _follow(follower, target) -> None:
    status, doc = await follower.api("POST", "/api/following", {"handle": target.handle})
    assert status == 202, doc
    assert doc["state"] == "pending"
    await settle(follower, target)


@pytest.mark.postgres
async def test_follow_publish__story_reaches_follower_signed(tmp_path, database_url):
    """Ankara follows Baku, Baku accepts, publishes; Ankara's wire holds the sanitized story."""
    async with two_nodes(tmp_path, database_url) as (baku, ankara):
        await _follow(ankara, baku)
        _, following = await ankara.api("GET", "/api/following")
        assert [f["state"] for f in following["following"]] == ["accepted"]
        _, followers = await baku.api("GET", "/api/followers")
        assert followers["followers"][0]["actor"] == ankara.actor_id

        status, story = await baku.api("POST", "/api/stories", STORY)
        assert status == 201, story
        await settle(baku, ankara)

        _, wire = await ankara.api("GET", "/api/wire")
        assert len(wire["stories"]) == 1
        got = wire["stories"][0]
        assert got["id"] == story["url"] and got["headline"] == STORY["headline"]
        assert got["language"] == "az" and got["signature"] == "draft-cavage"
        assert "<script>" not in got["content_html"] and "Baku" in got["content_html"]
        _, detail = await baku.api("GET", f"/api/stories/{story['id']}")
        assert detail["deliveries"] == {"delivered": 1}


@pytest.mark.postgres
async def test_follow_publish__update_and_delete_propagate(tmp_path, database_url):
    """An Update edits the follower's copy; a Delete tombstones it and the URL answers 410."""
    async with two_nodes(tmp_path, database_url) as (baku, ankara):
        await _follow(ankara, baku)
        _, story = await baku.api("POST", "/api/stories", STORY)
        await settle(baku, ankara)
        status, updated = await baku.api("PATCH", f"/api/stories/{story['id']}", {"headline": "Ferry line reopened"})
        assert status == 200 and updated["version"] == 2 and updated["updated"]
        await settle(baku, ankara)
        _, wire = await ankara.api("GET", "/api/wire")
        assert wire["stories"][0]["headline"] == "Ferry line reopened"
        assert wire["stories"][0]["updated"] is not None

        status, _ = await baku.api("DELETE", f"/api/stories/{story['id']}")
        assert status == 200
        status, doc, _ = await baku.get(f"/stories/{story['id']}")
        assert status == 410 and doc["type"] == "Tombstone" and doc["formerType"] == "Article"
        await settle(baku, ankara)
        _, wire = await ankara.api("GET", "/api/wire")
        assert wire["stories"] == []
        rows = await ankara.db(lambda: WireStory.all().values_list("state", flat=True))
        assert rows == ["deleted"]


async def test_follow_publish__unfollow_stops_delivery(tmp_path):
    """Undo{Follow} removes the follower; the next story is not sent to it."""
    async with two_nodes(tmp_path, None) as (baku, ankara):
        await _follow(ankara, baku)
        status, _ = await ankara.api("POST", "/api/following/unfollow", {"handle": baku.handle})
        assert status == 200
        await settle(baku, ankara)
        assert await baku.db(lambda: Follower.all().count()) == 0
        await baku.api("POST", "/api/stories", STORY)
        await settle(baku, ankara)
        assert await baku.db(lambda: Delivery.filter(activity__type="Create").count()) == 0


async def test_follow_publish__manual_approval(tmp_path):
    """With manual approval the follow waits; approving sends Accept and the follower starts receiving."""
    async with two_nodes(tmp_path, None, manually_approves_followers=True) as (baku, ankara):
        await _follow(baku, ankara)
        _, pending = await ankara.api("GET", "/api/followers?state=pending")
        assert len(pending["followers"]) == 1
        assert await baku.db(lambda: Following.all().values_list("state", flat=True)) == ["pending"]
        status, _ = await ankara.api("POST", f"/api/followers/{pending['followers'][0]['id']}/approve")
        assert status == 200
        await settle(baku, ankara)
        assert await baku.db(lambda: Following.all().values_list("state", flat=True)) == ["accepted"]
        await ankara.api("POST", "/api/stories", {**STORY, "language": "tr"})
        await settle(baku, ankara)
        _, wire = await baku.api("GET", "/api/wire?language=tr")
        assert len(wire["stories"]) == 1


async def test_follow_publish__manual_reject(tmp_path):
    """Rejecting a request sends Reject; the requester records the follow as rejected."""
    async with two_nodes(tmp_path, None, manually_approves_followers=True) as (baku, ankara):
        await _follow(baku, ankara)
        _, pending = await ankara.api("GET", "/api/followers?state=pending")
        status, _ = await ankara.api("POST", f"/api/followers/{pending['followers'][0]['id']}/reject")
        assert status == 200
        await settle(baku, ankara)
        assert await baku.db(lambda: Following.all().values_list("state", flat=True)) == ["rejected"]
        assert await ankara.db(lambda: Follower.all().count()) == 0
        assert await ankara.db(lambda: InboxItem.filter(type="Follow").count()) == 1
