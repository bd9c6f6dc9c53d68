"""Shared writes on the stored queues: settling many delivery rows at once, storing inbox activities in groups,
and the in-memory copy of the parked hosts. Real databases (SQLite, and PostgreSQL when its URL is given)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from federation.hosts import ParkedHosts
from federation.inbox_store import InboxWriter, Received
from federation.claims import claim, claim_columns, claim_statement
from federation.queue import ClaimPolicy, Move, SettleGroup, beat, settle, settle_many, take_back
from federation.states import DeliveryState as S
from federation.states import IllegalTransition
from federation.store.models import Delivery, HostHealth, InboxItem, OutboxActivity
from tests.nodes import node_on

pytestmark = pytest.mark.postgres


async def _queued(n: int) -> None:
    act = await OutboxActivity.create(uuid="a1", activity_id="http://n.test/activities/a1", actor="baku",
                                      type="Create", body="{}", digest="SHA-256=x")
    now = datetime.now(timezone.utc)
    await Delivery.bulk_create([Delivery(activity_id=act.id, inbox=f"http://h{i}.test/inbox", host=f"h{i}.test",
                                         state="queued", next_attempt_at=now) for i in range(n)])


async def _claim_all(limit: int = 100):
    return await claim(Delivery, now=datetime.now(timezone.utc), limit=limit, lock_for=timedelta(minutes=2),
                       ready_state=S.QUEUED, busy_state=S.SENDING)


async def test_settle_many__groups_moves_and_skips_lost_claims(tmp_path, database_url):
    """Rows move to their own states with their own values; a row claimed under another token is left alone."""
    async with node_on(tmp_path, "baku", database_url) as baku:
        async def scenario():
            await _queued(5)
            token, rows = await _claim_all()
            later = datetime.now(timezone.utc) + timedelta(minutes=5)
            now = datetime.now(timezone.utc)
            await settle_many(Delivery, [
                Move(rows[0].id, token, S.DELIVERED, {"last_status": 202, "delivered_at": now, "last_error": None}),
                Move(rows[1].id, token, S.DELIVERED, {"last_status": 200, "delivered_at": now, "last_error": None}),
                Move(rows[2].id, token, S.QUEUED, {"next_attempt_at": later, "last_status": 503,
                                                   "last_error": "busy"}),
                Move(rows[3].id, "someone-else", S.DELIVERED, {"last_status": 202}),
            ], from_state=S.SENDING)
            return rows, {d.id: d for d in await Delivery.all()}
        rows, after = await baku.db(scenario)
        assert [after[r.id].state for r in rows] == ["delivered", "delivered", "queued", "sending", "sending"]
        assert after[rows[1].id].last_status == 200 and after[rows[0].id].delivered_at is not None
        assert after[rows[2].id].last_error == "busy" and after[rows[2].id].locked_until is None
        assert abs(after[rows[2].id].next_attempt_at - (datetime.now(timezone.utc) + timedelta(minutes=5))) \
            < timedelta(seconds=30)


async def test_settle__reports_a_lost_claim_and_refuses_undeclared_edges(tmp_path, database_url):
    """`settle` returns False for a row this worker no longer holds; a delivered row cannot be re-queued."""
    async with node_on(tmp_path, "baku", database_url) as baku:
        async def scenario():
            await _queued(1)
            token, (row,) = await _claim_all()
            lost = await settle(Delivery, row.id, "stale-token", from_state=S.SENDING, to_state=S.DELIVERED)
            won = await settle(Delivery, row.id, token, from_state=S.SENDING, to_state=S.DELIVERED,
                               last_status=202)
            with pytest.raises(IllegalTransition):
                await settle_many(Delivery, [Move(row.id, token, S.QUEUED)], from_state=S.DELIVERED)
            return lost, won, await Delivery.get(id=row.id)
        lost, won, row = await baku.db(scenario)
        assert (lost, won, row.state, row.last_status) == (False, True, "delivered", 202)


async def test_settle_group__concurrent_settles_share_writes(tmp_path, database_url):
    """Many tasks settling at once are all written, in fewer writes than rows, and each waits for its own."""
    async with node_on(tmp_path, "baku", database_url) as baku:
        async def scenario():
            await _queued(60)
            token, rows = await _claim_all()
            group = SettleGroup(Delivery, from_state=S.SENDING)
            writes = 0
            original = group._write

            async def counting_write():
                nonlocal writes
                writes += 1
                await original()
            group._write = counting_write  # type: ignore[method-assign]
            await asyncio.gather(*(group.settle(r.id, token, to_state=S.DELIVERED, last_status=202)
                                   for r in rows))
            return writes, await Delivery.filter(state="delivered").count()
        writes, delivered = await baku.db(scenario)
        assert delivered == 60
        assert writes < 60


async def test_settle_group__a_failed_write_fails_its_waiters(tmp_path, database_url):
    """When the shared write fails, every task waiting on it gets the error (nothing is silently dropped)."""
    async with node_on(tmp_path, "baku", database_url) as baku:
        async def scenario():
            await _queued(3)
            token, rows = await _claim_all()
            group = SettleGroup(Delivery, from_state=S.SENDING)
            results = await asyncio.gather(
                *(group.settle(r.id, token, to_state=S.DELIVERED, no_such_column=1) for r in rows),
                return_exceptions=True)
            return results, await Delivery.filter(state="sending").count()
        results, still_sending = await baku.db(scenario)
        assert all(isinstance(r, Exception) for r in results)
        assert still_sending == 3


def _received(i: int) -> Received:
    return Received(activity_id=f"http://peer.test/activities/{i}", actor_uri="http://peer.test/users/a",
                    type="Create", body='{"type": "Create"}', signature="draft-cavage",
                    key_id="http://peer.test/users/a#main-key")


async def test_inbox_writer__concurrent_stores_keep_each_activity_once(tmp_path, database_url):
    """Concurrent stores (with repeats, and an id stored earlier) give one row per activity id."""
    async with node_on(tmp_path, "baku", database_url) as baku:
        async def scenario():
            writer = InboxWriter()
            first = await writer.store(_received(0))
            results = await asyncio.gather(*(writer.store(_received(i % 20)) for i in range(50)))
            return first, results, await InboxItem.all().values_list("activity_id", "state")
        first, results, rows = await baku.db(scenario)
        assert first is True
        assert sum(results) == 19  # ids 1..19 new once each; id 0 and the repeats were already there
        assert len(rows) == 20 and len({a for a, _ in rows}) == 20
        assert {s for _, s in rows} == {"received"}


async def test_parked_hosts__sees_other_processes_after_ttl_and_own_changes_at_once(tmp_path, database_url):
    """A host parked in the database shows after the TTL; this process's own parking and reviving at once."""
    async with node_on(tmp_path, "baku", database_url) as baku:
        async def scenario():
            parked = ParkedHosts(ttl=60)
            before = await parked.current()
            await HostHealth.create(host="down.test", parked=True)  # as another process would
            still_cached = await parked.contains("down.test")
            parked.add("local.test")
            mine = await parked.contains("local.test")
            fresh = ParkedHosts(ttl=0)
            seen = await fresh.contains("down.test")
            fresh.discard("down.test")
            return before, still_cached, mine, seen
        before, still_cached, mine, seen = await baku.db(scenario)
        assert before == frozenset() and still_cached is False and mine is True and seen is True


