"""The desk's Fact-checks screen over real loopback nodes: Astana's desk lists the fact-check Baku sent it, shows
its claim, verdict and proof, and an editor forwards it to Astana's followers; Ankara, which follows only Astana,
then holds it as Baku's fact-check, verified against Baku's key. A viewer cannot forward, a withdrawn check is not
forwarded."""

from __future__ import annotations

import contextlib
import json

from federation.store.models import OutboxActivity
from node.accounts.models import AuditEvent
from node.factchecks.models import WireFactCheck
from tests.node.desk.helpers import DeskClient, add_user, desk_node
from tests.nodes import running_node, settle

CLAIM_URL = "https://rumours.example/posts/1234"
FACTCHECK = {
    "claim": {"text": "The Caspian Sea level rose by three metres in one year and flooded the port of Baku",
              "language": "en", "urls": [CLAIM_URL]},
    "verdict": "false", "explanation": {"en": "Gauges at Baku show the level fell by 30 cm in 2026."},
}


@contextlib.asynccontextmanager
async def _network(tmp_path):
    """Baku checks claims; Astana (with a desk) follows Baku; Ankara follows Astana only."""
    async with running_node(tmp_path, "baku") as baku, desk_node(tmp_path, "astana") as astana, \
            running_node(tmp_path, "ankara") as ankara:
        for follower, followed in ((astana, baku), (ankara, astana)):
            status, doc = await follower.api("POST", "/api/following", {"handle": followed.handle})
            assert status == 202, doc
        await settle(baku, astana, ankara)
        yield baku, astana, ankara


async def _announces(node) -> int:
    return await node.db(lambda: OutboxActivity.filter(type="Announce").count())


async def test_desk_factchecks__editor_forwards_a_partners_check_that_a_third_node_verifies(tmp_path):
    """Listed and shown to any user (verdict, claim, where it appeared, proof verified); a viewer's forward is
    refused (403, nothing queued); an editor's queues one Announce with Baku's signed copy (audited), and Ankara
    stores it verified with Baku's key; once Baku withdraws it, the desk marks it and refuses to forward it."""
    async with _network(tmp_path) as (baku, astana, ankara):
        await add_user(astana, "vera", "viewer")
        await add_user(astana, "omar", "editor")
        status, fc = await baku.api("POST", "/api/factchecks", FACTCHECK)
        assert status == 201, fc
        await settle(baku, astana)
        row_id = await astana.db(lambda: WireFactCheck.get(uri=fc["url"]).values_list("id", flat=True))
        async with DeskClient(astana) as vera, DeskClient(astana) as omar:
            await vera.login("vera")
            status, text, _ = await vera.get("/desk/factchecks")
            assert status == 200 and 'href="/desk/factchecks"' in text  # in the desk's sections
            assert f'href="/desk/factchecks/{row_id}"' in text and "Fact-checked by Baku News Agency: False" in text
            status, text, _ = await vera.get(f"/desk/factchecks/{row_id}")
            assert status == 200 and FACTCHECK["claim"]["text"] in text and CLAIM_URL in text
            assert "Verified: signed by its agency" in text and "Gauges at Baku" in text
            assert "Forward to our followers" not in text
            status, text, _ = await vera.post(f"/desk/factchecks/{row_id}/forward")
            assert status == 403 and "needs the editor role" in text
            assert await _announces(astana) == 0

            await omar.login("omar")
            _, text, _ = await omar.get(f"/desk/factchecks/{row_id}")
            assert 'data-confirm="Forward this fact-check to all our followers?' in text
            status, _, headers = await omar.post(f"/desk/factchecks/{row_id}/forward")
            assert status == 303 and headers["Location"] == f"/desk/factchecks/{row_id}"
            _, text, _ = await omar.get(f"/desk/factchecks/{row_id}")
            assert "Forwarded to our followers." in text
            assert "factcheck.forward" in [e.action for e in await astana.db(AuditEvent.filter(actor="omar").all)]
            [sent] = await astana.db(lambda: OutboxActivity.filter(type="Announce").all())
            body = json.loads(sent.body)
            assert body["object"]["id"] == fc["url"] and body["object"]["proof"]["cryptosuite"] == "eddsa-jcs-2022"

            await settle(astana, ankara)
            held = await ankara.db(lambda: WireFactCheck.get(uri=fc["url"]).prefetch_related("actor"))
            assert (held.verdict, held.proof_status, held.actor.uri) == ("false", "verified", baku.actor_id)
            assert held.proof_key_id == body["object"]["proof"]["verificationMethod"]
            _, found = await ankara.api("POST", "/api/check", {"url": CLAIM_URL})
            assert [(m["agency"], m["verdict"]) for m in found["matches"]] == [(baku.actor_id, "false")]

            assert (await baku.api("DELETE", f"/api/factchecks/{fc['id']}", {"reason": "Wrong claim."}))[0] == 200
            await settle(baku, astana)
            _, text, _ = await omar.get(f"/desk/factchecks/{row_id}")
            assert "Withdrawn" in text and "Wrong claim." in text and "Forward to our followers" not in text
            status, _, headers = await omar.post(f"/desk/factchecks/{row_id}/forward")
            assert status == 303
            _, text, _ = await omar.get(f"/desk/factchecks/{row_id}")
            assert "Not forwarded:" in text and "withdrawn" in text
            assert await _announces(astana) == 1
            assert (await omar.get("/desk/factchecks/999999"))[0] == 404
