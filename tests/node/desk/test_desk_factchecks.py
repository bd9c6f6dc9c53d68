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


async def test_desk_factchecks__matches_are_kept_with_the_published_story(tmp_path):
    """A story composed on the desk that repeats a checked claim keeps the match once published: My stories and
    the story's page show the verdict and link, and the API's story document lists it; an edit that drops the
    claim drops the match, and a withdrawn fact-check is no longer shown."""
    from tests.node.desk.test_desk_publish import _compose_ready

    async with desk_node(tmp_path) as rn:
        await add_user(rn, "leyla", "editor")
        status, check = await rn.api("POST", "/api/factchecks", FACTCHECK)
        assert status == 201, check
        async with DeskClient(rn) as desk:
            await desk.login("leyla")
            body = ("Posts claim the Caspian Sea level rose by three metres in one year and flooded the port of "
                    "Baku.\n\nThe hydromet service says otherwise.")
            item_id = await _compose_ready(desk, "/desk/compose", 0, headline="Port of Baku rumour", body=body)
            status, _, headers = await desk.post(f"/desk/items/{item_id}/publish")
            assert status == 303 and headers["Location"].startswith("/desk/stories/"), headers
            uuid = headers["Location"].split("?")[0].rsplit("/", 1)[-1]
            _, page, _ = await desk.get(f"/desk/stories/{uuid}")
            assert 'class="factcheck verdict-false"' in page and check["url"] in page
            _, listing, _ = await desk.get("/desk/stories")
            assert "Fact-checks 1" in listing

        status, story = await rn.api("GET", f"/api/stories/{uuid}")
        assert status == 200, story
        [match] = story["factchecks"]
        assert (match["factcheck"], match["verdict"], match["own"], match["match"]["how"]) == (
            check["url"], "false", True, "text")

        # Changed through the API (any entry point keeps the matches current): the claim is gone, so is the match.
        status, _ = await rn.api("PATCH", f"/api/stories/{uuid}", {"body": "<p>Grain talks resume.</p>"})
        assert status == 200
        assert (await rn.api("GET", f"/api/stories/{uuid}"))[1]["factchecks"] == []
        status, _ = await rn.api("PATCH", f"/api/stories/{uuid}", {
            "body": f'<p>A <a href="{CLAIM_URL}">viral post</a> claimed a flood.</p>'})
        [match] = (await rn.api("GET", f"/api/stories/{uuid}"))[1]["factchecks"]
        assert match["match"]["how"] == "url"
        assert (await rn.api("DELETE", f"/api/factchecks/{check['id']}", {"reason": "Superseded."}))[0] == 200
        assert (await rn.api("GET", f"/api/stories/{uuid}"))[1]["factchecks"] == []
