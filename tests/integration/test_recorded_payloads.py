"""Recorded payloads from Mastodon, GoToSocial, Misskey and Sharkey replayed (signed by a FakeRemote) into the
inbox of a real node on loopback, then processed by its inbox worker."""

from __future__ import annotations

import contextlib
import copy
from typing import Any, AsyncIterator

import pytest

from federation.sanitize import sanitize_html
from node.wire.models import Boost, WireStory
from federation.store.models import Follower, Following, InboxItem, RemoteActor
from schemas.activitystreams import object_id
from tests.fakeremote import FakeRemote, rewrite_origin
from tests.nodes import RunningNode, running_node

AS = "https://www.w3.org/ns/activitystreams"


@contextlib.asynccontextmanager
async def node_and_remote(tmp_path) -> AsyncIterator[tuple[RunningNode, FakeRemote]]:
    async with running_node(tmp_path, "baku") as node, FakeRemote() as remote:
        yield node, remote


def inbox(node: RunningNode) -> str:
    return node.node.urls.inbox(node.config.agency.handle)


async def replay(node: RunningNode, remote: FakeRemote, activity: dict[str, Any], *,
                 shared: bool = True) -> InboxItem:
    """POST the activity signed by its actor, run the inbox worker, return the stored row."""
    url = node.node.urls.shared_inbox if shared else inbox(node)
    status, text = await remote.post_signed(url, activity)
    assert status == 202, text
    await node.node.process_inbox_once()
    return await node.db(lambda: InboxItem.get(activity_id=activity["id"]))


async def follow_by_node(node: RunningNode, actor_id: str, *, state: str = "accepted",
                         follow_id: str | None = None) -> None:
    """Record that the node follows `actor_id` (fetching the actor from the fake as the node would)."""

    async def _do() -> None:
        actor = await node.node.fed.fetcher.actor(actor_id)
        await Following.create(actor_id=actor.id, local=node.config.agency.handle, state=state,
                               follow_activity_id=follow_id or f"{node.base_url}/activities/follow-{actor.id}")

    await node.db(_do)


def followers(node: RunningNode) -> Any:
    return node.db(lambda: Follower.all().prefetch_related("actor"))


def retarget(follow: dict[str, Any], node: RunningNode) -> dict[str, Any]:
    """A recorded Follow aimed at our node's actor instead of the recording's target (nothing else changes)."""
    return {**follow, "object": node.actor_id}


# --- Follow ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["mastodon/follow.json", "sharkey/follow.json"])
async def test_recorded_follow__follower_recorded_and_accepted(tmp_path, fixture):
    """A recorded Follow is accepted (202), processed, and its actor becomes an accepted follower."""
    async with node_and_remote(tmp_path) as (node, remote):
        follow = retarget(remote.load_fixture(fixture), node)
        row = await replay(node, remote, follow, shared=False)
        assert row.state == "processed", row.note
        [f] = await followers(node)
        assert f.actor.uri == follow["actor"] and f.state == "accepted" and f.follow_activity_id == follow["id"]
        assert await node.node.deliver_once() == 1
        [accept] = remote.received_at(remote.generated_actor(follow["actor"])["inbox"].split(remote.origin)[1])
        assert accept.json()["type"] == "Accept" and accept.json()["object"]["id"] == follow["id"]


# --- Create -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture, actor_fixture", [
    ("mastodon/create-note.json", None),
    ("misskey/create-note.json", None),
    ("gotosocial/create-note.json", "gotosocial/actor-the_mighty_zork.json"),
])
async def test_recorded_create__note_stored_on_wire_sanitized(tmp_path, fixture, actor_fixture):
    """A recorded Create{Note} from an actor the node follows lands on the wire with sanitized content."""
    async with node_and_remote(tmp_path) as (node, remote):
        if actor_fixture:
            remote.load_fixture(actor_fixture)
        create = remote.load_fixture(fixture)
        await follow_by_node(node, create["actor"])
        row = await replay(node, remote, create)
        assert row.state == "processed", row.note
        [story] = await node.db(lambda: WireStory.all().prefetch_related("actor"))
        note = create["object"]
        assert story.uri == note["id"] and story.actor.uri == create["actor"] and story.state == "live"
        assert story.type == "Note" and story.signature == "draft-cavage"
        assert story.content_html == sanitize_html(note["content"]) and story.content_html
        assert story.object["content"] == story.content_html
        assert story.published_at is not None


