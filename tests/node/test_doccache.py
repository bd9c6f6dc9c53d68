"""Short-lived caching of actor and story documents: fast repeated GETs, editor changes visible at once."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiohttp.test_utils import make_mocked_request
from prometheus_client.parser import text_string_to_metric_families

from node.stories.models import Story
from node.web import activitypub
from node.web.doccache import DocumentCache
from node.web.keys import DOCUMENTS
from node.web.negotiation import AP_JSON
from schemas import ninjs
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


async def test_get_or_build__one_build_for_concurrent_requests():
    """Requests arriving while a document is being built wait for that build instead of each starting one."""
    cache = DocumentCache(ttl=60)
    release = asyncio.Event()
    builds = 0

    async def build() -> tuple[int, bytes]:
        nonlocal builds
        builds += 1
        await release.wait()
        return 200, b"doc"

    waiting = [asyncio.create_task(cache.get_or_build("k", build)) for _ in range(20)]
    await asyncio.sleep(0)  # let every request reach the cache before the build finishes
    release.set()
    assert await asyncio.gather(*waiting) == [(200, b"doc")] * 20
    assert builds == 1
    assert await cache.get_or_build("k", build) == (200, b"doc") and builds == 1  # then served from the cache


async def test_get_or_build__errors_reach_every_waiter_and_gone_is_not_kept():
    """A failed build fails all its waiters and caches nothing; a 410 is returned but not kept."""
    cache = DocumentCache(ttl=60)
    release = asyncio.Event()

    async def failing() -> tuple[int, bytes]:
        await release.wait()
        raise LookupError("no such story")

    waiting = [asyncio.create_task(cache.get_or_build("k", failing)) for _ in range(3)]
    await asyncio.sleep(0)
    release.set()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(r, LookupError) for r in results)
    assert cache.get("k") is None

    async def gone() -> tuple[int, bytes]:
        return 410, b"tombstone"

    assert await cache.get_or_build("k", gone) == (410, b"tombstone")
    assert cache.get("k") is None


async def test_get_or_build__a_write_during_a_build_is_not_hidden():
    """A document built from data read before an editor's write is not cached past that write."""
    cache = DocumentCache(ttl=60)
    started, release = asyncio.Event(), asyncio.Event()

    async def stale() -> tuple[int, bytes]:
        started.set()
        await release.wait()
        return 200, b"old"

    building = asyncio.create_task(cache.get_or_build("k", stale))
    await started.wait()
    cache.clear()  # the editor API wrote meanwhile

    async def fresh() -> tuple[int, bytes]:
        return 200, b"new"

    assert await cache.get_or_build("k", fresh) == (200, b"new")  # a new request does not join the old build
    release.set()
    assert await building == (200, b"old")
    assert cache.get("k") == b"new"


async def test_get_or_build__waiters_build_themselves_when_the_builder_is_cancelled():
    """A request whose build is cancelled (its client went away) does not take the waiting requests with it."""
    cache = DocumentCache(ttl=60)
    started = asyncio.Event()

    async def slow() -> tuple[int, bytes]:
        started.set()
        await asyncio.Event().wait()
        return 200, b"never"

    builder = asyncio.create_task(cache.get_or_build("k", slow))
    await started.wait()

    async def quick() -> tuple[int, bytes]:
        return 200, b"doc"

    waiter = asyncio.create_task(cache.get_or_build("k", quick))
    await asyncio.sleep(0)
    builder.cancel()
    assert await asyncio.wait_for(waiter, 5) == (200, b"doc")
    with pytest.raises(asyncio.CancelledError):
        await builder


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


def _request(path: str, accept: str | None, method: str = "GET"):
    request = make_mocked_request(method, path, headers={"Accept": accept} if accept is not None else {})
    request.match_info.route.resource.canonical = "/actors/{username}"
    return request