async def test_inbox_worker__accept_then_create_in_one_batch_stores_the_story(tmp_path):
    """An Accept and the followed agency's first Create processed in one batch: the Create counts as followed."""
    from federation.store.models import Following
    from node.wire.models import WireStory
    from tests.nodes import running_node, settle

    async with running_node(tmp_path, "baku") as baku, \
            running_node(tmp_path, "ankara", manually_approves_followers=True) as ankara:
        status, _ = await baku.api("POST", "/api/following", {"handle": ankara.handle})
        assert status == 202
        await settle(baku, ankara)
        _, pending = await ankara.api("GET", "/api/followers?state=pending")
        await ankara.api("POST", f"/api/followers/{pending['followers'][0]['id']}/approve")
        assert await ankara.node.deliver_once() == 1  # the Accept, stored in Baku's inbox, not processed yet
        status, _ = await ankara.api("POST", "/api/stories", {"headline": "Ankara wheat", "language": "tr",
                                                             "body": "<p>Wheat prices fell.</p>"})
        assert status == 201
        assert await ankara.node.deliver_once() == 1  # the Create, behind the Accept
        assert await baku.node.process_inbox_once() == 2  # one batch, in arrival order
        assert await baku.db(lambda: Following.all().values_list("state", flat=True)) == ["accepted"]
        assert await baku.db(lambda: WireStory.all().values_list("headline", flat=True)) == ["Ankara wheat"]


