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


async def test_desk_factchecks__wire_story_repeating_a_checked_claim_is_flagged(tmp_path):
    """A partner's wire story repeating a claim our agency checked (verdict false) shows the verdict and a link to
    the fact-check on the wire list and on the story's view; an unrelated story shows none."""
    from node.wire import hooks
    from tests.node.desk.wire_seed import arrive, partner

    async with desk_node(tmp_path) as rn:
        await add_user(rn, "vera", "viewer")
        status, check = await rn.api("POST", "/api/factchecks", FACTCHECK)
        assert status == 201, check
        fed = rn.node.fed

        async def seed():
            aa = await partner("aa@ankara.example", "Anadolu Agency")
            flagged = await arrive(fed, aa, "flood", "Port of Baku flooded?",
                                   "<p>Posts claim the Caspian Sea level rose by three metres in one year and "
                                   "flooded the port of Baku.</p>")
            plain = await arrive(fed, aa, "grain", "Grain talks resume", "<p>Talks resume in Istanbul.</p>")
            for story in (flagged, plain):  # what the Create listener does after storing (the seed skips it)
                await hooks.stored(fed, story)
            return flagged, plain
        flagged, plain = await rn.db(seed)
        async with DeskClient(rn) as desk:
            await desk.login("vera")
            _, text, _ = await desk.get("/desk/wire")
            assert text.count("Fact-checked by our agency: False") == 1 and check["url"] in text
            _, story, _ = await desk.get(f"/desk/wire/{flagged.id}")
            assert "Fact-checked by our agency: False" in story and check["url"] in story
            _, other, _ = await desk.get(f"/desk/wire/{plain.id}")
            assert "Fact-checked" not in other
