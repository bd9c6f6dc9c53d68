"""PostgreSQL, several processes: workers hear about new rows by LISTEN/NOTIFY (node/notify.py), not by their poll.

Every test sets `delivery.idle_poll_seconds` to 600 s, so a worker that was not woken would wait ten minutes; the
deliveries are awaited with a bound of a tenth of that (a generous bound against the poll, not a timing claim).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import asyncpg
import pytest

from federation.store.models import FanoutExpansion
from node.config import load_config
from node.notify import CHANNELS, QueueListener, connect_args
from node.runtime import Node
from tests.integration.inboxes import Receiver, add_followers
from tests.nodes import POSTGRES_ENV, node_config_data, postgres_database, running_node, write_config

pytestmark = pytest.mark.skipif(not os.environ.get(POSTGRES_ENV),
                                reason=f"PostgreSQL tests need {POSTGRES_ENV} (set by .ci/run)")

LONG_POLL = 600.0
BOUND = LONG_POLL / 10
LISTENER = "agency-node listener"
STORY = {"headline": "Grain exports rise", "body": "<p>Grain exports rose in Almaty.</p>", "language": "kk"}




async def _wait(predicate, what: str, timeout: float = BOUND) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.05)


async def _listeners(url: str) -> list[int]:
    """The backend pids of the listening connections on the database of `url`."""
    conn = await asyncpg.connect(url)
    try:
        return [r["pid"] for r in await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1",
            LISTENER)]
    finally:
        await conn.close()


def _config(tmp_path: Path, url: str, **delivery: object) -> tuple[Path, object]:
    data = node_config_data(tmp_path, "almaty", database_url=url,
                            sections={"delivery": {"idle_poll_seconds": LONG_POLL, **delivery}})
    path = write_config(tmp_path / "node.toml", data)
    return path, load_config(path, environ={})


async def test_queue_notify__sent_on_commit_only(tmp_path):
    """A queued row tells the listener only when its transaction commits, and every queue's table has its trigger."""
    async with postgres_database(migrated=True) as url:
        heard: list[str] = []
        listener = QueueListener(connect_args(url), {ch: (lambda ch=ch: heard.append(ch)) for ch in CHANNELS.values()})
        stop = asyncio.Event()
        task = asyncio.create_task(listener.run(stop))
        conn = await asyncpg.connect(url)
        try:
            await asyncio.wait_for(listener.listening.wait(), 30)
            triggers = {r["tgname"] for r in await conn.fetch("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")}
            assert {"delivery_notify_insert", "inbox_item_notify_insert", "translation_job_notify_insert",
                    "translation_job_notify_requeue", "wire_media_notify_insert",
                    "wire_media_notify_requeue", "story_notify_scheduled_insert",
                    "story_notify_scheduled_update", "fanout_expansion_notify_insert"} <= triggers
            heard.clear()  # the wake-up of every worker when the listener starts
            insert = ("INSERT INTO inbox_item (activity_id, actor_uri, type, body, signature, key_id, state, attempts, "
                      "next_attempt_at, received_at) VALUES ($1, 'https://a.example/u', 'Create', '{}', "
                      "'draft-cavage', 'https://a.example/u#k', 'received', 0, now(), now())")
            tx = conn.transaction()
            await tx.start()
            await conn.execute(insert, "https://a.example/1")
            await tx.rollback()
            # A committed transaction afterwards: its notification arriving proves the rolled-back one sent none.
            async with conn.transaction():
                await conn.execute("SELECT pg_notify('agency_delivery', '')")
            await _wait(lambda: _true(heard == ["agency_delivery"]), "the marker notification", 30)
            other = await asyncpg.connect(url)
            try:
                async with conn.transaction():
                    await conn.execute(insert, "https://a.example/2")
                    await conn.execute(insert, "https://a.example/3")  # one notification per transaction
                    # Another transaction commits meanwhile: its notification comes, the open one's does not.
                    await other.execute("SELECT pg_notify('agency_media', '')")
                    await _wait(lambda: _true(len(heard) == 2), "the second marker", 30)
                    assert heard == ["agency_delivery", "agency_media"]
            finally:
                await other.close()
            await _wait(lambda: _true(len(heard) == 3), "the inbox notification", 30)
            assert heard == ["agency_delivery", "agency_media", "agency_inbox"]
        finally:
            await conn.close()
            stop.set()
            await task