async def test_claim__stamps_its_owner_and_takes_over_rows_whose_heartbeat_stopped(tmp_path, database_url):
    """A claim carries its owner's run id and heartbeat; a beat keeps it; once the beat is older than
    `stale_seconds` another owner claims the rows, long before their lock expires."""
    async with node_on(tmp_path, "baku", database_url) as baku:
        async def scenario():
            await _queued(3)
            t0 = datetime.now(timezone.utc)
            kw = dict(limit=10, lock_for=timedelta(minutes=2), ready_state=S.QUEUED, busy_state=S.SENDING,
                      stale_seconds=5)
            _, mine = await claim(Delivery, now=t0, owner="dead-run", **kw)
            owners = set(await Delivery.all().values_list("claim_owner", flat=True))
            # Alive: beaten 4 s later, still its own 6 s later.
            await beat(Delivery, "dead-run", busy_state=S.SENDING, now=t0 + timedelta(seconds=4))
            _, early = await claim(Delivery, now=t0 + timedelta(seconds=6), owner="new-run", **kw)
            # Dead: no beat since; 10 s after the last one the new owner takes all three.
            _, taken = await claim(Delivery, now=t0 + timedelta(seconds=10), owner="new-run", **kw)
            return mine, owners, early, taken, await Delivery.all().values_list("claim_owner", "attempts")
        mine, owners, early, taken, after = await baku.db(scenario)
        assert len(mine) == 3 and owners == {"dead-run"}
        assert early == [] and len(taken) == 3
        assert sorted(after) == [("new-run", 2)] * 3


async def test_take_back__returns_every_claim_but_the_callers_to_the_queue(tmp_path, database_url):
    """At start-up the only worker takes back a dead predecessor's claims (and pre-heartbeat ones) at once; its
    own stay claimed; the rows are due and claimable again right away."""
    async with node_on(tmp_path, "baku", database_url) as baku:
        async def scenario():
            await _queued(4)
            now = datetime.now(timezone.utc)
            kw = dict(lock_for=timedelta(minutes=2), ready_state=S.QUEUED, busy_state=S.SENDING)
            await claim(Delivery, now=now, limit=2, owner="dead-run", **kw)
            await claim(Delivery, now=now, limit=1, owner="me", **kw)
            await claim(Delivery, now=now, limit=1, **kw)  # claimed by code that stamped no owner
            taken = await take_back(Delivery, "me", ready_state=S.QUEUED, busy_state=S.SENDING)
            states = sorted(await Delivery.all().values_list("state", "claim_owner"), key=str)
            _, again = await claim(Delivery, now=datetime.now(timezone.utc), limit=10, owner="me", **kw)
            return taken, states, again
        taken, states, again = await baku.db(scenario)
        assert taken == 3
        assert states == sorted([("queued", None)] * 3 + [("sending", "me")], key=str)
        assert len(again) == 3


