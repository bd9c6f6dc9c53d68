"""Endorsing a partner's fact-check from the desk, over real loopback nodes: Baku checks a claim, Ankara checks the
same claim with another verdict; Astana's desk shows the two side by side, and an editor endorses Baku's check
(the signed Endorse the API sends); Baku and Ankara count Astana's endorsement, a second one is refused, and the
withdrawal reaches both. The wire's and compose's fact-check badges open the desk's view of the check."""

from __future__ import annotations

import contextlib
import json

from federation.store.models import OutboxActivity
from node.accounts.models import AuditEvent
from node.factchecks.models import WireFactCheck
from node.wire.models import WireStory
from tests.node.desk.helpers import DeskClient, add_user, desk_node
from tests.nodes import running_node, settle

CLAIM_URL = "https://rumours.example/posts/1234"
CLAIM = "The Caspian Sea level rose by three metres in one year and flooded the port of Baku"
FACTCHECK = {"claim": {"text": CLAIM, "language": "en", "urls": [CLAIM_URL]}, "verdict": "false",
             "explanation": {"en": "Gauges at Baku show the level fell by 30 cm in 2026."}}
ANKARA_CHECK = {**FACTCHECK, "verdict": "misleading",
                "explanation": {"en": "The port did flood, from a storm surge; the sea level did not rise."}}


@contextlib.asynccontextmanager
async def _network(tmp_path):
    """Baku and Ankara check claims; Astana (with a desk) follows both; Ankara follows Baku and Astana."""
    async with running_node(tmp_path, "baku") as baku, desk_node(tmp_path, "astana") as astana, \
            running_node(tmp_path, "ankara") as ankara:
        for follower, followed in ((astana, baku), (astana, ankara), (ankara, baku), (ankara, astana)):
            status, doc = await follower.api("POST", "/api/following", {"handle": followed.handle})
            assert status == 202, doc
        await settle(baku, astana, ankara)
        yield baku, astana, ankara


async def _endorses(node) -> list[dict]:
    return [json.loads(a.body) for a in await node.db(lambda: OutboxActivity.filter(type="Endorse").all())]


async def _row_id(node, uri: str) -> int:
    return await node.db(lambda: WireFactCheck.get(uri=uri).values_list("id", flat=True))


async def _endorsed_by(node, path: str) -> list[str]:
    status, doc = await node.api("GET", path)
    assert status == 200, doc
    doc = doc["factchecks"][0] if "factchecks" in doc else doc
    return [e["agency"] for e in doc["endorsed_by"]]