async def test_recorded_create__misskey_links_made_safe(tmp_path):
    """Misskey's mention link keeps its href but gets our rel attribute: the stored HTML is ours, not theirs."""
    async with node_and_remote(tmp_path) as (node, remote):
        create = remote.load_fixture("misskey/create-note.json")
        await follow_by_node(node, create["actor"])
        await replay(node, remote, create)
        [html] = await node.db(lambda: WireStory.all().values_list("content_html", flat=True))
        assert 'href="https://calckey.jp/@trapezial"' in html
        assert 'rel="nofollow noopener noreferrer"' in html and "rel=" not in create["object"]["content"]


async def test_recorded_create__gotosocial_string_audience_and_summary(tmp_path):
    """GoToSocial's `to`/`cc` as strings are accepted; its summary (a content warning) is kept as text."""
    async with node_and_remote(tmp_path) as (node, remote):
        remote.load_fixture("gotosocial/actor-the_mighty_zork.json")
        create = remote.load_fixture("gotosocial/create-note.json")
        assert isinstance(create["to"], str) and isinstance(create["object"]["cc"], str)
        await follow_by_node(node, create["actor"])
        await replay(node, remote, create)
        [story] = await node.db(lambda: WireStory.all())
        assert story.summary == "introduction post" and story.language == "en"


async def test_recorded_create__from_unfollowed_actor_ignored(tmp_path):
    """The same recorded Create from an actor nobody here follows is accepted (202) but stores no story."""
    async with node_and_remote(tmp_path) as (node, remote):
        create = remote.load_fixture("mastodon/create-note.json")
        row = await replay(node, remote, create)
        assert row.state == "ignored"
        assert await node.db(lambda: WireStory.all().count()) == 0


# --- Announce -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture, actor_fixture", [
    ("mastodon/announce.json", None),
    ("gotosocial/announce.json", "gotosocial/actor-the_mighty_zork.json"),
])
async def test_recorded_announce__boost_stored_with_fetched_object(tmp_path, fixture, actor_fixture):
    """A recorded Announce by a followed actor: the boosted story is fetched from its origin and the boost kept."""
    async with node_and_remote(tmp_path) as (node, remote):
        if actor_fixture:
            remote.load_fixture(actor_fixture)
        announce = remote.load_fixture(fixture)
        note_id = object_id(announce["object"])
        # The announced status itself was not recorded; this Note is ours, served where the recording points.
        remote.serve(note_id.split(remote.origin, 1)[1], {
            "@context": AS, "id": note_id, "type": "Note", "attributedTo": announce["actor"],
            "content": "<p>boosted <script>alert(1)</script>text</p>", "published": "2024-02-01T10:00:00Z"})
        await follow_by_node(node, announce["actor"])
        row = await replay(node, remote, announce)
        assert row.state == "processed", row.note
        [story] = await node.db(lambda: WireStory.all())
        assert story.uri == note_id and story.signature == "fetched"
        assert "<script>" not in story.content_html and "boosted" in story.content_html
        [boost] = await node.db(lambda: Boost.all().prefetch_related("actor", "story"))
        assert boost.activity_id == announce["id"] and boost.story.uri == note_id
        assert boost.actor.uri == announce["actor"]


# --- Update and Delete of actors ---------------------------------------------------------------------------


async def test_recorded_update__gotosocial_person_refreshes_cached_actor(tmp_path):
    """GoToSocial's Update{Person} replaces the cached actor's name and summary."""
    async with node_and_remote(tmp_path) as (node, remote):
        actor = remote.load_fixture("gotosocial/actor-the_mighty_zork.json")
        update = remote.load_fixture("gotosocial/generated-update-person.json")
        # The node first caches an older version of the actor (this name is ours, not recorded).
        remote.serve_actor({**actor, "name": "zork before the update", "summary": ""})
        await follow_by_node(node, actor["id"])
        before = await node.db(lambda: RemoteActor.get(uri=actor["id"]))
        assert before.name == "zork before the update"
        row = await replay(node, remote, update)
        assert row.state == "processed", row.note
        after = await node.db(lambda: RemoteActor.get(uri=actor["id"]))
        assert after.name == update["object"]["name"] == "original zork (he/they)"
        assert after.summary == update["object"]["summary"]


async def test_recorded_delete__mastodon_actor_removed_with_its_follow(tmp_path):
    """Mastodon's Delete of an actor marks the cached actor deleted and drops it as a follower."""
    async with node_and_remote(tmp_path) as (node, remote):
        delete = remote.load_fixture("mastodon/delete-actor.json")
        actor_id = delete["actor"]
        follow = {"@context": AS, "id": actor_id + "#follows/1", "type": "Follow", "actor": actor_id,
                  "object": node.actor_id}  # ours: Alice followed us before leaving
        await replay(node, remote, follow)
        assert len(await followers(node)) == 1
        row = await replay(node, remote, delete)
        assert row.state == "processed", row.note
        assert await followers(node) == []
        gone = await node.db(lambda: RemoteActor.get(uri=actor_id))
        assert gone.deleted_at is not None


