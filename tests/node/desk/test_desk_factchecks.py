"""Compose checks what an editor writes against the fact-checks of our network: a text repeating a checked claim
shows the verdict, the agency and a link, live in the preview and on the item's page; an unrelated text shows
that nothing matched."""

from __future__ import annotations

import json

from tests.node.desk.helpers import DeskClient, add_user, desk_node
from tests.node.factchecks.test_api import CLAIM_URL, FACTCHECK


async def test_desk_factchecks__compose_shows_the_matching_verdict(tmp_path):
    """Our own fact-check (verdict false) of a claim: the preview of a draft repeating the claim, and of one
    linking where it appeared, name the verdict and link the fact-check; a story about something else does not."""
    async with desk_node(tmp_path) as rn:
        await add_user(rn, "leyla", "editor")
        status, check = await rn.api("POST", "/api/factchecks", FACTCHECK)
        assert status == 201, check
        async with DeskClient(rn) as desk:
            await desk.login("leyla")
            reworded = ("Rumours say the Caspian Sea level rose by three metres in one year and flooded the port "
                        "of Baku last week.")
            for body in (reworded, f"A post at {CLAIM_URL} went viral."):
                status, text, _ = await desk.post("/desk/preview", {"headline": "Port of Baku", "body": body},
                                                  headers={"Accept": "application/json"})
                assert status == 200, text
                matches = json.loads(text)["factchecks_html"]
                assert "False" in matches and check["url"] in matches and "checked by our agency" in matches
            status, text, _ = await desk.post("/desk/preview", {"headline": "Grain talks",
                                                                "body": "Grain corridor talks resume in Istanbul."},
                                              headers={"Accept": "application/json"})
            assert "No fact-check in our network matches this text." in json.loads(text)["factchecks_html"]
            status, _, headers = await desk.post("/desk/compose", {
                "headline": "Port of Baku", "summary": "", "body": reworded, "language": "en", "action": "save"})
            assert status == 303, _
            status, page, _ = await desk.get(headers["Location"])
            assert status == 200 and check["url"] in page and 'class="factcheck verdict-false"' in page
