"""Accepted activities the inbox worker cannot use: recorded as ignored with the reason, never retried.

Each case is a finding of the inbox fuzzing (issue 12): a validly signed activity that was answered 202 and then
made the worker raise on every run. Now the row ends `ignored` with a short reason, nothing escapes the worker and
a second run has nothing to do. A transient failure, by contrast, is retried with back-off until the horizon.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from federation.store.models import Following, InboxItem, RemoteActor
from tests.integration.test_inbox_security import AS, inbox_url, node_and_remote, signed_post


def _nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = {"x": value}
    return value


async def _post_and_process(node, remote, activity: dict[str, Any]) -> InboxItem:
    status, _, text = await signed_post(remote, inbox_url(node, "/inbox"), activity)
    assert status == 202, text
    assert await node.node.process_inbox_once() == 1
    assert await node.node.process_inbox_once() == 0  # nothing left to retry
    return await node.db(lambda: InboxItem.get(activity_id=activity["id"]))


@pytest.mark.postgres
async def test_inbox_worker__undo_with_overlong_object_id_ignored(tmp_path, database_url):
    """An Undo whose object id is longer than any id column is ignored with the reason, not retried."""
    async with node_and_remote(tmp_path, database_url) as (node, remote):
        alice = remote.url("/users/alice")
        await node.db(node.node.fed.fetcher.actor, alice)  # a known actor, so the handlers look further
        undo = {"@context": AS, "id": alice + "/undo/1", "type": "Undo", "actor": alice,
                "object": alice + "/follows/" + "x" * 600}
        row = await _post_and_process(node, remote, undo)
        assert row.state == "ignored" and "too long" in row.note, row.note


async def test_inbox_worker__reject_with_overlong_object_id_ignored(tmp_path):
    """A Reject whose object id is over 512 characters is ignored with the reason, not retried."""
    async with node_and_remote(tmp_path) as (node, remote):
        alice = remote.url("/users/alice")
        reject = {"@context": AS, "id": alice + "/reject/1", "type": "Reject", "actor": alice,
                  "object": {"id": alice + "/follows/" + "y" * 600, "type": "Follow", "actor": node.actor_id,
                             "object": alice}}
        row = await _post_and_process(node, remote, reject)
        assert row.state == "ignored" and "too long" in row.note, row.note


async def test_inbox_worker__actor_update_nested_300_deep_ignored(tmp_path):
    """An Update of an actor with a member nested 300 deep is ignored as too deep; the cached actor is unchanged."""
    async with node_and_remote(tmp_path) as (node, remote):
        alice = remote.url("/users/alice")
        await node.db(node.node.fed.fetcher.actor, alice)
        doc = {**remote.actors[alice], "name": "Changed", "deep": _nested(300)}
        update = {"@context": AS, "id": alice + "/update/1", "type": "Update", "actor": alice, "object": doc}
        row = await _post_and_process(node, remote, update)
        assert row.state == "ignored" and "deep" in row.note, row.note
        cached = await node.db(lambda: RemoteActor.get(uri=alice))
        assert cached.name != "Changed"


@pytest.mark.postgres
async def test_inbox_worker__actor_update_with_non_string_name_ignored(tmp_path, database_url):
    """An Update of an actor whose `name` is not a string is ignored naming the field; the cache is unchanged."""
    async with node_and_remote(tmp_path, database_url) as (node, remote):
        alice = remote.url("/users/alice")
        await node.db(node.node.fed.fetcher.actor, alice)
        doc = {**remote.actors[alice], "name": {"en": "Alice"}, "summary": "changed"}
        update = {"@context": AS, "id": alice + "/update/2", "type": "Update", "actor": alice, "object": doc}
        row = await _post_and_process(node, remote, update)
        assert row.state == "ignored" and "name" in row.note, row.note
        cached = await node.db(lambda: RemoteActor.get(uri=alice))
        assert cached.summary != "changed"


async def test_inbox_worker__transient_fetch_failure_retried_then_failed_after_horizon(tmp_path):
    """A Create whose object's host answers 500 is a bad moment, not a bad activity: the row goes back to the queue
    with the reason and a later attempt time; past the retry horizon it is marked failed for the operator."""
    async with node_and_remote(tmp_path) as (node, remote):
        alice = remote.url("/users/alice")
        actor = await node.db(node.node.fed.fetcher.actor, alice)
        await node.db(lambda: Following.create(actor_id=actor.id, local=node.config.agency.handle,
                                               state="accepted", follow_activity_id=node.actor_id + "/follows/1"))
        remote.failing.add("/notes/1")
        create = {"@context": AS, "id": alice + "/create/1", "type": "Create", "actor": alice,
                  "object": remote.url("/notes/1")}
        status, _, text = await signed_post(remote, inbox_url(node, "/inbox"), create)
        assert status == 202, text
        assert await node.node.process_inbox_once() == 1
        row = await node.db(lambda: InboxItem.get(activity_id=create["id"]))
        assert row.state == "received" and "ObjectUnavailable" in row.note, row.note
        assert row.next_attempt_at > datetime.now(timezone.utc)
        assert await node.node.process_inbox_once() == 0  # waits for its back-off

        past = datetime.now(timezone.utc) - timedelta(days=30)  # received long ago, due now
        await node.db(lambda: InboxItem.filter(id=row.id).update(received_at=past, next_attempt_at=past))
        assert await node.node.process_inbox_once() == 1
        row = await node.db(lambda: InboxItem.get(activity_id=create["id"]))
        assert row.state == "failed" and "ObjectUnavailable" in row.note, row.note
