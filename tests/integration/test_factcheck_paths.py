"""Fact-checks reaching a node by the other paths a story takes, across real loopback nodes: forwarded by an
Announce (a partner's real forward with the signed copy embedded, or by id and fetched from its agency), or sent
by id in a Create; each lands
as a fact-check verified against the checking agency's key, never as a wire story. And a withdrawal cancels the
deliveries not yet made, so no follower gets the check after it was withdrawn."""

from __future__ import annotations

import contextlib
import json

import orjson

from federation.store.models import Delivery, InboxItem, OutboxActivity
from node.factchecks.models import WireFactCheck
from node.wire.models import WireStory
from tests.nodes import running_node, settle

CLAIM_URL = "https://rumours.example/posts/1234"
FACTCHECK = {
    "claim": {"text": "The Caspian Sea level rose by three metres in one year and flooded the port of Baku",
              "language": "en", "urls": [CLAIM_URL]},
    "verdict": "false", "explanation": {"en": "Gauges at Baku show the level fell by 30 cm in 2026."},
}


@contextlib.asynccontextmanager
async def _nodes(tmp_path):
    """Baku checks claims; Astana follows Baku; Ankara follows Astana only (it learns of Baku's checks through
    Astana)."""
    async with running_node(tmp_path, "baku") as baku, running_node(tmp_path, "astana") as astana, \
            running_node(tmp_path, "ankara") as ankara:
        for follower, followed in ((astana, baku), (ankara, astana)):
            status, doc = await follower.api("POST", "/api/following", {"handle": followed.handle})
            assert status == 202, doc
        await settle(baku, astana, ankara)
        yield baku, astana, ankara


async def _post_as(sender, target, doc: dict) -> int:
    """POST an activity to `target`'s shared inbox under `sender`'s agency key (HTTP signature)."""
    signer = sender.node.fed.signers[sender.config.agency.handle]
    resp = await sender.node.fed.http.post(f"{target.base_url}/inbox", orjson.dumps(doc), signer)
    return resp.status


def _announce(sender, obj, n: int) -> dict:
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{sender.base_url}/activities/fwd-{n}",
            "type": "Announce", "actor": sender.actor_id, "object": obj,
            "to": ["https://www.w3.org/ns/activitystreams#Public"]}


async def _held(node) -> list[tuple[str, str, str]]:
    return await node.db(lambda: WireFactCheck.all().order_by("id").values_list("uri", "verdict", "proof_status"))


async def _inbox_note(node, activity_id: str) -> tuple[str, str]:
    row = await node.db(lambda: InboxItem.get(activity_id=activity_id))
    return row.state, row.note or ""


async def test_factcheck_paths__forwarded_embedded_or_by_id_lands_as_a_verified_factcheck(tmp_path):
    """Announced with its signed copy embedded, or by id only (fetched from Baku), a fact-check reaches Ankara,
    which does not follow Baku, as Baku's fact-check (proof verified, in the claim index), not as a story; a
    tampered copy is refused."""
    async with _nodes(tmp_path) as (baku, astana, ankara):
        status, fc = await baku.api("POST", "/api/factchecks", FACTCHECK)
        assert status == 201, fc
        await settle(baku, astana, ankara)
        status, signed, _ = await baku.get(f"/factchecks/{fc['id']}")
        assert status == 200 and signed["proof"]["cryptosuite"] == "eddsa-jcs-2022"

        tampered = {**signed, "claimReview": {**signed["claimReview"], "verdict": "true"}}
        assert await _post_as(astana, ankara, _announce(astana, tampered, 1)) == 202
        await settle(ankara)
        state, note = await _inbox_note(ankara, f"{astana.base_url}/activities/fwd-1")
        assert state == "ignored" and "proof invalid" in note, (state, note)
        assert await _held(ankara) == []

        # Astana forwards it for real (POST /api/factchecks/announce): Baku's signed copy rides along verbatim.
        status, forwarded = await astana.api("POST", "/api/factchecks/announce", {"uri": fc["url"]})
        assert status == 202, forwarded
        sent = json.loads((await astana.db(lambda: OutboxActivity.get(activity_id=forwarded["activity"]))).body)
        assert sent["type"] == "Announce" and sent["actor"] == astana.actor_id
        created = json.loads((await baku.db(lambda: OutboxActivity.get(type="Create", actor="baku"))).body)
        assert sent["object"]["id"] == fc["url"] and sent["object"]["proof"] == created["object"]["proof"]
        await settle(astana, ankara)
        assert await _held(ankara) == [(fc["url"], "false", "verified")]
        assert await ankara.db(lambda: WireFactCheck.get(uri=fc["url"]).values_list("proof_key_id", flat=True)) \
            == signed["proof"]["verificationMethod"]  # Baku's key, not the forwarder's
        state, note = await _inbox_note(ankara, forwarded["activity"])
        assert state == "processed" and "stored" in note, (state, note)
        _, found = await ankara.api("POST", "/api/check", {"url": CLAIM_URL})
        assert [(m["agency"], m["verdict"]) for m in found["matches"]] == [(baku.actor_id, "false")]
        assert await ankara.db(lambda: WireStory.filter(uri=fc["url"]).count()) == 0

        # Corrected at Baku, then announced by id only: Ankara fetches it from Baku and takes the new verdict.
        status, _ = await baku.api("PATCH", f"/api/factchecks/{fc['id']}", {
            "verdict": "misleading", "correction_note": "Partly true."})
        assert status == 200
        assert await _post_as(astana, ankara, _announce(astana, fc["url"], 3)) == 202
        await settle(ankara)
        assert await _held(ankara) == [(fc["url"], "misleading", "verified")]
        state, note = await _inbox_note(ankara, f"{astana.base_url}/activities/fwd-3")
        assert state == "processed" and "fact-check" in note, (state, note)
        _, wire = await ankara.api("GET", "/api/wire")
        assert all(s["id"] != fc["url"] for s in wire["stories"])


