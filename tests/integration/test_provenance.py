"""Three real nodes on loopback: object proofs survive forwarding, are checked against the origin's key (also while
the origin is down), expose altered copies, survive key rotation, and bad proofs are refused with their reason."""

from __future__ import annotations

import asyncio
import contextlib
import copy
from datetime import datetime, timedelta, timezone
from typing import AsyncIterator

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.integrity import sign_document, verify_document
from federation.multikey import ed25519_from_multibase, ed25519_to_multibase
from federation.outbox import enqueue, new_uuid
from federation.vocab import PUBLIC
from federation.store.models import Following, InboxItem, OutboxActivity
from node.wire.models import WireProof, WireStory
from tests.nodes import RunningNode, node_on, running_node, settle

STORY = {"headline": "Caspian ferry line reopens", "summary": "Baku-Aktau crossings resume on Monday.",
         "body": "<p>The ferry line between <b>Baku</b> and Aktau reopens.</p>", "language": "az",
         "hashtags": ["Caspian"]}


@contextlib.asynccontextmanager
async def _node(tmp_path, handle: str, database_url) -> AsyncIterator[RunningNode]:
    async with node_on(tmp_path, handle, database_url) as node:
        yield node


async def _follow(follower: RunningNode, target: RunningNode) -> None:
    status, doc = await follower.api("POST", "/api/following", {"handle": target.handle})
    assert status == 202, doc
    await settle(follower, target)


async def _publish(node: RunningNode, headline: str) -> dict:
    status, story = await node.api("POST", "/api/stories", {**STORY, "headline": headline})
    assert status == 201, story
    return story


async def _wire(node: RunningNode) -> dict[str, dict]:
    _, wire = await node.api("GET", "/api/wire")
    return {s["id"]: s for s in wire["stories"]}


async def _notes(node: RunningNode, type_: str) -> list[str]:
    rows = await node.db(lambda: InboxItem.filter(type=type_).order_by("id"))
    return [f"{r.state}: {r.note}" for r in rows]


