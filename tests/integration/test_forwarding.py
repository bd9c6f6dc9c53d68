"""Inbox forwarding (FEP-8b32): B posts A's signed Create to C under B's own HTTP signature. C accepts it only on
the strength of A's object proof, checked with A's key (cached, so also while A is down)."""

from __future__ import annotations

import json

import orjson

from federation.store.models import InboxItem, OutboxActivity
from node.wire.models import WireStory
from tests.nodes import running_node, settle

STORY = {"headline": "Forwarded story", "body": "<p>Through a third node.</p>", "language": "en"}


async def _forward(via, target, body: bytes):
    """POST `body` to `target`'s shared inbox, signed by `via`'s agency key (as a forwarding server would)."""
    signer = via.node.fed.signers[via.config.agency.handle]
    return await via.node.fed.http.post(f"{target.base_url}/inbox", body, signer)


async def test_forwarding__proof_of_origin_admits_forwarded_create_while_origin_is_down(tmp_path):
    """C follows A; A's Create reaches C only via B, after A went down; C stores it as verified."""
    async with running_node(tmp_path, "bravo") as b, running_node(tmp_path, "charlie") as c:
        async with running_node(tmp_path, "alpha") as a:
            status, _ = await c.api("POST", "/api/following", {"handle": a.handle})
            assert status == 202
            await settle(a, c)
            status, story = await a.api("POST", "/api/stories", STORY)
            create = await a.db(lambda: OutboxActivity.get(type="Create"))
            body = create.body.encode("utf-8")
        # Alpha is down; Bravo forwards Alpha's Create.
        tampered = json.loads(body)
        tampered["object"]["content"] = "<p>Changed by the forwarder.</p>"
        resp = await _forward(b, c, orjson.dumps(tampered))
        assert resp.status == 401 and b"bad-signature" in resp.body
        unsigned = {k: v for k, v in json.loads(body).items() if k != "proof"}
        unsigned["object"] = {k: v for k, v in unsigned["object"].items() if k != "proof"}
        resp = await _forward(b, c, orjson.dumps(unsigned))
        assert resp.status == 401
        assert await c.db(lambda: InboxItem.filter(type="Create").count()) == 0

        resp = await _forward(b, c, body)
        assert resp.status == 202, resp.body
        await settle(b, c)
        row = await c.db(lambda: InboxItem.get(type="Create"))
        assert row.signature == "proof" and row.state == "processed", row.note
        _, wire = await c.api("GET", "/api/wire")
        [got] = wire["stories"]
        assert got["id"] == story["url"] and got["proof"]["status"] == "verified"
        assert got["proof"]["origin"] == a.actor_id
        assert await c.db(lambda: WireStory.filter(uri=story["url"]).count()) == 1
