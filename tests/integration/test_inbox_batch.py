"""The inbox worker's batch path: runs of Creates of new wire stories stored together (node/wire/batch.py).

One claimed batch of signed Creates from a followed agency, over real loopback HTTP: a bad item in the middle is
recorded with its own reason and the others are stored; a batch whose transaction fails is stored item by item;
a worker killed inside a batch's transaction or after its commit loses and doubles nothing; a Create followed
by its Update and Delete in the same batch ends as the single path would leave it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from federation import worker as worker_module
from federation.store.models import Following, InboxItem
from node.translation.models import WireTranslation
from node.wire import batch as wire_batch
from node.wire.models import WireProof, WireRevision, WireStory
from tests.integration.test_inbox_security import AS, inbox_url, node_and_remote, signed_post


async def _follow_alice(node, remote) -> str:
    alice = remote.url("/users/alice")
    actor = await node.db(node.node.fed.fetcher.actor, alice)
    await node.db(lambda: Following.create(actor_id=actor.id, local=node.config.agency.handle, state="accepted",
                                           follow_activity_id=node.actor_id + "/follows/1"))
    return alice


def _create(remote, n: int, actor: str = "alice", **members: Any) -> dict[str, Any]:
    actor_id = remote.url(f"/users/{actor}")
    note = {"id": remote.url(f"/notes/{n}"), "type": "Note", "attributedTo": actor_id, "name": f"Story {n}",
            "contentMap": {"en": f"<p>Grain prices, part {n}.</p>", "fr": f"<p>Prix des céréales, partie {n}.</p>"},
            "published": "2026-12-07T10:00:00Z", "to": [AS + "#Public"], **members}
    return {"@context": AS, "id": f"{actor_id}/creates/{n}", "type": "Create", "actor": actor_id,
            "to": [AS + "#Public"], "object": note}


async def _post_all(node, remote, activities: list[dict[str, Any]]) -> None:
    for activity in activities:
        status, _, text = await signed_post(remote, inbox_url(node, "/inbox"), activity)
        assert status == 202, text


async def _states(node) -> dict[str, tuple[str, str]]:
    rows = await node.db(lambda: InboxItem.all().values_list("activity_id", "state", "note"))
    return {activity_id: (state, note) for activity_id, state, note in rows}


async def _counts(node) -> tuple[int, int, int, int]:
    async def count() -> tuple[int, int, int, int]:
        return (await WireStory.all().count(), await WireRevision.all().count(), await WireProof.all().count(),
                await WireTranslation.all().count())
    return await node.db(count)


async def _indexed() -> int:
    _, rows = await WireStory._meta.db.execute_query("SELECT count(*) AS n FROM wire_search")
    return rows[0]["n"]


@pytest.mark.postgres
async def test_inbox_batch__a_poisoned_item_in_the_middle_is_ignored_and_the_others_stored(tmp_path, database_url):
    """Five Creates in one batch, the third with an invalid object proof and the fourth from an agency we do not
    follow: those two are ignored with their reasons, the other three are stored with all their rows."""
    async with node_and_remote(tmp_path, database_url) as (node, remote):
        await _follow_alice(node, remote)
        bad_proof = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022",
                     "verificationMethod": "https://elsewhere.example/keys/1", "proofPurpose": "assertionMethod",
                     "created": "2026-12-07T10:00:00Z", "proofValue": "z3FXQ"}
        activities = [_create(remote, 1), _create(remote, 2), _create(remote, 3, proof=bad_proof),
                      _create(remote, 4, actor="bob"), _create(remote, 5)]
        await _post_all(node, remote, activities)
        assert await node.node.process_inbox_once() == 5  # one batch
        states = await _states(node)
        assert [states[a["id"]][0] for a in activities] == ["processed", "processed", "ignored", "ignored",
                                                            "processed"]
        assert "proof invalid" in states[activities[2]["id"]][1]
        assert "whom we do not follow" in states[activities[3]["id"]][1]
        uris = await node.db(lambda: WireStory.all().order_by("id").values_list("uri", flat=True))
        assert uris == [remote.url(f"/notes/{n}") for n in (1, 2, 5)]
        assert await _counts(node) == (3, 3, 3, 6)  # a revision, a proof verdict, two languages each
        story = await node.db(lambda: WireStory.get(uri=remote.url("/notes/2")))
        assert (story.headline, story.language, story.state, story.thread) == ("Story 2", "en", "live", story.uri)
        assert await node.db(_indexed) == 3  # each stored story has its search index row
        assert await node.node.process_inbox_once() == 0


async def test_inbox_batch__a_failed_transaction_falls_back_to_one_by_one(tmp_path, monkeypatch):
    """When the batch's transaction fails (here: the database gives out on its first insert), nothing of it is
    kept and every Create is stored on its own, each once."""
    failures = []

    async def failing_insert(tx, new, now):
        failures.append(len(new))
        raise OSError("the disk went away for a moment")

    monkeypatch.setattr(wire_batch, "_insert", failing_insert)
    async with node_and_remote(tmp_path) as (node, remote):
        await _follow_alice(node, remote)
        activities = [_create(remote, n) for n in range(1, 5)]
        await _post_all(node, remote, activities)
        assert await node.node.process_inbox_once() == 4
        assert failures == [4]
        states = await _states(node)
        assert all(states[a["id"]] == ("processed", f"stored {a['object']['id']} (proof unsigned)")
                   for a in activities), states
        assert await _counts(node) == (4, 4, 4, 8)


class _Killed(BaseException):
    """The worker process dying at this point (nothing after it runs, nothing catches it)."""


@pytest.mark.postgres
@pytest.mark.parametrize("moment", ["in_the_transaction", "after_the_commit"])
async def test_inbox_batch__a_worker_killed_mid_batch_loses_and_doubles_nothing(tmp_path, database_url, moment,
                                                                                monkeypatch):
    """A worker killed inside the batch's transaction leaves no story and its rows claimed (taken again once the
    claim expires); killed after the commit, it leaves the stories with their rows already processed (nothing to
    do again). Either way each story ends stored once, with one revision, one proof verdict, its two languages."""
    real_settle = worker_module.settle_many

    async def settle_then_die(*args, **kwargs):  # the stories inserted and their rows settled, not committed
        await real_settle(*args, **kwargs)
        raise _Killed()

    async def die(*args, **kwargs):
        raise _Killed()

    if moment == "in_the_transaction":
        monkeypatch.setattr(worker_module, "settle_many", settle_then_die)
    else:
        monkeypatch.setattr(wire_batch, "story_changed", die)
    async with node_and_remote(tmp_path, database_url) as (node, remote):
        await _follow_alice(node, remote)
        activities = [_create(remote, n) for n in range(1, 4)]
        await _post_all(node, remote, activities)
        with pytest.raises(_Killed):
            await node.node.process_inbox_once()
        states = {state for state, _ in (await _states(node)).values()}
        if moment == "in_the_transaction":
            assert states == {"processing"} and await _counts(node) == (0, 0, 0, 0)
            past = datetime.now(timezone.utc) - timedelta(minutes=1)
            await node.db(lambda: InboxItem.all().update(locked_until=past))  # the dead worker's claim expired
            monkeypatch.setattr(worker_module, "settle_many", real_settle)
            assert await node.node.process_inbox_once() == 3
        else:
            assert states == {"processed"}
            assert await node.node.process_inbox_once() == 0
        assert {state for state, _ in (await _states(node)).values()} == {"processed"}
        assert await _counts(node) == (3, 3, 3, 6)


@pytest.mark.postgres
async def test_inbox_batch__create_then_update_and_delete_in_one_batch_keep_their_order(tmp_path, database_url):
    """A Create, its Update and another story's Create then Delete, all in one batch: the update lands on the
    story stored by the batch, the deleted story ends deleted, a second Create of a stored object is an update."""
    async with node_and_remote(tmp_path, database_url) as (node, remote):
        alice = await _follow_alice(node, remote)
        first, second = _create(remote, 1), _create(remote, 2)
        update = {"@context": AS, "id": alice + "/updates/1", "type": "Update", "actor": alice,
                  "object": {**first["object"], "name": "Story 1, corrected", "updated": "2026-12-07T11:00:00Z"}}
        delete = {"@context": AS, "id": alice + "/deletes/2", "type": "Delete", "actor": alice,
                  "object": second["object"]["id"]}
        again = {**_create(remote, 1), "id": alice + "/creates/1-again"}
        await _post_all(node, remote, [first, second, update, delete, again])
        assert await node.node.process_inbox_once() == 5
        states = await _states(node)
        assert {state for state, _ in states.values()} == {"processed"}, states
        one = await node.db(lambda: WireStory.get(uri=first["object"]["id"]))
        two = await node.db(lambda: WireStory.get(uri=second["object"]["id"]))
        assert one.headline == "Story 1, corrected" and one.state == "live"
        assert two.state == "deleted"
        assert await node.db(lambda: WireStory.all().count()) == 2


async def test_inbox_batch__the_hooks_get_the_story_as_stored(tmp_path, monkeypatch):
    """The story object the stored-story and change hooks receive (built from the inserted values, not read back)
    holds every field as the database holds it, and is marked saved."""
    seen: list[WireStory] = []

    async def capture(fed, story):
        seen.append(story)

    monkeypatch.setattr(wire_batch.hooks, "stored", capture)
    async with node_and_remote(tmp_path) as (node, remote):
        await _follow_alice(node, remote)
        activities = [_create(remote, n, summary=f"About {n}") for n in (1, 2)]
        await _post_all(node, remote, activities)
        assert await node.node.process_inbox_once() == 2
        stored = await node.db(lambda: WireStory.all().order_by("id"))
        assert [s.uri for s in seen] == [s.uri for s in stored]
        names = list(WireStory._meta.fields_db_projection)
        for built, row in zip(seen, stored):
            assert built._saved_in_db and built.pk == row.pk and built.arrived_new
            assert {n: getattr(built, n) for n in names} == {n: getattr(row, n) for n in names}
