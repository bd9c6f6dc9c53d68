"""Interop with an independent ActivityPub implementation: a real Fedify 2.3.6 peer on loopback.

Fedify finds and follows our agency by WebFinger, verifies the HTTP signatures of what we deliver with its own
verifier against the key our actor document publishes, accepts our follow and delivers its posts to us; we
verify its draft-cavage and RFC 9421 signatures and refuse its bad ones with 401. See tests/interop/fedify/README.md.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest

from federation.store.models import Follower, Following, InboxItem
from node.wire.models import WireStory
from tests.interop.fedify_peer import FedifyPeer, fedify_available
from tests.nodes import RunningNode, running_node, settle

_ok, _reason = fedify_available()
pytestmark = pytest.mark.skipif(not _ok, reason=f"Fedify peer unavailable: {_reason}")

CAVAGE = "draft-cavage-http-signatures-12"
TIMEOUT = 25  # every test stays well under 30 s

STORY = {"headline": "Caspian ferry line reopens", "summary": "Baku-Aktau crossings resume on Monday.",
         "body": "<p>The ferry line between <b>Baku</b> and Aktau reopens.</p>",
         "language": "az", "hashtags": ["Caspian", "ferry"]}


async def _fedify_follows(peer: FedifyPeer, baku: RunningNode) -> dict[str, Any]:
    """The peer follows our agency; our workers accept; returns the peer's following entry once accepted."""
    res = await peer.follow(baku.handle)  # acct:baku@127.0.0.1:PORT, by WebFinger
    assert res["actor"] == baku.actor_id, res
    await settle(baku)
    return await peer.wait_for_state(
        "following", lambda f: f["actor"] == baku.actor_id and f["state"] == "accepted", timeout=10)


def _create_of(object_id: str):
    return lambda r: r["type"] == "Create" and isinstance(r["object"], dict) and r["object"].get("id") == object_id


def _note(actor: str, content: str) -> dict[str, Any]:
    base = actor.rsplit("/users/", 1)[0]
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{base}/activities/raw/{uuid.uuid4()}",
        "type": "Create",
        "actor": actor,
        "to": "https://www.w3.org/ns/activitystreams#Public",
        "object": {"id": f"{base}/users/raw-notes/{uuid.uuid4()}", "type": "Note", "attributedTo": actor,
                   "to": "https://www.w3.org/ns/activitystreams#Public", "content": content},
    }


@pytest.mark.parametrize("first_knock,scheme", [("draft-cavage", "draft-cavage"), ("rfc9421", "rfc9421")])
async def test_fedify_follow__webfinger_follow_accepted(tmp_path, first_knock, scheme):
    """Fedify finds our agency by WebFinger and follows it; we verify its signature and our Accept lands."""
    async def scenario() -> None:
        async with running_node(tmp_path, "baku") as baku, FedifyPeer("alice", first_knock=first_knock) as peer:
            entry = await _fedify_follows(peer, baku)
            assert entry["handle"] == f"acct:baku@127.0.0.1:{baku.config.listen_port}"
            assert entry["inbox"] == f"{baku.actor_id}/inbox"

            # our inbox verified the Follow with the scheme Fedify knocked with first
            items = await baku.db(lambda: InboxItem.filter(type="Follow").values("actor_uri", "signature", "key_id",
                                                                                 "state"))
            assert len(items) == 1, items
            assert items[0]["actor_uri"] == peer.actor_id
            assert items[0]["signature"] == scheme
            assert items[0]["key_id"].startswith(peer.actor_id)

            # the Accept reached Fedify's personal inbox with a signature Fedify's own verifier accepts
            accept = await peer.wait_for(lambda r: r["type"] == "Accept")
            assert accept["actor"] == baku.actor_id and accept["inbox"] == "/users/alice/inbox"
            assert accept["http_signature_verified"] is True, accept
            assert accept["signature_scheme"] == CAVAGE
            assert accept["signature_key_id"] == f"{baku.actor_id}#main-key"
            assert accept["compacted"]["object"]["id"] == entry["follow_id"]

            _, followers = await baku.api("GET", "/api/followers")
            assert [(f["actor"], f["state"]) for f in followers["followers"]] == [(peer.actor_id, "accepted")]
            assert await baku.db(lambda: Follower.filter(state="accepted").count()) == 1

    await asyncio.wait_for(scenario(), TIMEOUT)