async def test_factcheck_paths__create_by_reference_is_fetched_as_a_factcheck(tmp_path):
    """A Create whose object is only the fact-check's id: Astana fetches it from Baku and stores it as a
    fact-check, verified, not on the wire."""
    async with _nodes(tmp_path) as (baku, astana, ankara):
        status, fc = await baku.api("POST", "/api/factchecks", FACTCHECK)
        assert status == 201, fc
        create = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{baku.base_url}/activities/byref",
                  "type": "Create", "actor": baku.actor_id, "object": fc["url"],
                  "to": ["https://www.w3.org/ns/activitystreams#Public"]}
        assert await _post_as(baku, astana, create) == 202
        await settle(astana)
        assert await _held(astana) == [(fc["url"], "false", "verified")]
        assert await astana.db(lambda: WireStory.filter(uri=fc["url"]).count()) == 0


async def test_factcheck_paths__withdrawal_cancels_deliveries_not_yet_made(tmp_path):
    """Published and withdrawn before the delivery worker ran: the Create and the Update never go out, the Delete
    does, and the follower never holds the fact-check."""
    async with _nodes(tmp_path) as (baku, astana, ankara):
        status, fc = await baku.api("POST", "/api/factchecks", FACTCHECK)
        assert status == 201, fc
        status, _ = await baku.api("PATCH", f"/api/factchecks/{fc['id']}", {"verdict": "misleading"})
        assert status == 200
        assert (await baku.api("DELETE", f"/api/factchecks/{fc['id']}", {"reason": "Wrong claim."}))[0] == 200
        rows = await baku.db(lambda: Delivery.exclude(activity__type="Accept").values_list("activity__type", "state"))
        assert sorted(rows) == [("Create", "cancelled"), ("Delete", "queued"), ("Update", "cancelled")], rows
        await settle(baku, astana)
        rows = await baku.db(lambda: Delivery.exclude(activity__type="Accept").values_list("activity__type", "state"))
        assert sorted(rows) == [("Create", "cancelled"), ("Delete", "delivered"), ("Update", "cancelled")], rows
        assert await _held(astana) == []
        types = await astana.db(lambda: InboxItem.filter(actor_uri=baku.actor_id).exclude(type="Accept").values_list("type", flat=True))
        assert list(types) == ["Delete"]
        # The outbox still lists what was published (the record stays), the Delete last.
        sent = await baku.db(lambda: OutboxActivity.filter(actor="baku").order_by("id").values_list("type", flat=True))
        assert list(sent)[-3:] == ["Create", "Update", "Delete"]
        assert json.loads((await baku.db(lambda: OutboxActivity.get(type="Delete"))).body)["killReason"] == \
            "Wrong claim."


async def test_factcheck_paths__forward_refuses_what_it_cannot_forward(tmp_path):
    """Forwarding needs a uri of a live partner's fact-check the node holds: a missing uri is 422, an unknown one
    404, our own 409 (our followers have it), a withdrawn one 409; nothing is queued for any of them."""
    async with _nodes(tmp_path) as (baku, astana, ankara):
        status, fc = await baku.api("POST", "/api/factchecks", FACTCHECK)
        assert status == 201, fc
        await settle(baku, astana)
        queued = await astana.db(lambda: OutboxActivity.filter(type="Announce").count())
        for node, body, want in ((astana, {}, 422), (astana, {"uri": 42}, 422),
                                 (astana, {"uri": f"{baku.base_url}/factchecks/nope"}, 404),
                                 (baku, {"uri": fc["url"]}, 409)):
            status, problem = await node.api("POST", "/api/factchecks/announce", body)
            assert status == want and problem["status"] == want, (body, problem)
        assert (await astana.api("POST", "/api/factchecks/announce", {"uri": fc["url"]}, token=None))[0] == 401
        assert (await baku.api("DELETE", f"/api/factchecks/{fc['id']}", {"reason": "Wrong claim."}))[0] == 200
        await settle(baku, astana)
        status, problem = await astana.api("POST", "/api/factchecks/announce", {"uri": fc["url"]})
        assert status == 409 and "withdrawn" in problem["detail"], problem
        assert await astana.db(lambda: OutboxActivity.filter(type="Announce").count()) == queued == 0
