"""Hostile peers: inboxes that hang after the headers, trickle a byte at a time or answer 429 with Retry-After;
actor documents that are 100 MB, redirect into a private address or in a loop, are not JSON, or carry a key that
changes at every fetch. Each ends as a recorded failure within the node's timeouts, and the node keeps serving its
own readers while they run (every GET answered while the hostile requests are still in flight)."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlsplit
from datetime import datetime, timezone
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from federation.errors import FetchError
from federation.store.models import Delivery
from tests.fakeremote import ACTIVITY_JSON, FakeRemote
from tests.integration.test_delivery import _followed_by
from tests.integration.test_inbox_security import assert_problem, signed_post
from tests.nodes import RunningNode, node_config, running_node

STORY = {"headline": "Grain corridor talks resume", "body": "<p>Talks resume in Istanbul.</p>", "language": "en"}


class HostileRemote(FakeRemote):
    """A FakeRemote whose listed paths misbehave: `posts[path]` and `gets[path]` name the behaviour."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.posts: dict[str, str] = {}
        self.gets: dict[str, str] = {}
        self.started: dict[str, asyncio.Event] = {}
        self.fetches: dict[str, int] = {}
        self._never = asyncio.Event()

    def arrived(self, path: str) -> asyncio.Event:
        return self.started.setdefault(path, asyncio.Event())

    async def _handle_post(self, request: web.Request) -> web.StreamResponse:
        how = self.posts.get(request.path)
        if how is None:
            return await super()._handle_post(request)
        await request.read()
        self.arrived(request.path).set()
        if how == "hang":  # the headers never come
            await self._never.wait()
        if how == "trickle":  # headers at once, then a byte now and then, for ever
            resp = web.StreamResponse(status=200)
            resp.enable_chunked_encoding()
            await resp.prepare(request)
            try:
                while True:
                    await resp.write(b" ")
                    await asyncio.sleep(0.2)
            except ConnectionError:  # the node gave up on us, as it should
                return resp
        return web.Response(status=429, headers={"Retry-After": "3600"}, text="slow down")

    async def _handle_get(self, request: web.Request) -> web.StreamResponse:
        how = self.gets.get(request.path)
        if how is None:
            return await super()._handle_get(request)
        self.fetches[request.path] = self.fetches.get(request.path, 0) + 1
        self.arrived(request.path).set()
        if how == "huge":  # 100 MB of JSON-looking bytes
            resp = web.StreamResponse(headers={"Content-Type": ACTIVITY_JSON})
            resp.content_length = 100 * 1024 * 1024
            await resp.prepare(request)
            chunk = b"[" + b"0," * 32767
            for _ in range(100 * 1024 * 1024 // len(chunk)):
                await resp.write(chunk)
            return resp
        if how == "private":
            raise web.HTTPFound("http://169.254.169.254/latest/meta-data/")
        if how == "loop":
            raise web.HTTPFound(request.path)
        if how == "badjson":
            return web.Response(text='{"id": "half a document', content_type=ACTIVITY_JSON)
        if how == "rotating":  # a new key at every fetch: a signature never verifies
            doc = self.generated_actor(self.url(request.path))
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
            doc["publicKey"] = {"id": self.key_id_of(self.url(request.path)), "owner": self.url(request.path),
                                "publicKeyPem": key.public_bytes(serialization.Encoding.PEM,
                                                                 serialization.PublicFormat.SubjectPublicKeyInfo
                                                                 ).decode()}
            return web.Response(text=json.dumps(doc), content_type=ACTIVITY_JSON)
        return web.Response(status=500)


def _config(tmp_path: Any) -> Any:
    # Loopback is allowed (the peers run there); 169.254/16 is not. Deliveries and fetches give up after 1 s.
    return node_config(tmp_path, "baku", sections={
        "federation": {"allow_private_addresses": False, "allowed_private_networks": ["127.0.0.0/8"],
                       "fetch_timeout_seconds": 1},
        "delivery": {"timeout_seconds": 1}})


async def _readers_served(baku: RunningNode, paths: list[str]) -> list[int]:
    statuses = []
    for _ in range(10):
        for path in paths:
            async with baku.session.get(baku.base_url + path, headers={"Accept": ACTIVITY_JSON}) as resp:
                await resp.read()
                statuses.append(resp.status)
    return statuses


async def test_hostile_inboxes__deliveries_end_as_retries_while_readers_are_served(tmp_path):
    """Followers whose inboxes hang, trickle or answer 429: while those deliveries are in flight, the node answers
    every GET of its actor and story; then the hung and the 429 deliveries are recorded for a retry (429 honouring
    its Retry-After), and the trickling one counts as delivered on its 2xx status without waiting for its body."""
    async with running_node(tmp_path, "baku", config=_config(tmp_path)) as baku, HostileRemote() as remote:
        for name in ("hang", "trickle", "busy", "fine"):
            await _followed_by(baku, remote, name, shared=False)  # each its own inbox: its own delivery
        remote.posts.update({"/users/hang/inbox": "hang", "/users/trickle/inbox": "trickle",
                             "/users/busy/inbox": "429"})
        status, story = await baku.api("POST", "/api/stories", STORY)
        assert status == 201
        delivering = asyncio.create_task(baku.node.deliver_once())
        await asyncio.wait_for(asyncio.gather(remote.arrived("/users/hang/inbox").wait(),
                                              remote.arrived("/users/trickle/inbox").wait()), 10)
        served = await _readers_served(baku, [f"/actors/{baku.config.agency.handle}",
                                              urlsplit(story["url"]).path])
        still_hanging = not delivering.done()
        await asyncio.wait_for(delivering, 30)
        assert served == [200] * 20 and still_hanging
        rows = {d.inbox.rsplit("/users/", 1)[-1]: d for d in await baku.db(
            lambda: Delivery.filter(activity__type="Create").all())}
        # A 2xx status is the answer: a body trickling after it is not waited for (nor does it hold a worker).
        assert rows["fine/inbox"].state == rows["trickle/inbox"].state == "delivered"
        for name in ("hang", "busy"):
            assert rows[f"{name}/inbox"].state not in ("delivered", "sending"), name
        assert rows["busy/inbox"].last_status == 429
        wait = (rows["busy/inbox"].next_attempt_at - datetime.now(timezone.utc)).total_seconds()
        assert wait > 3000  # Retry-After: 3600 honoured


async def test_hostile_actors__fetches_fail_cleanly_and_readers_are_served(tmp_path):
    """Fetching an actor that is 100 MB, redirects into 169.254.169.254, redirects in a loop or is not JSON ends
    in a FetchError each (the 100 MB one cut at the size cap), while the node answers its readers."""
    async with running_node(tmp_path, "baku", config=_config(tmp_path)) as baku, HostileRemote() as remote:
        remote.gets.update({"/users/huge": "huge", "/users/private": "private", "/users/loop": "loop",
                            "/users/badjson": "badjson"})
        for name in ("huge", "private", "loop", "badjson"):
            fetching = asyncio.create_task(baku.db(baku.node.fed.fetcher.actor, remote.url(f"/users/{name}")))
            served = await _readers_served(baku, [f"/actors/{baku.config.agency.handle}"])
            assert served == [200] * 10, name
            try:
                await asyncio.wait_for(fetching, 30)
            except FetchError:
                pass
            else:
                raise AssertionError(f"{name}: a hostile actor was accepted")
        assert remote.fetches["/users/huge"] >= 1 and remote.fetches["/users/loop"] <= 5


async def test_hostile_actors__a_key_that_changes_at_every_fetch_is_refused_after_one_refetch(tmp_path):
    """A signed POST from an actor whose key changes at every fetch: 401 with a problem body after at most two
    fetches of the actor (the cached key and one refetch), nothing stored; a second POST does not loop either."""
    async with running_node(tmp_path, "baku", config=_config(tmp_path)) as baku, HostileRemote() as remote:
        actor = remote.url("/users/mallory")
        remote.serve_actor(remote.generated_actor(actor))  # what we sign with; what is fetched differs each time
        remote.gets["/users/mallory"] = "rotating"
        follow = {"@context": "https://www.w3.org/ns/activitystreams", "id": actor + "/follows/1", "type": "Follow",
                  "actor": actor, "object": baku.actor_id}
        for n in range(2):
            follow["id"] = f"{actor}/follows/{n}"
            answer = await signed_post(remote, baku.base_url + "/inbox", follow)
            assert_problem(answer, 401)
        assert remote.fetches["/users/mallory"] <= 4
