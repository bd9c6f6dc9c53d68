"""Short-lived caching of actor and story documents: fast repeated GETs, editor changes visible at once."""

from __future__ import annotations

import time

from node.models import Story
from node.web.doccache import DocumentCache
from tests.nodes import running_node

STORY = {"headline": "Caspian ferry resumes", "body": "<p>The ferry sails again.</p>", "language": "en"}


def test_document_cache__expires_and_stays_bounded():
    """Entries vanish after the TTL; a flood of keys empties the cache instead of growing it."""
    cache = DocumentCache(ttl=0.05, max_entries=3)
    cache.put("a", b"1")
    assert cache.get("a") == b"1"
    time.sleep(0.06)
    assert cache.get("a") is None
    for key in "bcde":
        cache.put(key, key.encode())
    assert len(cache._entries) <= 3 and cache.get("e") == b"e"


async def test_story_document__editor_update_and_delete_show_at_once(tmp_path):
    """A story document is cached, yet an editor's edit and then deletion show immediately."""
    async with running_node(tmp_path, "baku") as baku:
        status, story = await baku.api("POST", "/api/stories", STORY)
        assert status == 201
        path = "/stories/" + story["id"]
        status, doc, _ = await baku.get(path)
        assert (status, doc["name"]) == (200, "Caspian ferry resumes")
        # Changed behind the node's back (as another process would): the cached document is still served.
        await baku.db(lambda: Story.filter(uuid=story["id"]).update(headline="Changed elsewhere"))
        status, doc, _ = await baku.get(path)
        assert doc["name"] == "Caspian ferry resumes"
        status, _ = await baku.api("PATCH", f"/api/stories/{story['id']}", {**STORY, "headline": "Ferry delayed"})
        assert status == 200
        status, doc, _ = await baku.get(path)
        assert (status, doc["name"]) == (200, "Ferry delayed")
        status, _ = await baku.api("DELETE", f"/api/stories/{story['id']}")
        assert status in (200, 204)
        status, doc, _ = await baku.get(path)
        assert (status, doc["type"]) == (410, "Tombstone")


async def test_actor_document__served_from_cache_with_activitypub_headers(tmp_path):
    """Repeated actor GETs return the same document and media type; a browser still gets HTML."""
    async with running_node(tmp_path, "baku") as baku:
        first = await baku.get("/actors/baku")
        second = await baku.get("/actors/baku")
        assert first[0] == second[0] == 200 and first[1] == second[1]
        assert second[2]["Content-Type"].startswith("application/activity+json")
        assert second[2]["Vary"] == "Accept"
        status, page, headers = await baku.get("/actors/baku", accept="text/html")
        assert status == 200 and headers["Content-Type"].startswith("text/html") and "<h1>" in page
        status, doc, _ = await baku.get("/actor")
        assert status == 200 and doc["type"] == "Application"