async def test_provenance__actor_lists_multikey_beside_rsa_key(tmp_path):
    """The agency actor publishes its Ed25519 key as a FEP-521a Multikey in assertionMethod, beside publicKey."""
    async with running_node(tmp_path, "baku") as baku:
        status, actor, _ = await baku.get("/actors/baku")
        assert status == 200
        assert actor["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
        [key] = actor["assertionMethod"]
        assert key["type"] == "Multikey" and key["controller"] == baku.actor_id
        assert key["id"] == f"{baku.actor_id}#{key['publicKeyMultibase']}"
        assert key["publicKeyMultibase"].startswith("z6Mk")
        ed25519_from_multibase(key["publicKeyMultibase"])
        assert "https://w3id.org/security/multikey/v1" in actor["@context"]
        assert "https://w3id.org/security/data-integrity/v1" in actor["@context"]
        terms = [c for c in actor["@context"] if isinstance(c, dict)][0]
        assert terms["assertionMethod"]["@id"] == "https://w3id.org/security#assertionMethod"

        story = await _publish(baku, "Signed")
        status, doc, _ = await baku.get(f"/stories/{story['id']}")
        assert doc["proof"]["verificationMethod"] == key["id"]
        verify_document(doc, ed25519_from_multibase(key["publicKeyMultibase"]))
        outbox_activity = await baku.db(lambda: OutboxActivity.get(type="Create"))
        create = orjson.loads(outbox_activity.body)
        assert create["proof"]["cryptosuite"] == "eddsa-jcs-2022"
        assert create["object"]["proof"]["proofPurpose"] == "assertionMethod"
        verify_document(create, ed25519_from_multibase(key["publicKeyMultibase"]))
        verify_document(create["object"], ed25519_from_multibase(key["publicKeyMultibase"]))
        _, page, _ = await baku.get("/actors/baku/outbox?page=1")
        verify_document(page["orderedItems"][0], ed25519_from_multibase(key["publicKeyMultibase"]))


@pytest.mark.postgres
async def test_provenance__forwarded_story_verifies_against_origin_also_while_origin_is_down(tmp_path,
                                                                                              database_url):
    """C gets A's stories only through B's Announce, checks them with A's key, and still can once A is down."""
    async with _node(tmp_path, "bravo", database_url) as b, _node(tmp_path, "charlie", database_url) as c:
        async with _node(tmp_path, "alpha", database_url) as a:
            await _follow(b, a)
            await _follow(c, b)
            first = await _publish(a, "First from Alpha")
            second = await _publish(a, "Second from Alpha")
            await settle(a, b)
            on_b = await _wire(b)
            assert on_b[first["url"]]["proof"]["status"] == "verified"
            assert on_b[first["url"]]["proof"]["origin"] == a.actor_id

            status, _ = await b.api("POST", "/api/wire/announce", {"uri": first["url"]})
            assert status == 202
            await settle(b, c)
            on_c = await _wire(c)
            assert on_c[first["url"]]["proof"] == {**on_c[first["url"]]["proof"], "status": "verified",
                                                    "origin": a.actor_id, "via": b.actor_id}
            assert on_c[first["url"]]["proof"]["key_id"].startswith(a.actor_id + "#z6Mk")
            assert not await c.db(lambda: Following.filter(actor__uri=a.actor_id).exists())
        # Alpha is down now. Charlie has Alpha's key cached from the first story.
        status, _ = await b.api("POST", "/api/wire/announce", {"uri": second["url"]})
        assert status == 202
        await settle(b, c)
        on_c = await _wire(c)
        assert on_c[second["url"]]["proof"]["status"] == "verified", await _notes(c, "Announce")
        assert on_c[second["url"]]["headline"] == "Second from Alpha"

        # The stored copy is what Alpha signed: it re-verifies (offline, from the cache) through the API.
        proof = await c.db(lambda: WireProof.get(story__uri=second["url"]))
        status, report = await c.api("POST", "/api/verify", {"document": proof.signed_object})
        assert status == 200 and report["status"] == "verified" and report["exit_code"] == 0
        assert report["origin"] == a.actor_id
        assert report["origin_copy"]["checked"] is False  # Alpha cannot be reached
        assert "could not be reached" in report["origin_copy"]["detail"]
        # Asked by URL while Alpha is down, Charlie checks the copy it holds, exactly as Alpha signed it.
        status, report = await c.api("POST", "/api/verify", {"url": second["url"]})
        assert status == 200 and report["status"] == "verified", report
        assert report["source"] == f"our stored copy of {second['url']}" and report["fetch_error"]
        status, problem = await c.api("POST", "/api/verify", {"url": a.base_url + "/stories/unknown"})
        assert status == 502 and problem["title"] == "Story unreadable"


async def test_provenance__copy_altered_in_transit_is_refused_with_reason(tmp_path):
    """A forwarded copy changed after A signed it is not stored on C; verify names the reason and the field."""
    async with running_node(tmp_path, "alpha") as a, running_node(tmp_path, "bravo") as b, \
            running_node(tmp_path, "charlie") as c:
        await _follow(b, a)
        await _follow(c, b)
        story = await _publish(a, "Original headline")
        await settle(a, b)

        async def _tamper() -> dict:
            row = await WireProof.get(story__uri=story["url"])
            altered = copy.deepcopy(row.signed_object)
            altered["name"] = "Forged headline"
            altered["nameMap"] = {"az": "Forged headline"}
            await WireProof.filter(id=row.id).update(signed_object=altered)
            return altered

        altered = await b.db(_tamper)
        status, _ = await b.api("POST", "/api/wire/announce", {"uri": story["url"]})
        assert status == 202
        await settle(b, c)
        assert await c.db(lambda: WireStory.filter(uri=story["url"]).count()) == 0
        [note] = await _notes(c, "Announce")
        assert note.startswith("ignored: forwarded copy of") and "bad-signature" in note

        status, report = await c.api("POST", "/api/verify", {"document": altered})
        assert status == 200
        assert report["status"] == "invalid" and report["code"] == "bad-signature" and report["exit_code"] == 4
        assert report["origin_copy"]["matches"] is False and "name" in report["origin_copy"]["differs_in"]
        assert "altered" in report["reason"]

        status, report = await c.api("POST", "/api/verify", {"url": story["url"]})
        assert report["status"] == "verified" and report["origin_copy"]["matches"] is True


@pytest.mark.postgres
async def test_provenance__key_rotation_old_and_new_stories_verify(tmp_path, database_url):
    """After A rotates, B (told by Update) and C (not told: refetches on the unknown key) verify old and new."""
    async with _node(tmp_path, "alpha", database_url) as a, _node(tmp_path, "bravo", database_url) as b, \
            _node(tmp_path, "charlie", database_url) as c:
        await _follow(b, a)
        old = await _publish(a, "Before rotation")
        await settle(a, b)
        status, report = await c.api("POST", "/api/verify", {"url": old["url"]})  # C caches A's actor
        assert report["status"] == "verified"
        old_key = report["key_id"]
        old_copy = (await b.db(lambda: WireProof.get(story__uri=old["url"]))).signed_object

        status, rotated = await a.api("POST", "/api/keys/rotate")
        assert status == 201, rotated
        assert rotated["retired_keys"] == [old_key] and rotated["ed25519_key"] != old_key
        _, actor, _ = await a.get("/actors/alpha")
        keys = {k["id"]: k for k in actor["assertionMethod"]}
        assert set(keys) == {old_key, rotated["ed25519_key"]} and "expires" in keys[old_key]
        assert "expires" not in keys[rotated["ed25519_key"]]
        await settle(a, b)  # B gets Update(actor): signed with the new RSA key, which B refetches
        assert "refreshed" in (await _notes(b, "Update"))[0]

        new = await _publish(a, "After rotation")
        await settle(a, b)
        on_b = await _wire(b)
        assert on_b[new["url"]]["proof"]["status"] == "verified"
        assert on_b[new["url"]]["proof"]["key_id"] == rotated["ed25519_key"]
        for node in (b, c):
            status, report = await node.api("POST", "/api/verify", {"document": old_copy})
            assert report["status"] == "verified" and report["key_id"] == old_key, report
        status, report = await c.api("POST", "/api/verify", {"url": new["url"]})
        assert report["status"] == "verified" and report["key_id"] == rotated["ed25519_key"], report

        # A correction of the old story after the rotation: B's history keeps which key vouched for each revision.
        status, fixed = await a.api("PATCH", f"/api/stories/{old['id']}", {"headline": "Before rotation, fixed"})
        assert status == 200, fixed
        await settle(a, b)
        status, detail = await b.api("GET", f"/api/wire/story?id={old['url']}")
        assert status == 200, detail
        assert [(r["revision"], r["proof"]) for r in detail["revisions"]] == [
            (1, {"status": "verified", "key_id": old_key}),
            (2, {"status": "verified", "key_id": rotated["ed25519_key"]})]

        # The retired key signs nothing any more: a proof it made after its end date is refused.
        forged = sign_document({k: v for k, v in old_copy.items() if k != "proof"},
                               Ed25519PrivateKey.generate(), verification_method=old_key,
                               created=datetime.now(timezone.utc) + timedelta(seconds=2))
        status, report = await c.api("POST", "/api/verify", {"document": forged})
        assert report["status"] == "invalid" and report["code"] == "key-expired" and report["exit_code"] == 6


async def test_provenance__keys_rotated_by_another_process_are_followed_by_the_running_node(tmp_path):
    """`agency-node keys rotate` runs beside a running node: the node then signs and serves the new keys (no
    restart), so a follower verifies stories published after the rotation."""
    from node.identity import rotation
    from node.cli.common import with_node as _with_node

    async with running_node(tmp_path, "alpha") as a, running_node(tmp_path, "bravo") as b:
        await _follow(b, a)
        assert await a.node.run(a.node.check_keys) is False  # nothing changed yet
        old_rsa = a.node.fed.signers["alpha"]
        # What the CLI process does: its own Node on the same database.
        rotated = await asyncio.get_running_loop().create_task(_with_node(a.config, rotation.rotate_keys))
        assert a.node.fed.signers["alpha"] is old_rsa  # the running node has not looked yet
        assert await a.node.run(a.node.check_keys) is True
        assert a.node.fed.signers["alpha"] is not old_rsa
        assert await a.node.run(a.node.check_keys) is False
        _, actor, _ = await a.get("/actors/alpha")
        current = [k["id"] for k in actor["assertionMethod"] if "expires" not in k]
        assert current == [rotated["ed25519_key"]]

        await settle(a, b)  # the Update(actor) the CLI queued, signed by the running node with the new key
        new = await _publish(a, "After a rotation from the CLI")
        await settle(a, b)
        on_b = await _wire(b)
        assert on_b[new["url"]]["proof"]["status"] == "verified"
        assert on_b[new["url"]]["proof"]["key_id"] == rotated["ed25519_key"]


async def test_provenance__bad_proofs_are_refused_with_reason_and_not_stored(tmp_path):
    """Wrong cryptosuite, missing method, unlisted key, expired proof: verify says why; inbound Create refused."""
    async with running_node(tmp_path, "alpha") as a, running_node(tmp_path, "bravo") as b:
        await _follow(b, a)
        story = await _publish(a, "Good one")
        await settle(a, b)
        _, good, _ = await a.get(f"/stories/{story['id']}")
        stranger = Ed25519PrivateKey.generate()
        unlisted = f"{a.actor_id}#{ed25519_to_multibase(stranger.public_key())}"
        cases = {
            "wrong-cryptosuite": {**good, "proof": {**good["proof"], "cryptosuite": "eddsa-rdfc-2022"}},
            "missing-verification-method": {**good, "proof": {k: v for k, v in good["proof"].items()
                                                              if k != "verificationMethod"}},
            "key-not-listed": sign_document({k: v for k, v in good.items() if k != "proof"}, stranger,
                                            verification_method=unlisted, created=datetime.now(timezone.utc)),
        }
        signer = a.node.fed.proof_signers["alpha"]
        cases["expired"] = sign_document({k: v for k, v in good.items() if k != "proof"}, signer.private_key,
                                         verification_method=signer.verification_method,
                                         created=datetime.now(timezone.utc) - timedelta(days=2),
                                         expires=datetime.now(timezone.utc) - timedelta(days=1))
        expected_exit = {"wrong-cryptosuite": 7, "missing-verification-method": 7, "key-not-listed": 5,
                         "expired": 6}
        for code, obj in cases.items():
            status, report = await b.api("POST", "/api/verify", {"document": obj})
            assert report["status"] == "invalid" and report["code"] == code, report
            assert report["exit_code"] == expected_exit[code]

        async def _send(obj: dict) -> None:
            doc = {"@context": good["@context"], "id": a.node.urls.activity(new_uuid()), "type": "Create",
                   "actor": a.actor_id, "object": obj, "to": [PUBLIC]}
            await enqueue(a.node.fed, username="alpha", activity=doc,
                          inboxes=[f"{b.base_url}/inbox"])

        for obj in cases.values():
            await a.db(_send, obj)
        await settle(a, b)
        notes = await _notes(b, "Create")
        refused = [n for n in notes if n.startswith("ignored: proof invalid")]
        assert len(refused) == 4, notes
        for code in cases:
            assert any(f"({code})" in n for n in refused), (code, notes)
        assert await b.db(lambda: WireStory.all().count()) == 1  # only the good story
        assert await b.db(lambda: WireProof.filter(status="verified").count()) == 1


async def test_provenance__unsigned_story_is_stored_as_unsigned(tmp_path):
    """A story with no proof at all (as Mastodon sends) is kept, marked unsigned, never verified."""
    async with running_node(tmp_path, "alpha") as a, running_node(tmp_path, "bravo") as b:
        await _follow(b, a)
        a.node.fed.proof_signers.clear()  # an Alpha that does not sign (an older node, or another server)
        story = await _publish(a, "No proof")
        await settle(a, b)
        on_b = await _wire(b)
        assert on_b[story["url"]]["proof"]["status"] == "unsigned"
        status, report = await b.api("POST", "/api/verify", {"url": story["url"]})
        assert report["status"] == "unsigned" and report["exit_code"] == 3
