"""One real node: stories as ninjs over HTTP, ninjs imports through the API, and the embargo scheduler's
catch-up after a restart."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from node.stories.models import Story, StoryRevision
from schemas.ninjs_media import HASH_EXTENSION
from tests.node.media.test_stock_api import PDF, _upload_raw, png
from tests.nodes import node_on, running_node

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ninjs"
NINJS3 = Draft202012Validator(json.loads((FIXTURES / "ninjs-schema_3.3.json").read_text(encoding="utf-8")))
STORY = {"headline": "Caspian ferry line reopens", "summary": "Crossings resume Monday.",
         "body": "<p>The line reopens on 12 May.</p>", "language": "az", "urgency": 3,
         "subjects": ["medtop:04000000"], "hashtags": ["Caspian"]}


@pytest.mark.postgres
async def test_story_formats__ninjs_by_accept_query_and_api(tmp_path, database_url):
    """GET /stories/{id} with Accept: application/ninjs+json or ?format=ninjs and the API give valid ninjs 3.x;
    a killed story answers 410 with pubStatus canceled; an embargoed one is 404 to the public."""
    async with node_on(tmp_path, "baku", database_url) as baku:
        _, story = await baku.api("POST", "/api/stories", STORY)
        await baku.api("PATCH", f"/api/stories/{story['id']}", {"body": "<p>The line reopens on 13 May.</p>",
                                                                "correction_note": {"az": "Date corrected."}})
        status, by_accept, headers = await baku.get(f"/stories/{story['id']}", accept="application/ninjs+json")
        assert status == 200 and headers["Content-Type"] == "application/ninjs+json"
        _, by_query, _ = await baku.get(f"/stories/{story['id']}?format=ninjs")
        _, by_api = await baku.api("GET", f"/api/stories/{story['id']}/ninjs")
        assert by_accept == by_query == by_api
        assert list(NINJS3.iter_errors(by_accept)) == []
        assert by_accept["uri"] == story["url"] and by_accept["pubStatus"] == "usable"
        assert by_accept["version"] == "2" and by_accept["urgency"] == 3
        assert by_accept["bodies"][0]["value"] == "<p>The line reopens on 13 May.</p>"
        assert {"role": "correction", "contentType": "text/plain", "value": "Date corrected."} in \
            by_accept["descriptions"]
        assert by_accept["subjects"][0]["uri"] == "http://cv.iptc.org/newscodes/mediatopic/04000000"

        await baku.api("POST", f"/api/stories/{story['id']}/kill", {"reason": "Withdrawn."})
        status, killed, _ = await baku.get(f"/stories/{story['id']}?format=ninjs")
        assert status == 410 and killed["pubStatus"] == "canceled" and killed["edNote"] == "Killed: Withdrawn."

        until = datetime.now(timezone.utc) + timedelta(hours=2)
        _, later = await baku.api("POST", "/api/stories", {**STORY, "embargoed_until": until.isoformat()})
        assert (await baku.get(f"/stories/{later['id']}?format=ninjs"))[0] == 404
        _, withheld = await baku.api("GET", f"/api/stories/{later['id']}/ninjs")
        assert withheld["pubStatus"] == "withheld" and withheld["embargoedUntil"]
        assert list(NINJS3.iter_errors(withheld)) == []


@pytest.mark.postgres
async def test_story_formats__import_through_the_api(tmp_path, database_url):
    """POST /api/import publishes ninjs 3.x and 2.x; a future embargo schedules it; a document failing IPTC's
    schema is a 422 naming the problem and stores nothing."""
    async with node_on(tmp_path, "baku", database_url) as baku:
        for name, status_code, action in (("dpa_text-3.0.json", 201, "created"),
                                          ("dpa_text-2.0.json", 200, "unchanged")):  # the same item as 2.x
            status, doc = await baku.api("POST", "/api/import", json.loads((FIXTURES / name).read_text("utf-8")))
            assert (status, doc["action"]) == (status_code, action), doc
            assert doc["state"] == "published" and doc["language"] == "de" and doc["urgency"] == 4
            assert doc["headline"].startswith("Faktencheck Derby-Elfmeter")
        until = (datetime.now(timezone.utc) + timedelta(hours=1)).replace(microsecond=0)
        status, doc = await baku.api("POST", "/api/import", {
            "uri": "urn:cms:1", "language": "az", "pubStatus": "withheld", "embargoedUntil": until.isoformat(),
            "headlines": [{"value": "Embargoed"}], "bodies": [{"contentType": "text/plain", "value": "Text."}],
            "subjects": [{"name": "sport", "uri": "http://cv.iptc.org/newscodes/mediatopic/15000000"},
                         {"name": "Innenriks", "literal": "Innenriks"}],
            "associations": [{"name": "en", "rel": "translation", "uri": "urn:cms:1#en", "language": "en",
                              "headlines": [{"value": "H"}], "bodies": [{"value": "B"}]}]})
        assert status == 201 and doc["state"] == "scheduled", doc
        assert doc["subjects"] == [{"code": "medtop:15000000", "name": "sport",
                                    "uri": "http://cv.iptc.org/newscodes/mediatopic/15000000"}]
        assert doc["notes"] == ["translations not imported (languages: en)"]
        before = await baku.db(lambda: Story.all().count())
        for bad, problem in (
                ({"uri": "urn:x", "urgency": 11, "headlines": [{"value": "h"}]}, "urgency: 11 is greater than"),
                ({"uri": "urn:x", "language": "xx-notalang", "headlines": [{"value": "h"}],
                  "bodies": [{"value": "b"}]}, "language"),
                ({"uri": "urn:x", "firstcreated": "2020-01-01T00:00:00Z", "headlines": [{"value": "h"}],
                  "bodies": [{"value": "b", "contentType": "text/html"}]}, "not valid ninjs 2.x")):
            status, doc = await baku.api("POST", "/api/import", bad)
            assert status == 422 and doc["title"] == "Invalid ninjs" and problem in doc["detail"], doc
        assert await baku.db(lambda: Story.all().count()) == before
        assert await baku.db(lambda: StoryRevision.all().count()) == before


async def test_story_formats__cms_item_updated_corrected_and_canceled_by_uri(tmp_path):
    """The same ninjs uri sent again updates the story, a new correction description makes it a correction, and
    pubStatus canceled kills it with edNote as the reason; a canceled item never imported is refused."""
    item = {"uri": "urn:cms:ferry", "language": "az", "version": "1", "headlines": [{"value": "Ferry reopens"}],
            "bodies": [{"contentType": "text/html", "value": "<p>On 12 May.</p>"}]}
    async with running_node(tmp_path, "baku") as baku:
        status, first = await baku.api("POST", "/api/import", item)
        assert status == 201 and first["action"] == "created"
        status, again = await baku.api("POST", "/api/import", item)
        assert (status, again["action"], again["id"], again["version"]) == (200, "unchanged", first["id"], 1)
        status, fixed = await baku.api("POST", "/api/import", {
            **item, "version": "2", "bodies": [{"contentType": "text/html", "value": "<p>On 13 May.</p>"}],
            "descriptions": [{"role": "correction", "value": "The date was wrong."}]})
        assert (status, fixed["action"], fixed["id"], fixed["version"]) == (200, "corrected", first["id"], 2)
        _, revs = await baku.api("GET", f"/api/stories/{first['id']}/revisions")
        assert revs["revisions"][-1]["correctionNoteMap"] == {"az": "The date was wrong."}
        status, killed = await baku.api("POST", "/api/import", {"uri": "urn:cms:ferry", "pubStatus": "canceled",
                                                                "edNote": "Legal hold."})
        assert (status, killed["action"], killed["kill_reason"]) == (200, "killed", "Legal hold.")
        assert (await baku.get(f"/stories/{first['id']}"))[0] == 410
        status, problem = await baku.api("POST", "/api/import", item)
        assert status == 422 and "was killed" in problem["detail"]
        status, problem = await baku.api("POST", "/api/import", {"uri": "urn:cms:other", "pubStatus": "canceled"})
        assert status == 422 and "no story was imported from urn:cms:other" in problem["detail"]
        assert await baku.db(lambda: Story.all().count()) == 1


async def test_story_formats__scheduler_catches_up_after_restart(tmp_path):
    """A story whose embargo passed while the node was down is released by the running scheduler's first pass."""
    async with running_node(tmp_path, "baku") as baku:
        until = datetime.now(timezone.utc) + timedelta(hours=1)
        _, story = await baku.api("POST", "/api/stories", {**STORY, "embargoed_until": until.isoformat()})
        config = baku.config
    # While the node is down the embargo time passes (the stored schedule is moved into the past).
    async with running_node(tmp_path, "baku", config=config) as baku:
        await baku.db(lambda: Story.filter(uuid=story["id"]).update(
            embargoed_until=datetime.now(timezone.utc) - timedelta(minutes=5)))
    async with running_node(tmp_path, "baku", config=config) as baku:
        baku.node.start_workers()
        async with asyncio.timeout(10):
            while (await baku.get(f"/stories/{story['id']}"))[0] != 200:
                await asyncio.sleep(0.05)
        row = await baku.db(lambda: Story.get(uuid=story["id"]))
        assert row.state == "published"