async def test_claim_columns__takes_the_oldest_due_rows_of_every_kind(tmp_path, database_url):
    """A claim takes the oldest due rows whatever made them due (ready, lock expired, owner dead), and skips the
    excluded hosts, rows not due yet and finished ones."""
    async with node_on(tmp_path, "baku", database_url) as baku:
        async def scenario():
            act = await OutboxActivity.create(uuid="a1", activity_id="http://n.test/activities/a1", actor="baku",
                                              type="Create", body="{}", digest="SHA-256=x")
            now = datetime.now(timezone.utc)

            def row(name: str, minutes: int, state: str = S.QUEUED, **extra) -> Delivery:
                return Delivery(activity_id=act.id, inbox=f"http://{name}.test/inbox", host=f"{name}.test",
                                state=state, next_attempt_at=now - timedelta(minutes=minutes), **extra)
            await Delivery.bulk_create([
                row("done", 90, S.DELIVERED), row("parked", 80),
                row("expired", 50, S.SENDING, locked_until=now - timedelta(seconds=1), heartbeat_at=now),
                row("ready1", 40), row("dead", 30, S.SENDING, locked_until=now + timedelta(minutes=5),
                                       heartbeat_at=now - timedelta(minutes=1)),
                row("alive", 25, S.SENDING, locked_until=now + timedelta(minutes=5), heartbeat_at=now),
                row("ready2", 20), row("ready3", 10), row("later", -5)])
            kw = dict(now=now, lock_for=timedelta(minutes=2), ready_state=S.QUEUED, busy_state=S.SENDING,
                      exclude_hosts=["parked.test"], owner="me", stale_seconds=10)
            _, won = await claim_columns(Delivery, ("id", "host"), limit=4, **kw)
            return [r["host"] for r in won]
        hosts = await baku.db(scenario)
        assert sorted(hosts) == ["dead.test", "expired.test", "ready1.test", "ready2.test"]


async def test_claim_statement__every_queue_on_sqlite_reads_along_its_due_index(tmp_path):
    """Each queue's claim (the engine's deliveries and inbox, the newsroom's translation jobs and media fetches)
    reads its due rows along its (state, next_attempt_at) index, never by reading and sorting every row of the
    state (a cost that grew with the backlog); deliveries with hosts excluded too."""
    from node.media.wire_models import WireMedia
    from node.translation.models import TranslationJob

    queues = [(Delivery, "queued", "sending", ["parked.test"]), (InboxItem, "received", "processing", None),
              (TranslationJob, "pending", "translating", None), (WireMedia, "waiting", "fetching", None)]
    async with node_on(tmp_path, "baku", None) as baku:
        async def scenario():
            plans = {}
            for model, ready, busy, excluded in queues:
                sql, params = claim_statement(model, ("id",), "t", now=datetime.now(timezone.utc), limit=8,
                                              lock_for=timedelta(minutes=2), ready_state=ready, busy_state=busy,
                                              exclude_hosts=excluded, owner="me", stale_seconds=10)
                _, rows = await model._meta.db.execute_query(f"EXPLAIN QUERY PLAN {sql}", params)
                plans[model._meta.db_table] = [(r["id"], r["parent"], r["detail"]) for r in rows]
            return plans
        plans = await baku.db(scenario)
    for table, plan in plans.items():
        reads = [detail for _, _, detail in plan if f" {table} " in f"{detail} "]
        assert reads and all(f"{table}_state_due" in s or "INTEGER PRIMARY KEY" in s for s in reads), (table, plan)
        assert not _sorts_rows_of(plan, table), (table, plan)


def _sorts_rows_of(plan: list[tuple[int, int, str]], table: str) -> bool:
    """Whether a query plan sorts rows it reads from `table` itself (a temporary B-tree for an ORDER BY beside a
    read of the table), rather than rows a subquery already limited: the one OR over every kind of due row did."""
    children: dict[int, list[tuple[int, str]]] = {}
    for node, parent, detail in plan:
        children.setdefault(parent, []).append((node, detail))

    def reads(node: int, detail: str) -> bool:  # the table, read under `node` without a subquery between
        if detail.startswith(("CO-ROUTINE", "LIST SUBQUERY", "SCALAR SUBQUERY", "MATERIALIZE")):
            return False
        return f" {table} " in f"{detail} " or any(reads(*child) for child in children.get(node, []))

    return any(detail.startswith("USE TEMP B-TREE FOR ORDER BY")
               and any(reads(*sibling) for sibling in children[parent] if sibling[0] != node)
               for node, parent, detail in plan)


def test_claim_policy__refuses_a_heartbeat_not_shorter_than_the_staleness():
    """A live worker's claims must never look dead between two of its beats."""
    with pytest.raises(ValueError):
        ClaimPolicy(heartbeat_seconds=5, stale_seconds=5)
    assert ClaimPolicy(lock_seconds=30).lock_for == timedelta(seconds=30)