async def test_desk_endorse__editor_endorses_once_partners_count_it_and_the_withdrawal(tmp_path):
    """Any user sees both verdicts side by side (each linking the other's desk view); a viewer cannot endorse
    (403, nothing sent); a form without its CSRF token changes nothing; an editor's endorsement (with a comment)
    sends one signed Endorse, audited, which Baku and Ankara keep; the view marks it as ours and offers no second
    one (a forced second post is refused); withdrawing it sends the Undo and both partners drop it."""
    async with _network(tmp_path) as (baku, astana, ankara):
        await add_user(astana, "vera", "viewer")
        await add_user(astana, "omar", "editor")
        status, fc = await baku.api("POST", "/api/factchecks", FACTCHECK)
        assert status == 201, fc
        status, other = await ankara.api("POST", "/api/factchecks", ANKARA_CHECK)
        assert status == 201, other
        await settle(baku, astana, ankara)
        baku_row, ankara_row = await _row_id(astana, fc["url"]), await _row_id(astana, other["url"])
        view, endorse = f"/desk/factchecks/{baku_row}", f"/desk/factchecks/{baku_row}/endorse"
        async with DeskClient(astana) as vera, DeskClient(astana) as omar:
            await vera.login("vera")
            status, text, _ = await vera.get(view)
            assert status == 200 and "Other agencies checked this claim and reached another verdict" in text
            assert f'href="/desk/factchecks/{ankara_row}"' in text and other["url"] in text
            assert "Ankara News Agency" in text and "Misleading" in text
            assert f'action="{endorse}"' not in text
            _, text, _ = await vera.get(f"/desk/factchecks/{ankara_row}")  # and the other way round
            assert f'href="{view}"' in text and "Baku News Agency" in text
            status, text, _ = await vera.post(endorse)
            assert status == 403 and "needs the editor role" in text
            assert await _endorses(astana) == []

            await omar.login("omar")
            _, text, _ = await omar.get(view)
            assert f'action="{endorse}"' in text
            assert ('data-confirm="Endorse this fact-check in the name of Astana News Agency? A signed endorsement '
                    'goes to our followers and to Baku News Agency."') in text
            status, _, _ = await omar.post(endorse, csrf=False)
            assert status == 403 and await _endorses(astana) == []

            status, _, headers = await omar.post(endorse, {"comment": "Our gauges at Aktau agree."})
            assert status == 303 and headers["Location"] == view
            _, text, _ = await omar.get(view)
            assert "Endorsed in our agency&#39;s name." in text and "Our gauges at Aktau agree." in text
            assert 'class="ours"' in text and f'action="{endorse}"' not in text
            _, listing, _ = await omar.get("/desk/factchecks")  # the list marks the checks we endorsed, only those
            ours = listing.split(f'id="factcheck-{baku_row}"')[1].split("</li>")[0]
            theirs = listing.split(f'id="factcheck-{ankara_row}"')[1].split("</li>")[0]
            assert "Endorsed by our agency" in ours and "endorsed by 1 agency" in ours
            assert "Endorsed by our agency" not in theirs
            assert f'action="/desk/factchecks/{baku_row}/unendorse"' in text
            [sent] = await _endorses(astana)
            assert sent["object"] == fc["url"] and sent["actor"] == astana.actor_id
            assert sent["proof"]["cryptosuite"] == "eddsa-jcs-2022" and sent["content"] == "Our gauges at Aktau agree."
            audited = [e.action for e in await astana.db(AuditEvent.filter(actor="omar").all)]
            assert "factcheck.endorse" in audited

            await settle(baku, astana, ankara)
            assert await _endorsed_by(baku, f"/api/factchecks/{fc['id']}") == [astana.actor_id]
            assert await _endorsed_by(ankara, f"/api/factchecks?origin={baku.actor_id}") == [astana.actor_id]

            status, _, _ = await omar.post(endorse)  # a second one, forced past the page
            assert status == 303
            _, text, _ = await omar.get(view)
            assert "Not endorsed:" in text and "already endorsed" in text
            assert len(await _endorses(astana)) == 1

            status, _, headers = await omar.post(f"/desk/factchecks/{baku_row}/unendorse")
            assert status == 303 and headers["Location"] == view
            _, text, _ = await omar.get(view)
            assert "Our endorsement is withdrawn." in text and f'action="{endorse}"' in text
            _, listing, _ = await omar.get("/desk/factchecks")
            assert "Endorsed by our agency" not in listing
            assert "factcheck.unendorse" in [e.action for e in await astana.db(AuditEvent.filter(actor="omar").all)]
            await settle(baku, astana, ankara)
            assert await _endorsed_by(baku, f"/api/factchecks/{fc['id']}") == []
            assert await _endorsed_by(ankara, f"/api/factchecks?origin={baku.actor_id}") == []


async def test_desk_endorse__wire_and_compose_badges_open_the_desk_view(tmp_path):
    """A wire story from Baku linking where the claim appeared is flagged on Astana's wire and story view with a
    badge that opens Astana's desk view of Baku's check, Baku's public page beside it; compose's matches link the
    same way."""
    async with running_node(tmp_path, "baku") as baku, desk_node(tmp_path, "astana") as astana:
        assert (await astana.api("POST", "/api/following", {"handle": baku.handle}))[0] == 202
        await settle(baku, astana)
        await add_user(astana, "omar", "editor")
        status, fc = await baku.api("POST", "/api/factchecks", FACTCHECK)
        assert status == 201, fc
        story = {"headline": "Port rumour spreads", "summary": "A viral post.", "language": "en",
                 "body": f'<p>A post <a href="{CLAIM_URL}">went viral</a>.</p>'}
        assert (await baku.api("POST", "/api/stories", story))[0] == 201
        await settle(baku, astana)
        row = await _row_id(astana, fc["url"])
        badge = f'factcheck-flag" href="/desk/factchecks/{row}"'
        public = f'class="factcheck-public" href="{fc["url"]}"'
        async with DeskClient(astana) as omar:
            await omar.login("omar")
            _, text, _ = await omar.get("/desk/wire")
            assert badge in text and public in text and "Fact-checked by Baku News Agency: False" in text
            wire_id = await astana.db(
                lambda: WireStory.get(headline="Port rumour spreads").values_list("id", flat=True))
            _, text, _ = await omar.get(f"/desk/wire/{wire_id}")
            assert badge in text and public in text
            status, text, _ = await omar.post("/desk/preview", {"headline": "Port of Baku",
                                                                "body": f"Rumours say {CLAIM.lower()}."},
                                              headers={"Accept": "application/json"})
            assert status == 200, text
            matches = json.loads(text)["factchecks_html"]
            assert f'href="/desk/factchecks/{row}"' in matches and public in matches