@pytest.mark.postgres
async def test_story_formats__ninjs_carries_the_media_as_associations_with_hashes(tmp_path, database_url):
    """A story with an uploaded photo (the lead) and a PDF: its ninjs is valid 3.3, and each association's
    original rendition points at our copy with the SHA-256 of the bytes served there."""
    async with node_on(tmp_path, "baku", database_url) as baku:
        _, photo = await _upload_raw(baku, png(), "image/png", language="az", alt="Bərə limanda",
                                     caption="Bakı-Aktau bərəsi", credit="Baku News / R. Aliyev")
        _, report = await _upload_raw(baku, PDF, "application/pdf", filename="report.pdf")
        status, story = await baku.api("POST", "/api/stories", {**STORY, "image": photo["id"],
                                                                "media": [report["id"]]})
        assert status == 201, story
        _, doc = await baku.api("GET", f"/api/stories/{story['id']}/ninjs")
        assert list(NINJS3.iter_errors(doc)) == []
        lead, pdf = doc["associations"]
        assert (lead["name"], lead["type"], lead["uri"], lead["language"]) == ("featuremedia", "picture",
                                                                               photo["url"], "az")
        assert lead["by"] == "Baku News / R. Aliyev" and lead["copyrightHolder"] == "Baku News Agency"
        assert lead["headlines"][0]["value"] == "Bakı-Aktau bərəsi"
        original, *derived = lead["renditions"]
        assert original["href"] == photo["url"] and original["contentType"] == "image/png"
        assert original["extensions"] == {HASH_EXTENSION: photo["id"]}
        # The thumb and web sizes made at upload follow, each with the hash of what its href serves.
        assert {r["href"] for r in derived} == {r["url"] for r in photo["renditions"].values()} != set()
        for rendition in (original, *derived):
            async with baku.session.get(rendition["href"]) as resp:
                assert hashlib.sha256(await resp.read()).hexdigest() == rendition["extensions"][HASH_EXTENSION]
        assert (pdf["type"], pdf["renditions"][0]["sizeInBytes"]) == ("component", len(PDF))
