"""Real `agency-node worker` processes: a kill mid-fan-out loses nothing, and two workers share one queue."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from node.config import load_config
from tests.integration.inboxes import Receiver, add_followers
from tests.nodes import POSTGRES_ENV, node_config_data, postgres_database, running_node, write_config

STORY = {"headline": "Markets open higher", "body": "<p>Markets opened higher in Tashkent.</p>", "language": "uz"}




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
            await add_followers(node, receiver, followers)
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
            await add_followers(node, receiver, followers)
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