async def _true(value: bool) -> bool:
    return value


@pytest.mark.parametrize("fanout_batch", [500, 2], ids=["rows-at-publish", "two-stage"])
async def test_worker_process__woken_by_notify_not_by_poll(tmp_path, fanout_batch):
    """Stories published by a web-only node reach an `agency-node worker` process polling only every 10 minutes,
    whether they are stored with their delivery rows or (more followers than `fanout_batch`) with an expansion job
    that the worker turns into rows."""
    followers = 5
    async with postgres_database(migrated=True) as url, Receiver() as receiver:
        cfg_path, config = _config(tmp_path, url, fanout_batch=fanout_batch)
        async with running_node(tmp_path, "almaty", config=config) as node:  # HTTP only: it runs no workers
            await add_followers(node, receiver, followers)
            worker = subprocess.Popen([sys.executable, "-m", "node.cli", "-c", str(cfg_path), "worker"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                      cwd=Path(__file__).resolve().parents[2])
            try:
                await _wait(lambda: _listening(url, 1), "the worker's listener", 60)
                for n in range(1, 4):
                    status, _ = await node.api("POST", "/api/stories", {**STORY, "headline": f"Story {n}"})
                    assert status == 201
                    await _wait(lambda: _true(sum(receiver.posts.values()) >= n * followers),
                                f"story {n} at every inbox")
            finally:
                worker.send_signal(signal.SIGTERM)
                assert worker.wait(30) == 0, worker.stderr.read().decode() if worker.stderr else ""
            expanded = await node.db(FanoutExpansion.filter(state="expanded").count)
            assert expanded == (3 if fanout_batch < followers else 0)  # the path the parameter names was taken
        assert len(receiver.posts) == followers and set(receiver.posts.values()) == {3}, receiver.posts


async def _listening(url: str, count: int) -> bool:
    return len(await _listeners(url)) == count


async def test_listener__reconnects_after_its_connection_is_terminated(tmp_path):
    """`pg_terminate_backend` on the listening connection: the worker listens again and is still woken at once."""
    followers = 3
    async with postgres_database(migrated=True) as url, Receiver() as receiver:
        _, config = _config(tmp_path, url)
        async with running_node(tmp_path, "almaty", config=config) as node:
            await add_followers(node, receiver, followers)
            worker = Node(config)  # a second node on the database, as another process would be: nothing shared
            await asyncio.create_task(worker.start())  # its own task: its database stays out of this one
            try:
                worker.start_workers()
                assert worker.listener is not None
                await asyncio.wait_for(worker.listener.listening.wait(), 60)
                (pid,) = await _listeners(url)
                conn = await asyncpg.connect(url)
                try:
                    assert await conn.fetchval("SELECT pg_terminate_backend($1)", pid)
                finally:
                    await conn.close()
                await _wait(lambda: _true(worker.listener.connections == 2 and worker.listener.listening.is_set()),
                            "the listener to reconnect", 60)
                assert (await _listeners(url)) not in ([], [pid])
                heard = worker.listener.notifications
                status, _ = await node.api("POST", "/api/stories", STORY)
                assert status == 201
                await _wait(lambda: _true(sum(receiver.posts.values()) >= followers), "the story at every inbox")
                assert worker.listener.notifications > heard
            finally:
                await worker.stop()
        assert sorted(receiver.posts.values()) == [1] * followers


async def test_claim__concurrent_workers_take_different_rows(tmp_path):
    """Four claims at the same moment (four workers woken by one notification) take four different sets of rows,
    none of them empty while rows remain, and the hosts being excluded stay unclaimed (FOR UPDATE SKIP LOCKED)."""
    from datetime import timedelta

    from federation.claims import claim
    from federation.states import DeliveryState as S
    from federation.store.models import Delivery, OutboxActivity

    async with postgres_database(migrated=True) as url:
        _, config = _config(tmp_path, url)
        async with running_node(tmp_path, "almaty", config=config) as node:
            async def scenario():
                act = await OutboxActivity.create(uuid="a1", activity_id="https://x.test/a1", actor="almaty",
                                                  type="Create", body="{}", digest="d")
                now = datetime.now(timezone.utc)
                await Delivery.bulk_create([Delivery(activity_id=act.id, inbox=f"https://h{i % 5}.test/inbox{i}",
                                                     host=f"h{i % 5}.test", state="queued", next_attempt_at=now)
                                            for i in range(50)])
                kw = dict(now=now, limit=10, lock_for=timedelta(minutes=2), ready_state=S.QUEUED,
                          busy_state=S.SENDING, exclude_hosts=["h4.test"], stale_seconds=10)
                claims = await asyncio.gather(*(claim(Delivery, owner=f"w{w}", **kw) for w in range(4)))
                left = await Delivery.filter(state="queued").values_list("host", flat=True)
                return claims, left
            claims, left = await node.db(scenario)
        ids = [[row.id for row in rows] for _, rows in claims]
        assert [len(i) for i in ids] == [10, 10, 10, 10]
        assert len({i for group in ids for i in group}) == 40
        assert len({token for token, _ in claims}) == 4
        assert all(row.host != "h4.test" and row.state == "sending" for _, rows in claims for row in rows)
        assert sorted(left) == ["h4.test"] * 10


async def test_beat__skips_rows_a_settling_write_holds(tmp_path):
    """A heartbeat never waits for a row another transaction holds (a settling write of the same process that
    itself waits for the beat's rows would deadlock): it beats the others and leaves that one."""
    from datetime import timedelta

    from federation.claims import claim
    from federation.queue import beat
    from federation.states import DeliveryState as S
    from federation.store.models import Delivery, OutboxActivity

    async with postgres_database(migrated=True) as url:
        _, config = _config(tmp_path, url)
        async with running_node(tmp_path, "almaty", config=config) as node:
            async def setup():
                act = await OutboxActivity.create(uuid="a1", activity_id="https://x.test/a1", actor="almaty",
                                                  type="Create", body="{}", digest="d")
                now = datetime.now(timezone.utc)
                await Delivery.bulk_create([Delivery(activity_id=act.id, inbox=f"https://h{i}.test/inbox",
                                                     host=f"h{i}.test", state="queued", next_attempt_at=now)
                                            for i in range(5)])
                _, rows = await claim(Delivery, now=now, limit=10, lock_for=timedelta(minutes=2),
                                      ready_state=S.QUEUED, busy_state=S.SENDING, owner="run-a", stale_seconds=10)
                return [r.id for r in rows]
            ids = await node.db(setup)
            holder = await asyncpg.connect(url)
            try:
                tx = holder.transaction()
                await tx.start()
                await holder.execute("UPDATE delivery SET last_status = 202 WHERE id = $1", ids[0])
                later = datetime.now(timezone.utc) + timedelta(seconds=5)
                beaten = await asyncio.wait_for(
                    node.db(beat, Delivery, "run-a", busy_state=S.SENDING, now=later), 60)
                await tx.rollback()
            finally:
                await holder.close()
            stamps = await node.db(lambda: Delivery.filter(heartbeat_at=later).values_list("id", flat=True))
        assert beaten == 4 and sorted(stamps) == sorted(ids[1:])


async def test_inbox__items_stored_by_the_web_process_are_processed_by_another_at_once(tmp_path):
    """Almaty's web node (PostgreSQL, no workers) stores what Baku sends; a worker node on the same database,
    polling every 10 minutes, sends the Follow, takes in the Accept and turns Baku's story into a wire story."""
    from federation.store.models import Following
    from node.wire.models import WireStory

    # Both on PostgreSQL: tortoise names a process's connections after their dialect, so one process cannot mix.
    async with postgres_database(migrated=True) as url, postgres_database(migrated=True) as baku_url, \
            running_node(tmp_path, "baku", database_url=baku_url) as baku:
        _, config = _config(tmp_path, url)
        async with running_node(tmp_path, "almaty", config=config) as almaty:
            worker = Node(config)
            await asyncio.create_task(worker.start())
            try:
                worker.start_workers()
                assert worker.listener is not None
                await asyncio.wait_for(worker.listener.listening.wait(), 60)
                status, _ = await almaty.api("POST", "/api/following", {"handle": baku.handle})
                assert status == 202
                handled = 0

                async def follow_arrived() -> bool:  # sent by the worker node, woken by the delivery's NOTIFY
                    nonlocal handled
                    handled += await baku.node.process_inbox_once()
                    return handled > 0
                await _wait(follow_arrived, "the Follow at Baku")
                assert await baku.node.deliver_once() == 1  # the Accept, stored by Almaty's web node

                async def accepted() -> bool:  # processed by the worker node, woken by the inbox item's NOTIFY
                    return await almaty.db(lambda: Following.filter(state="accepted").count()) == 1
                await _wait(accepted, "the Accept processed")
                status, _ = await baku.api("POST", "/api/stories", STORY)
                assert status == 201
                assert await baku.node.deliver_once() == 1

                async def on_the_wire() -> bool:
                    return await almaty.db(lambda: WireStory.all().count()) == 1
                await _wait(on_the_wire, "Baku's story on Almaty's wire")
            finally:
                await worker.stop()


async def test_queue_notify__a_translation_job_queued_again_tells_the_workers(tmp_path):
    """A new translation job and one queued again (the story changed) are notified; its claim and a retry are not."""
    async with postgres_database(migrated=True) as url:
        _, config = _config(tmp_path, url)
        async with running_node(tmp_path, "almaty", config=config) as node:
            status, story = await node.api("POST", "/api/stories", STORY)
            assert status == 201
        heard: list[str] = []
        listener = QueueListener(connect_args(url), {CHANNELS["translation"]: lambda: heard.append("translation"),
                                                     CHANNELS["media"]: lambda: heard.append("marker")})
        stop = asyncio.Event()
        task = asyncio.create_task(listener.run(stop))
        conn = await asyncpg.connect(url)

        async def told(*statements: str) -> list[str]:
            """What the listener heard from `statements` (one transaction), up to a marker sent afterwards."""
            heard.clear()
            async with conn.transaction():
                for sql in statements:
                    await conn.execute(sql)
            await conn.execute("SELECT pg_notify('agency_media', '')")
            await _wait(lambda: _true("marker" in heard), "the marker", 30)
            return heard[:-1]
        try:
            await asyncio.wait_for(listener.listening.wait(), 30)
            job = "UPDATE translation_job SET "
            assert await told(
                "INSERT INTO translation_job (story_id, language, source_language, state, attempts, next_attempt_at, "
                f"engine, source_hash, created_at, queued_at) SELECT id, 'en', 'kk', 'pending', 0, now(), '', '', "
                f"now(), now() FROM story WHERE uuid = '{story['id']}'") == ["translation"]
            assert await told(job + "state = 'translating', attempts = attempts + 1") == []  # claimed
            assert await told(job + "state = 'pending', next_attempt_at = now() + interval '1 minute'") == []  # retry
            assert await told(job + "state = 'translated'") == []
            assert await told(job + "state = 'pending', attempts = 0, next_attempt_at = now()") == ["translation"]
        finally:
            await conn.close()
            stop.set()
            await task


async def test_queue_notify__a_scheduled_story_wakes_the_embargo_schedulers(tmp_path):
    """Scheduling a story (an embargo) tells every process's embargo scheduler to look again; publishing does not."""
    async with postgres_database(migrated=True) as url:
        _, config = _config(tmp_path, url)
        heard: list[str] = []
        listener = QueueListener(connect_args(url), {CHANNELS["embargo"]: lambda: heard.append("embargo"),
                                                     CHANNELS["media"]: lambda: heard.append("marker")})
        stop = asyncio.Event()
        task = asyncio.create_task(listener.run(stop))
        conn = await asyncpg.connect(url)
        try:
            await asyncio.wait_for(listener.listening.wait(), 30)
            async with running_node(tmp_path, "almaty", config=config) as node:
                for embargo, expected in ((None, []), ("2099-01-01T09:00:00Z", ["embargo"])):
                    heard.clear()
                    status, _ = await node.api("POST", "/api/stories", {**STORY, "embargoed_until": embargo})
                    assert status == 201
                    await conn.execute("SELECT pg_notify('agency_media', '')")
                    await _wait(lambda: _true("marker" in heard), "the marker", 30)
                    assert heard[:-1] == expected
        finally:
            await conn.close()
            stop.set()
            await task