def test_replay__same_path_and_accept_while_the_document_is_cached():
    """A kept answer is replayed for the same raw path and Accept only, until it expires, the cache is emptied or
    the key generation moves."""
    cache = DocumentCache(ttl=60)
    body = cache.put(("actor", "baku", 1), b'{"id": "baku"}')
    cache.keep_for_replay(_request("/actors/baku", AP_JSON), ("actor", "baku", 1), body, 1)
    assert cache.replay("/actors/baku", AP_JSON, 1) == (body, "/actors/{username}")
    assert cache.replay("/actors/baku", "text/html", 1) is None  # negotiation decided for this Accept only
    assert cache.replay("/actors/baku?x=1", AP_JSON, 1) is None
    assert cache.replay("/actors/baku", AP_JSON, 2) is None  # the keys were rotated since
    cache.clear()  # an editor's write
    assert cache.replay("/actors/baku", AP_JSON, 1) is None
    short = DocumentCache(ttl=0.05)
    body = short.put("k", b"doc")
    short.keep_for_replay(_request("/actors/baku", None), "k", body, 1)
    assert short.replay("/actors/baku", None, 1) == (body, "/actors/{username}")
    time.sleep(0.06)
    assert short.replay("/actors/baku", None, 1) is None


def test_keep_for_replay__only_what_the_cache_holds_and_only_gets():
    """A body the cache no longer holds (a write emptied it during the build) or a HEAD is not kept."""
    cache = DocumentCache(ttl=60)
    cache.keep_for_replay(_request("/stories/a", AP_JSON), "a", b"built before the write", 1)
    assert cache.replay("/stories/a", AP_JSON, 1) is None
    body = cache.put("a", b"doc")
    cache.keep_for_replay(_request("/stories/a", AP_JSON, method="HEAD"), "a", body, 1)
    assert cache.replay("/stories/a", AP_JSON, 1) is None


async def test_replayed_gets__answered_without_the_route(tmp_path, monkeypatch):
    """Through the node's server, a repeated GET of an actor is answered with the kept document without running
    the route (whose negotiation would now fail), while a request with another Accept still reaches it."""
    async with running_node(tmp_path, "baku") as baku:
        first = await baku.get("/actors/baku")
        assert first[0] == 200

        def broken(request):
            raise RuntimeError("the route ran")

        monkeypatch.setattr(activitypub, "wants_html", broken)
        assert await baku.get("/actors/baku") == first
        assert (await baku.get("/actors/baku", accept="application/ld+json"))[0] == 500


async def test_replayed_gets__same_answer_other_representations_untouched_and_timed(tmp_path):
    """Through the node's server, repeated GETs of a story and an actor are replayed with the route's own answer;
    a browser and a ninjs client of the same path still get theirs; replays are counted under the route."""
    async with running_node(tmp_path, "baku") as baku:
        status, story = await baku.api("POST", "/api/stories", STORY)
        assert status == 201
        path = "/stories/" + story["id"]
        first = await baku.get(path)
        assert baku.app[DOCUMENTS].replay(path, AP_JSON, baku.node.key_generation) is not None
        second = await baku.get(path)
        assert first[0] == second[0] == 200 and first[1] == second[1]
        assert second[2]["Content-Type"] == AP_JSON and second[2]["Vary"] == "Accept"
        status, page, headers = await baku.get(path, accept="text/html")
        assert status == 200 and headers["Content-Type"].startswith("text/html") and "Caspian ferry" in page
        status, doc, headers = await baku.get(path, accept=ninjs.MEDIA_TYPE)
        assert status == 200 and headers["Content-Type"].startswith(ninjs.MEDIA_TYPE) and "uri" in doc
        for _ in range(3):
            assert (await baku.get("/actors/baku"))[0] == 200
        async with baku.session.get(baku.base_url + "/metrics") as resp:
            text = await resp.text()
        samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                   for family in text_string_to_metric_families(text) for s in family.samples}
        count = "agency_http_request_duration_seconds_count"
        assert samples[(count, (("method", "GET"), ("route", "/actors/{username}")))] == 3
        assert samples[(count, (("method", "GET"), ("route", "/stories/{uuid}")))] == 4
