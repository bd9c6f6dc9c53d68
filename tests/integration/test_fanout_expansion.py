"""Two-stage fan-out over real loopback HTTP: a story for a big audience is stored with an expansion job, the
delivery worker turns followers into rows batch by batch, every inbox gets the story exactly once (shared inboxes
collapsed), and a node that dies mid-expansion resumes where it stopped."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timezone

import pytest

from federation import expansion
from federation.keys import load_public_key
from federation.store.models import Delivery, FanoutExpansion, Follower, RemoteActor
from tests.fakeremote import FakeRemote
from tests.nodes import node_on, postgres_database, running_node, settle

STORY = {"headline": "Grain corridor talks resume", "body": "<p>Talks resume in Istanbul.</p>", "language": "en"}
BATCH = 7  # followers per batch here (the node's `delivery.fanout_batch`, 500 by default)


def _verifier(node):
    async def resolve(key_id: str):
        return load_public_key(node.node.keys[node.config.agency.handle].public_key_pem)
    return resolve


async def _seed_followers(node, remotes: list[FakeRemote], personal: int, shared: int) -> set[str]:
    """`personal` followers with only a personal inbox and `shared` followers behind each remote's shared
    inbox, spread over the remotes; returns the inboxes a story must reach (each exactly once)."""
    expected: set[str] = set()

    async def _insert() -> None:
        now = datetime.now(timezone.utc)
        actors = []
        for i in range(personal + shared):
            remote = remotes[i % len(remotes)]
            actor = remote.url(f"/users/f{i}")
            is_shared = i >= personal
            inbox = actor + "/inbox"
            actors.append(RemoteActor(uri=actor, host=f"127.0.0.1:{remote.port}", preferred_username=f"f{i}",
                                      inbox=inbox, shared_inbox=remote.url("/inbox") if is_shared else None,
                                      fetched_at=now))
            expected.add(remote.url("/inbox") if is_shared else inbox)
        await RemoteActor.bulk_create(actors)
        ids = await RemoteActor.filter(uri__in=[a.uri for a in actors]).order_by("id").values_list("id", flat=True)
        await Follower.bulk_create([Follower(actor_id=i, local=node.config.agency.handle, state="accepted",
                                             follow_activity_id=f"http://follow.test/{i}") for i in ids])

    await node.db(_insert)
    return expected


def _received_creates(remotes: list[FakeRemote]) -> list[str]:
    """Every Create POSTed to any remote, by inbox URL (a repeat is a duplicate), all verified."""
    got = []
    for remote in remotes:
        for r in remote.received:
            if r.method == "POST" and r.json().get("type") == "Create":
                assert r.verified is True
                got.append(remote.url(r.path))
    return got


async def _rows(node) -> dict[str, int]:
    async def count() -> dict[str, int]:
        rows = await Delivery.filter(activity__type="Create").values_list("state", flat=True)
        return {s: rows.count(s) for s in set(rows)}
    return await node.db(count)


@contextlib.asynccontextmanager
async def _database(database_url: str | None):
    """A database that outlives one node (SQLite: None, a file in tmp_path), for a restart."""
    if database_url == "postgres":
        async with postgres_database(migrated=True) as url:
            yield url
    else:
        yield None


@contextlib.asynccontextmanager
async def _remotes(n: int):
    async with contextlib.AsyncExitStack() as stack:
        yield [await stack.enter_async_context(FakeRemote()) for _ in range(n)]


@pytest.mark.postgres
async def test_fanout_expansion__publish_returns_before_rows_exist_and_every_inbox_gets_one(tmp_path, database_url):
    """A story for more followers than a batch is answered 201 with the rows of its first followers only (at most
    `expansion.FIRST_BATCH` of them, so they go out at once) and a job for the rest, starting after them; the worker
    then expands it batch by batch and every inbox (personal, or a shared one collapsing many followers) gets
    exactly one signed Create."""
    async with node_on(tmp_path, "baku", database_url) as baku, _remotes(3) as remotes:
        baku.node.fed.fanout_batch = BATCH
        for remote in remotes:
            remote.key_resolver = _verifier(baku)
        expected = await _seed_followers(baku, remotes, personal=20, shared=15)
        status, _ = await baku.api("POST", "/api/stories", STORY)
        assert status == 201
        head = min(expansion.FIRST_BATCH, BATCH)  # the first followers: personal inboxes, one row each
        assert await _rows(baku) == {"queued": head}
        first_ids = await baku.db(lambda: Follower.all().order_by("id").limit(head).values_list("id", flat=True))
        jobs = await baku.db(lambda: FanoutExpansion.all().values_list("state", "after_follower", "rows"))
        assert jobs == [("expanding", first_ids[-1], head)]
        await settle(baku)
        got = _received_creates(remotes)
        assert sorted(got) == sorted(expected)  # each inbox once; 15 followers behind 3 shared inboxes
        assert len(expected) == 20 + 3
        assert await _rows(baku) == {"delivered": len(expected)}
        job = await baku.db(lambda: FanoutExpansion.get())
        assert job.state == "expanded" and job.finished_at is not None


@pytest.mark.postgres
async def test_fanout_expansion__small_audience_is_written_while_publishing(tmp_path, database_url):
    """Up to a batch of followers, the rows are written in the publishing transaction, as before: no job."""
    async with node_on(tmp_path, "baku", database_url) as baku, _remotes(1) as remotes:
        baku.node.fed.fanout_batch = BATCH
        expected = await _seed_followers(baku, remotes, personal=4, shared=3)
        await baku.api("POST", "/api/stories", STORY)
        assert await _rows(baku) == {"queued": len(expected)}
        assert await baku.db(lambda: FanoutExpansion.all().count()) == 0


@pytest.mark.postgres
async def test_fanout_expansion__batches_run_again_or_side_by_side_add_no_row_twice(tmp_path, database_url):
    """A batch done again from the same cursor (a retry after a crash) adds no row, and workers expanding side by
    side (on PostgreSQL, concurrent transactions on separate connections) never write an inbox twice."""
    async with node_on(tmp_path, "baku", database_url) as baku, _remotes(2) as remotes:
        baku.node.fed.fanout_batch = BATCH
        for remote in remotes:
            remote.key_resolver = _verifier(baku)
        expected = await _seed_followers(baku, remotes, personal=60, shared=10)
        await baku.api("POST", "/api/stories", STORY)
        allowed = lambda inbox: True  # noqa: E731

        async def again_then_side_by_side() -> tuple[int, int]:
            cursor = (await FanoutExpansion.get()).after_follower  # past the rows written while publishing
            await expansion.expand(allowed, batch=BATCH)
            await FanoutExpansion.all().update(after_follower=cursor)  # as if that batch had not committed
            await expansion.expand(allowed, batch=BATCH)
            after_retry = await Delivery.all().count()
            while await FanoutExpansion.filter(state="expanding").exists():
                await asyncio.gather(*(expansion.expand(allowed, batch=BATCH) for _ in range(4)))
            return after_retry, await Delivery.all().count()

        after_retry, total = await baku.db(again_then_side_by_side)
        assert after_retry == min(expansion.FIRST_BATCH, BATCH) + BATCH  # publishing's rows and one batch
        assert total == len(expected)
        inboxes = await baku.db(lambda: Delivery.all().values_list("inbox", flat=True))
        assert sorted(inboxes) == sorted(expected)
        await settle(baku)
        assert sorted(_received_creates(remotes)) == sorted(expected)


@pytest.mark.postgres
async def test_fanout_expansion__a_node_restarted_mid_expansion_loses_no_inbox(tmp_path, database_url):
    """A node stopped after one batch was sent and while it wrote the next one (that batch rolls back), then a new
    node on the same database: every inbox ends with exactly one delivery, none sent twice."""
    async with _database(database_url) as url, _remotes(3) as remotes:
        async with running_node(tmp_path, "baku", database_url=url) as first:
            first.node.fed.fanout_batch = BATCH
            for remote in remotes:
                remote.key_resolver = _verifier(first)
            # More followers than one `run_once` expands (8 batches of 7, each followed by a claim).
            expected = await _seed_followers(first, remotes, personal=100, shared=9)
            await first.api("POST", "/api/stories", STORY)
            assert await first.node.deliver_once() > 0  # some batches expanded and sent
            sent = len(_received_creates(remotes))
            assert 0 < sent < len(expected)
            intact = expansion.insert_deliveries

            async def dies_while_writing(*args, **kwargs):  # the transaction of the batch never commits
                await intact(*args, **kwargs)
                raise RuntimeError("killed")

            expansion.insert_deliveries = dies_while_writing
            try:
                with pytest.raises(RuntimeError):
                    await first.db(lambda: expansion.expand(lambda i: True, batch=BATCH))
            finally:
                expansion.insert_deliveries = intact
            job = await first.db(lambda: FanoutExpansion.get())
            assert job.state == "expanding" and job.after_follower > 0
            assert sum((await _rows(first)).values()) == sent  # the dead batch left no row
            config = first.config
        async with running_node(tmp_path, "baku", config=config) as again:
            again.node.fed.fanout_batch = BATCH
            await settle(again)
            assert sorted(_received_creates(remotes)) == sorted(expected)
            assert await _rows(again) == {"delivered": len(expected)}


@pytest.mark.postgres
async def test_fanout_expansion__a_kill_stops_the_expansion(tmp_path, database_url):
    """A story killed while its followers are still being expanded: the job stops, the rows made are
    cancelled, and the followers not reached yet only get the Delete."""
    async with node_on(tmp_path, "baku", database_url) as baku, _remotes(1) as remotes:
        baku.node.fed.fanout_batch = BATCH
        await _seed_followers(baku, remotes, personal=30, shared=0)
        _, story = await baku.api("POST", "/api/stories", STORY)
        await baku.db(lambda: expansion.expand(lambda i: True, batch=BATCH))
        status, _ = await baku.api("POST", f"/api/stories/{story['id']}/kill", {"reason": "wrong"})
        assert status == 200
        await settle(baku)
        assert _received_creates(remotes) == []
        states = await baku.db(lambda: FanoutExpansion.all().order_by("id").values_list("state", flat=True))
        assert states == ["cancelled", "expanded"]  # the Create's job, then the Delete's
        assert await _rows(baku) == {"cancelled": min(expansion.FIRST_BATCH, BATCH) + BATCH}  # publishing's, a batch


@pytest.mark.postgres
async def test_fanout_expansion__rows_are_due_from_publication_whatever_the_clock_did(tmp_path, database_url):
    """Rows a batch writes later are due since the story was published (they queue by publication), and never
    later than the moment they are written: a clock that went back since publishing (or was ahead then) does not
    leave fresh rows waiting for it to come round again."""
    from datetime import timedelta

    async with node_on(tmp_path, "baku", database_url) as baku, _remotes(1) as remotes:
        baku.node.fed.fanout_batch = BATCH
        await _seed_followers(baku, remotes, personal=3 * BATCH, shared=0)
        status, _ = await baku.api("POST", "/api/stories", STORY)
        assert status == 201
        allowed = lambda inbox: True  # noqa: E731

        async def expand_at(now: datetime) -> set[datetime]:
            before = set(await Delivery.all().values_list("id", flat=True))
            assert await expansion.expand_once(allowed, batch=BATCH, now=now) == (1, BATCH)
            return set(await Delivery.exclude(id__in=list(before)).values_list("next_attempt_at", flat=True))

        async def run() -> None:
            published = (await FanoutExpansion.get()).created_at
            assert await expand_at(published + timedelta(minutes=40)) == {published}  # expanded later
            back = published - timedelta(minutes=40)
            assert await expand_at(back) == {back}  # the clock went back since publishing

        await baku.db(run)


@pytest.mark.postgres
async def test_fanout_expansion__follower_targets_leaves_out_inboxes_already_queued(tmp_path, database_url):
    """With the activity given, a batch's inboxes that already have a row of it (a shared inbox an earlier batch
    reached) are left out, while every follower read still counts for the cursor."""
    async with node_on(tmp_path, "baku", database_url) as baku, _remotes(2) as remotes:
        baku.node.fed.fanout_batch = BATCH
        await _seed_followers(baku, remotes, personal=0, shared=20)  # 20 followers behind 2 shared inboxes
        await baku.api("POST", "/api/stories", STORY)  # writes the first followers' rows: both shared inboxes

        async def targets() -> tuple[expansion.Batch, expansion.Batch]:
            job = await FanoutExpansion.get()
            known = await expansion.follower_targets("baku", after=job.after_follower, limit=BATCH,
                                                     activity_id=job.activity_id)  # type: ignore[attr-defined]
            every = await expansion.follower_targets("baku", after=job.after_follower, limit=BATCH)
            return known, every

        known, every = await baku.db(targets)
        assert sorted(every.inboxes) == sorted(r.url("/inbox") for r in remotes)
        assert known.inboxes == []
        assert (known.read, known.last_id) == (every.read, every.last_id) == (BATCH, known.last_id)
