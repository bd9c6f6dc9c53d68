"""Inboxes for the tests of worker processes: one loopback port that counts POSTs (and can hang them), and the
followers seeded on it."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timezone

from aiohttp import web

from federation.store.models import Follower, RemoteActor
from tests.nodes import free_port


class Receiver:
    """Inboxes on one loopback port: counts POSTs per path; can answer the first N and hang the rest."""

    def __init__(self) -> None:
        self.port = free_port()
        self.posts: Counter[str] = Counter()
        self.answered: Counter[str] = Counter()
        self.answer_limit: int | None = None
        self.release = asyncio.Event()
        self.hanging = 0
        self._runner: web.AppRunner | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def _post(self, request: web.Request) -> web.Response:
        await request.read()
        self.posts[request.path] += 1
        if self.answer_limit is not None and sum(self.answered.values()) >= self.answer_limit:
            self.hanging += 1
            await self.release.wait()  # the worker is killed while we hold its request
            raise web.HTTPServiceUnavailable()
        self.answered[request.path] += 1
        return web.Response(status=202)

    async def __aenter__(self) -> "Receiver":
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._post)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.release.set()
        assert self._runner
        await self._runner.cleanup()


async def add_followers(node, receiver: Receiver, count: int) -> None:
    async def _insert() -> None:
        now = datetime.now(timezone.utc)
        host = f"127.0.0.1:{receiver.port}"
        actors = [RemoteActor(uri=receiver.url(f"/users/u{i}"), host=host, inbox=receiver.url(f"/users/u{i}/inbox"),
                              preferred_username=f"u{i}", fetched_at=now) for i in range(count)]
        await RemoteActor.bulk_create(actors)
        ids = await RemoteActor.all().order_by("id").values_list("id", flat=True)
        await Follower.bulk_create([Follower(actor_id=i, local=node.config.agency.handle, state="accepted",
                                             follow_activity_id=f"{receiver.url('/f')}/{i}") for i in ids])
    await node.db(_insert)
