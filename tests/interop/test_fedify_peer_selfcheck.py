"""Self-check of the Fedify test peer: two Fedify peers talk to each other.

Proves the harness works (install, start, control API, teardown) and that the
HTTP-signature verdict it records is real: valid signatures verify, broken
ones do not, even when Fedify itself accepts the activity through a proof.
Tests are sync and call ``asyncio.run`` so they do not depend on any
pytest-asyncio / pytest-aiohttp configuration.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
import uuid
from pathlib import Path

import pytest

try:  # works whether or not tests/ and tests/interop/ become packages
    fp = importlib.import_module("tests.interop.fedify_peer")
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    fp = importlib.import_module("fedify_peer")

FedifyPeer = fp.FedifyPeer
fedify_available = fp.fedify_available

_ok, _reason = fedify_available()
pytestmark = pytest.mark.skipif(not _ok, reason=f"Fedify peer unavailable: {_reason}")

CAVAGE = "draft-cavage-http-signatures-12"


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 120))


def note_activity(actor: str, content: str) -> dict:
    base = actor.rsplit("/users/", 1)[0]
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{base}/activities/raw/{uuid.uuid4()}",
        "type": "Create",
        "actor": actor,
        "to": "https://www.w3.org/ns/activitystreams#Public",
        "object": {
            "id": f"{base}/users/raw-notes/{uuid.uuid4()}",
            "type": "Note",
            "attributedTo": actor,
            "to": "https://www.w3.org/ns/activitystreams#Public",
            "content": content,
        },
    }


def test_follow_accept_publish_between_two_fedify_peers():
    async def scenario():
        async with FedifyPeer("alice") as alice, FedifyPeer("bob") as bob:
            assert alice.port != bob.port
            assert alice.handle == f"acct:alice@127.0.0.1:{alice.port}"
            assert (await alice.health())["actor"] == alice.actor_id

            # bob follows alice (WebFinger lookup of an acct: handle on loopback)
            res = await bob.follow(alice.handle)
            assert res["actor"] == alice.actor_id

            follow = await alice.wait_for(
                lambda r: r["type"] == "Follow" and r["actor"] == bob.actor_id
            )
            assert follow["http_signature_verified"] is True, follow
            assert follow["http_signature_valid"] is True
            assert follow["signer_is_actor"] is True
            assert follow["signature_scheme"] == CAVAGE
            assert follow["signature_key_id"].startswith(bob.actor_id)
            assert follow["object"] == alice.actor_id
            assert follow["id"] == res["follow_id"]

            followers = await alice.followers()
            assert [(f["actor"], f["state"]) for f in followers] == [(bob.actor_id, "accepted")]

            accept = await bob.wait_for(lambda r: r["type"] == "Accept")
            assert accept["actor"] == alice.actor_id
            assert accept["http_signature_verified"] is True, accept
            await bob.wait_for_state(
                "following", lambda f: f["actor"] == alice.actor_id and f["state"] == "accepted"
            )

            # alice publishes -> delivered to bob, signed
            pub = await alice.publish("<p>Hello from alice</p>", language="en")
            create = await bob.wait_for(
                lambda r: r["type"] == "Create"
                and isinstance(r["object"], dict)
                and r["object"].get("id") == pub["id"]
            )
            assert create["actor"] == alice.actor_id
            assert create["http_signature_verified"] is True, create
            assert create["signature_scheme"] == CAVAGE
            assert create["object"]["type"] == "Note"
            assert "Hello from alice" in create["object"]["content"]
            # Fedify adds an Object Integrity Proof (Ed25519 key), and then does
            # not look at the HTTP signature at all: our verdict is separate.
            assert create["has_proof"] is True

            article = await alice.publish("<p>Body</p>", name="Headline", summary="Teaser")
            rec = await bob.wait_for(
                lambda r: r["type"] == "Create"
                and isinstance(r["object"], dict)
                and r["object"].get("id") == article["id"]
            )
            assert rec["object"]["type"] == "Article"
            assert rec["object"]["name"] == "Headline"

            # unfollow -> alice sees Undo and drops the follower
            await bob.unfollow(alice.handle)
            undo = await alice.wait_for(lambda r: r["type"] == "Undo")
            assert undo["http_signature_verified"] is True
            await alice.wait_for_state(
                "followers", lambda f: f["actor"] == bob.actor_id and f["state"] == "removed"
            )

    run(scenario())


def test_rfc9421_first_knock_is_verified_and_labelled():
    async def scenario():
        async with FedifyPeer("alice") as alice, FedifyPeer("carol", first_knock="rfc9421") as carol:
            await carol.follow(alice.handle)
            follow = await alice.wait_for(lambda r: r["type"] == "Follow")
            assert follow["signature_scheme"] == "rfc9421"
            assert follow["http_signature_verified"] is True, follow
            # alice signs draft-cavage first
            accept = await carol.wait_for(lambda r: r["type"] == "Accept")
            assert accept["signature_scheme"] == CAVAGE
            assert accept["http_signature_verified"] is True

    run(scenario())


def test_bad_http_signatures_are_not_verified():
    async def scenario():
        async with FedifyPeer("alice") as alice, FedifyPeer("bob") as bob:
            # Positive control: the raw sender with a proper signature.
            good = note_activity(bob.actor_id, "good")
            res = await bob.send(alice.inbox, good, signature="draft-cavage")
            assert res["status"] == 202, res
            rec = await alice.wait_for(lambda r: r["id"] == good["id"])
            assert rec["http_signature_verified"] is True

            good9421 = note_activity(bob.actor_id, "good rfc9421")
            res = await bob.send(alice.shared_inbox, good9421, signature="rfc9421")
            assert res["status"] == 202, res
            rec = await alice.wait_for(lambda r: r["id"] == good9421["id"])
            assert rec["http_signature_verified"] is True
            assert rec["signature_scheme"] == "rfc9421"
            assert rec["inbox"] == "/inbox"

            # Broken signatures without a proof: refused, never recorded.
            bad_ids = {}
            for mode in ("wrong-key", "tampered", "none"):
                act = note_activity(bob.actor_id, f"bad {mode}")
                res = await bob.send(alice.inbox, act, signature=mode)
                assert res["status"] == 401, (mode, res)
                bad_ids[act["id"]] = mode
            received_ids = {r["id"] for r in await alice.received()}
            assert not received_ids & set(bad_ids)
            verdicts = {d["id"]: d for d in await alice.deliveries() if d["id"] in bad_ids}
            assert set(verdicts) == set(bad_ids)
            for act_id, mode in bad_ids.items():
                d = verdicts[act_id]
                assert d["status"] == 401
                assert d["http_signature_valid"] is (None if mode == "none" else False), d
                assert d["recorded"] is False
            assert {verdicts[i]["signature_failure"] for i in bad_ids} == {
                "invalidSignature",
                "noSignature",
            }

            # A bad HTTP signature with a valid Object Integrity Proof: Fedify
            # accepts it (on the proof), but the HTTP-signature verdict is false.
            proved = note_activity(bob.actor_id, "proof only")
            res = await bob.send(alice.inbox, proved, signature="wrong-key", proof=True)
            assert res["status"] == 202, res
            rec = await alice.wait_for(lambda r: r["id"] == proved["id"])
            assert rec["has_proof"] is True
            assert rec["http_signature_valid"] is False
            assert rec["http_signature_verified"] is False
            assert rec["signature_failure"] == "invalidSignature"

            # Valid signature by bob for an activity claiming to be alice's:
            # the signer does not own the actor, so not verified (Fedify: 401).
            forged = note_activity(alice.actor_id, "forged actor")
            res = await bob.send(alice.inbox, forged, signature="draft-cavage")
            assert res["status"] == 401, res
            assert forged["id"] not in {r["id"] for r in await alice.received()}

    run(scenario())


def test_require_http_signature_refuses_proof_only_delivery():
    async def scenario():
        async with FedifyPeer("alice", require_http_signature=True) as alice, FedifyPeer("bob") as bob:
            act = note_activity(bob.actor_id, "proof only, strict")
            res = await bob.send(alice.inbox, act, signature="wrong-key", proof=True)
            assert res["status"] == 401, res
            assert act["id"] not in {r["id"] for r in await alice.received()}
            # and a properly signed one still goes through
            ok = note_activity(bob.actor_id, "signed, strict")
            res = await bob.send(alice.inbox, ok, signature="draft-cavage", proof=True)
            assert res["status"] == 202, res
            rec = await alice.wait_for(lambda r: r["id"] == ok["id"])
            assert rec["http_signature_verified"] is True

    run(scenario())