# --- Undo Follow ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["mastodon/undo-follow.json", "misskey/undo-follow.json"])
async def test_recorded_undo__follow_withdrawn(tmp_path, fixture):
    """A recorded Undo{Follow} removes the follower whose Follow it names (matched on the Follow's id)."""
    async with node_and_remote(tmp_path) as (node, remote):
        undo = remote.load_fixture(fixture)
        # The embedded Follow, as it was once sent to us.
        await replay(node, remote, retarget(copy.deepcopy(undo["object"]), node), shared=False)
        assert len(await followers(node)) == 1
        row = await replay(node, remote, undo, shared=False)
        assert row.state == "processed", row.note
        assert await followers(node) == []


# --- answers to our own follows, and what we ignore ----------------------------------------------------------


async def test_recorded_reject__misskey_follow_with_minted_id(tmp_path):
    """Misskey's Reject names a Follow id it made up; the node still matches it to its follow (actor and target)."""
    async with node_and_remote(tmp_path) as (node, remote):
        reject = remote.load_fixture("misskey/reject-follow.json")
        await follow_by_node(node, reject["actor"], state="pending")
        # The recording rejects a follow by its own server's user; here that user is our node's actor.
        reject = {**reject, "object": {**reject["object"], "actor": node.actor_id}}
        row = await replay(node, remote, reject)
        assert row.state == "processed", row.note
        assert await node.db(lambda: Following.all().values_list("state", flat=True)) == ["rejected"]


@pytest.mark.parametrize("fixture", ["misskey/block.json", "gotosocial/accept-announce.json"])
async def test_recorded_other__accepted_and_ignored(tmp_path, fixture):
    """Activities the node does not act on (Block, GoToSocial's Accept of an Announce) are stored and ignored."""
    async with node_and_remote(tmp_path) as (node, remote):
        activity = remote.load_fixture(fixture)
        row = await replay(node, remote, activity)
        assert row.state == "ignored" and row.note
        assert await node.db(lambda: Following.all().count()) == 0


async def test_recorded_delete__misskey_tombstone_removes_wire_story(tmp_path):
    """Misskey's Delete{Tombstone} tombstones the wire copy of the note it names."""
    async with node_and_remote(tmp_path) as (node, remote):
        delete = remote.load_fixture("misskey/delete-note.json")
        note_id = delete["object"]["id"]
        await follow_by_node(node, delete["actor"])
        create = {"@context": AS, "id": note_id + "/activity", "type": "Create", "actor": delete["actor"],
                  "object": {"id": note_id, "type": "Note", "attributedTo": delete["actor"],
                             "content": "<p>soon gone</p>"}}  # ours: the note the recording deletes
        await replay(node, remote, create)
        row = await replay(node, remote, delete)
        assert row.state == "processed", row.note
        [story] = await node.db(lambda: WireStory.all())
        assert story.uri == note_id and story.state == "deleted" and story.content_html == ""


async def test_recorded_delete__unknown_gone_actor_dropped_quietly(tmp_path):
    """A Delete of an actor whose document is already gone (key unfetchable) gets 202 and stores nothing."""
    async with node_and_remote(tmp_path) as (node, remote):
        delete = remote.load_fixture("mastodon/delete-actor.json")
        remote.documents.pop(delete["actor"].split(remote.origin, 1)[1])  # the account is gone: 404
        status, text = await remote.post_signed(node.node.urls.shared_inbox, delete)
        assert status == 202, text
        assert await node.db(lambda: InboxItem.all().count()) == 0


async def test_recorded_announce__boost_of_another_hosts_story(tmp_path):
    """Mastodon's Announce (no @context) of a status on a second server: fetched there, stored with its author."""
    async with node_and_remote(tmp_path) as (node, remote), FakeRemote() as second:
        announce = rewrite_origin(remote.load_fixture("mastodon/announce-anonymised.json"),
                                  "https://second_domain", second.origin)
        assert "@context" not in announce
        note_id = announce["object"]
        author = second.url("/users/second")
        second.serve_actor(second.generated_actor(author))
        second.serve(note_id.split(second.origin, 1)[1], {  # ours: the boosted status was not recorded
            "@context": AS, "id": note_id, "type": "Note", "attributedTo": author, "content": "<p>original</p>"})
        await follow_by_node(node, announce["actor"])
        row = await replay(node, remote, announce)
        assert row.state == "processed", row.note
        [story] = await node.db(lambda: WireStory.all().prefetch_related("actor"))
        assert story.uri == note_id and story.actor.uri == author
        assert await node.db(lambda: Boost.filter(activity_id=announce["id"]).count()) == 1
