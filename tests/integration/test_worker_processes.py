"""Real `agency-node worker` processes: a kill mid-fan-out loses nothing, and two workers share one queue."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest
from aiohttp import web

from node.config import load_config
from federation.store.models import Follower, RemoteActor
from tests.nodes import POSTGRES_ENV, free_port, node_config_data, postgres_database, running_node, write_config

STORY = {"headline": "Markets open higher", "body": "<p>Markets opened higher in Tashkent.</p>", "language": "uz"}


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


async def _add_followers(node, receiver: Receiver, count: int) -> None:
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


def _worker(config_path: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "node.cli", "-c", str(config_path), "worker"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            cwd=Path(__file__).resolve().parents[2])


async def _wait(predicate, what: str, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def _states(db_file: Path) -> Counter[str]:
    with sqlite3.connect(db_file) as conn:
        return Counter(dict(conn.execute("SELECT state, count(*) FROM delivery GROUP BY state").fetchall()))


async def test_worker_processes__kill_mid_fan_out_loses_nothing(tmp_path):
    """SIGKILL a worker mid fan-out; a new worker delivers the rest and no inbox that answered 2xx gets it twice."""
    followers, answered_before_kill = 30, 10
    data = node_config_data(tmp_path, "tashkent", sections={"delivery": {"lock_seconds": 1, "concurrency": 64,
                                                                         "per_host_concurrency": 64}})
    cfg_path = write_config(tmp_path / "node.toml", data)
    config = load_config(cfg_path, environ={})
    db_file = Path(config.database_url.split("://", 1)[1].split("?", 1)[0])
    async with Receiver() as receiver:
        async with running_node(tmp_path, "tashkent", config=config) as node:
            await _add_followers(node, receiver, followers)
            status, _ = await node.api("POST", "/api/stories", STORY)
            assert status == 201
        assert _states(db_file) == {"queued": followers}

        receiver.answer_limit = answered_before_kill
        worker = _worker(cfg_path)
        try:
            await _wait(lambda: _states(db_file)["delivered"] == answered_before_kill
                        and receiver.hanging == followers - answered_before_kill, "the first deliveries")
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
        assert _states(db_file)["sending"] == followers - answered_before_kill
        receiver.release.set()
        receiver.answer_limit = None

        worker = _worker(cfg_path)
        try:
            await _wait(lambda: _states(db_file) == {"delivered": followers}, "the rest after the restart")
        finally:
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(10) == 0, worker.stderr.read().decode() if worker.stderr else ""
        inboxes = {f"/users/u{i}/inbox" for i in range(followers)}
        assert set(receiver.answered) == inboxes
        assert all(n == 1 for n in receiver.answered.values()), receiver.answered


@pytest.mark.postgres
async def test_worker_processes__two_workers_share_one_fan_out_on_postgres(tmp_path):
    """Two `agency-node worker` processes on one PostgreSQL queue: every inbox served exactly once."""
    if not os.environ.get(POSTGRES_ENV):
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV} (set by .ci/run)")
    followers = 300
    async with postgres_database() as db_url, Receiver() as receiver:
        data = node_config_data(tmp_path, "beijing", database_url=db_url,
                                sections={"delivery": {"concurrency": 16, "per_host_concurrency": 16}})
        cfg_path = write_config(tmp_path / "node.toml", data)
        config = load_config(cfg_path, environ={})
        async with running_node(tmp_path, "beijing", config=config) as node:
            await _add_followers(node, receiver, followers)
            await node.api("POST", "/api/stories", {**STORY, "language": "zh-Hans"})
        workers = [_worker(cfg_path), _worker(cfg_path)]
        try:
            await _wait(lambda: sum(receiver.answered.values()) >= followers, "all deliveries", timeout=60)
            # let both drain anything in flight before counting duplicates
            async with running_node(tmp_path, "beijing", config=config) as node:
                async def delivered() -> int:
                    from federation.store.models import Delivery
                    return await Delivery.filter(state="delivered").count()
                loop = asyncio.get_running_loop()
                deadline = loop.time() + 30
                while await node.db(delivered) < followers:
                    assert loop.time() < deadline, "rows not all marked delivered"
                    await asyncio.sleep(0.05)
        finally:
            for w in workers:
                w.send_signal(signal.SIGTERM)
            for w in workers:
                w.wait(10)
        assert len(receiver.posts) == followers
        assert max(receiver.posts.values()) == 1, [p for p, n in receiver.posts.items() if n > 1]