async def test_fedify_publish__create_update_delete_verified(tmp_path):
    """Our Create, Update and Delete reach Fedify with draft-cavage signatures its own verifier accepts."""
    async def scenario() -> None:
        async with running_node(tmp_path, "baku") as baku, FedifyPeer("alice") as peer:
            await _fedify_follows(peer, baku)

            status, story = await baku.api("POST", "/api/stories", STORY)
            assert status == 201, story
            await settle(baku)
            create = await peer.wait_for(_create_of(story["url"]), timeout=10)
            assert create["actor"] == baku.actor_id
            assert create["http_signature_verified"] is True, create
            assert create["signature_scheme"] == CAVAGE
            assert create["signature_key_id"].startswith(baku.actor_id)
            assert create["inbox"] == "/inbox"  # collapsed onto Fedify's sharedInbox
            # `compacted` is what Fedify's JSON-LD processor made of our Article: our @context expanded offline
            obj = create["compacted"]["object"]
            assert obj["type"] == "Article" and obj["attributedTo"] == baku.actor_id
            assert obj["name"] == STORY["headline"] and obj["nameMap"] == {"az": STORY["headline"]}
            assert obj["summary"] == STORY["summary"]
            assert obj["content"] == STORY["body"] and obj["contentMap"] == {"az": STORY["body"]}
            assert obj["url"] == story["url"]
            tags = obj["tag"] if isinstance(obj["tag"], list) else [obj["tag"]]
            assert {t["name"] for t in tags} == {"#Caspian", "#ferry"}

            status, _ = await baku.api("PATCH", f"/api/stories/{story['id']}", {"headline": "Ferry line reopened"})
            assert status == 200
            await settle(baku)
            update = await peer.wait_for(
                lambda r: r["type"] == "Update" and isinstance(r["object"], dict)
                and r["object"].get("id") == story["url"], timeout=10)
            assert update["http_signature_verified"] is True, update
            assert update["signature_scheme"] == CAVAGE
            assert update["compacted"]["object"]["name"] == "Ferry line reopened"
            assert update["compacted"]["object"]["updated"]  # Mastodon applies an edit only with `updated`

            status, _ = await baku.api("DELETE", f"/api/stories/{story['id']}")
            assert status == 200
            await settle(baku)
            delete = await peer.wait_for(lambda r: r["type"] == "Delete", timeout=10)
            assert delete["actor"] == baku.actor_id
            assert delete["http_signature_verified"] is True, delete
            assert delete["compacted"]["object"]["id"] == story["url"]
            assert delete["compacted"]["object"]["type"] == "Tombstone"

            refused = [d for d in await peer.deliveries() if d["status"] >= 300]
            assert refused == [], refused

    await asyncio.wait_for(scenario(), TIMEOUT)


async def test_fedify_following__we_follow_and_receive_note(tmp_path):
    """We follow the Fedify actor; it accepts; its Note reaches our wire with a verified signature."""
    async def scenario() -> None:
        async with running_node(tmp_path, "baku") as baku, FedifyPeer("alice") as peer:
            status, doc = await baku.api("POST", "/api/following", {"handle": peer.handle})
            assert status == 202, doc
            assert doc["actor"] == peer.actor_id
            await settle(baku)
            await peer.wait_for_state("followers", lambda f: f["actor"] == baku.actor_id and f["state"] == "accepted",
                                      timeout=10)
            follow = await peer.wait_for(lambda r: r["type"] == "Follow")
            assert follow["http_signature_verified"] is True, follow
            await settle(baku)  # the Accept Fedify sent inline is processed by our inbox worker
            assert await baku.db(lambda: Following.all().values_list("state", flat=True)) == ["accepted"]
            _, following = await baku.api("GET", "/api/following")
            assert [(f["actor"], f["state"]) for f in following["following"]] == [(peer.actor_id, "accepted")]

            pub = await peer.publish("<p>Hello from a Fedify server</p>", language="en")
            await settle(baku)
            _, wire = await baku.api("GET", "/api/wire")
            assert [s["id"] for s in wire["stories"]] == [pub["id"]], (wire, peer.log[-2000:])
            got = wire["stories"][0]
            assert got["actor"] == peer.actor_id
            assert "Hello from a Fedify server" in got["content_html"]
            assert got["language"] == "en"
            # Fedify signs the Create with its Ed25519 key (eddsa-jcs-2022) and adds an LD signature after it.
            assert got["proof"]["status"] == "verified", got["proof"]
            assert got["proof"]["key_id"].startswith(peer.actor_id + "#")
            assert got["signature"] == "draft-cavage"

    await asyncio.wait_for(scenario(), TIMEOUT)


@pytest.mark.parametrize("signature,reason", [
    ("wrong-key", "does not verify"), ("tampered", "digest mismatch"), ("none", "missing header: signature")])
async def test_fedify_inbox__bad_signature_refused(tmp_path, signature, reason):
    """A Fedify POST signed with a wrong key, tampered after signing or unsigned gets 401 and stores nothing."""
    async def scenario() -> None:
        async with running_node(tmp_path, "baku") as baku, FedifyPeer("alice", ed25519=False) as peer:
            inbox = f"{baku.actor_id}/inbox"
            res = await peer.send(inbox, _note(peer.actor_id, "<p>forged</p>"), signature=signature)
            assert res["status"] == 401, res
            problem = json.loads(res["body"])  # a problem document, so Fedify's fallback logic sees a refusal
            assert problem["status"] == 401 and reason in problem["detail"], problem
            # the control: the same request correctly signed is accepted
            ok = await peer.send(inbox, _note(peer.actor_id, "<p>genuine</p>"), signature="draft-cavage")
            assert ok["status"] == 202, ok
            forged_id = res["activity"]["id"]
            assert await baku.db(lambda: InboxItem.filter(activity_id=forged_id).count()) == 0
            assert await baku.db(lambda: InboxItem.all().count()) == 1
            await settle(baku)
            assert await baku.db(lambda: WireStory.filter(content_html__contains="forged").count()) == 0

    await asyncio.wait_for(scenario(), TIMEOUT)
