"""Fact-checks on one real loopback node: publishing through the API, bad input refused with nothing stored, the
signed Article with its ClaimReview, the public page's JSON-LD (expanded offline), feeds, ninjs, and checks."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from pyld import jsonld

from node.factchecks.models import FactCheck
from schemas.ninjs import schema_errors
from tests.nodes import node_on, running_node

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "jsonld"
CLAIM_URL = "https://rumours.example/posts/1234?utm_source=share"
FACTCHECK = {
    "claim": {"text": "The Caspian Sea level rose by three metres in one year and flooded the port of Baku",
              "language": "en", "urls": [CLAIM_URL], "accounts": ["@rumours@social.example"],
              "first_seen": "2026-11-30"},
    "verdict": "false",
    "explanation": {"en": "Gauges at Baku show the level fell by 30 cm in 2026.\n\nThe port operated normally."},
    "evidence": ["https://hydromet.example/caspian/2026"],
    "urgency": 2,
}


def _loader(url: str, options: Any = None) -> dict[str, Any]:
    """The bundled schema.org context; nothing is ever fetched."""
    if url.rstrip("/") in ("https://schema.org", "http://schema.org"):
        return {"contextUrl": None, "documentUrl": url,
                "document": json.loads((FIXTURES / "schemaorg-context.json").read_text())}
    raise AssertionError(f"tried to fetch {url}")


@pytest.mark.postgres
async def test_factchecks_api__publish_page_feeds_ninjs_and_check(tmp_path, database_url):
    """A fact-check is stored, served signed with its ClaimReview, shown on a page whose JSON-LD expands, listed in
    feeds and ninjs, and found by its claim URL (normalised) and a reworded text (SQLite and PostgreSQL)."""
    async with node_on(tmp_path, "baku", database_url) as baku:
        status, fc = await baku.api("POST", "/api/factchecks", FACTCHECK)
        assert status == 201, fc
        assert fc["verdict"] == "false" and fc["rating"]["ratingValue"] == 1 and fc["urgent"] is True

        status, obj, _ = await baku.get(f"/factchecks/{fc['id']}")
        assert status == 200 and obj["type"] == "Article"
        assert obj["name"].startswith("Fact-check: False.") and obj["summary"].startswith("Verdict: False.")
        review = obj["claimReview"]
        assert review["reviewRating"]["alternateName"] == "False" and review["reviewRating"]["worstRating"] == 1
        assert review["itemReviewed"]["appearance"][0]["url"] == CLAIM_URL
        assert obj["proof"]["cryptosuite"] == "eddsa-jcs-2022"
        assert isinstance(obj["@context"][1]["claimReview"]["@context"], dict)  # inline, nothing to fetch

        status, page, _ = await baku.get(f"/factchecks/{fc['id']}", accept="text/html")
        assert status == 200 and "Verdict:" in page
        script = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
        expanded = jsonld.expand(json.loads(script), {"documentLoader": _loader})
        s = "http://schema.org/"
        assert expanded[0]["@type"] == [s + "ClaimReview"]
        assert expanded[0][s + "claimReviewed"][0]["@value"] == FACTCHECK["claim"]["text"]
        rating = expanded[0][s + "reviewRating"][0]
        assert rating[s + "alternateName"][0]["@value"] == "False" and rating[s + "ratingValue"][0]["@value"] == 1
        assert expanded[0][s + "itemReviewed"][0][s + "appearance"][0][s + "url"][0]["@id"] == CLAIM_URL

        status, body, _ = await baku.get("/actors/baku/factchecks.rss", accept="application/rss+xml")
        assert status == 200 and "Fact-check: False." in ET.fromstring(body).find("channel/item/title").text
        status, feed, _ = await baku.get("/actors/baku/factchecks.json", accept="application/feed+json")
        assert feed["version"].endswith("1.1") and feed["items"][0]["url"] == fc["url"]

        status, doc = await baku.api("GET", f"/api/factchecks/{fc['id']}/ninjs")
        assert status == 200 and doc["claimReview"]["verdict"] == "false"
        assert schema_errors({k: v for k, v in doc.items() if k != "claimReview"}) == []

        _, found = await baku.api("POST", "/api/check", {"url": "http://www.rumours.example/posts/1234/#top"})
        assert [m["verdict"] for m in found["matches"]] == ["false"] and found["matches"][0]["own"] is True
        _, found = await baku.api("POST", "/api/check", {
            "text": "Reports say the level of the Caspian sea rose by three metres in a single year and flooded "
                    "the port of Baku."})
        assert found["matches"] and found["matches"][0]["match"]["how"] == "text"
        _, none = await baku.api("POST", "/api/check", {"text": "The ferry line between Baku and Aktau reopens."})
        assert none["matches"] == []

        status, withdrawn = await baku.api("POST", f"/api/factchecks/{fc['id']}/withdraw", {"reason": "duplicate"})
        assert status == 200 and withdrawn["state"] == "withdrawn"
        status, tomb, _ = await baku.get(f"/factchecks/{fc['id']}")
        assert status == 410 and tomb["type"] == "Tombstone"
        _, found = await baku.api("POST", "/api/check", {"url": CLAIM_URL})
        assert found["matches"] == []


async def test_factchecks_api__bad_input_is_refused_and_nothing_stored(tmp_path):
    """No claim, no verdict, an unknown verdict, an empty explanation: 422 problems, no row."""
    async with running_node(tmp_path, "baku") as baku:
        bad = [{k: v for k, v in FACTCHECK.items() if k != "claim"},
               {k: v for k, v in FACTCHECK.items() if k != "verdict"},
               {**FACTCHECK, "verdict": "pants-on-fire"},
               {**FACTCHECK, "explanation": {}},
               {**FACTCHECK, "claim": {**FACTCHECK["claim"], "text": ""}}]
        for doc in bad:
            status, problem = await baku.api("POST", "/api/factchecks", doc)
            assert status == 422, (doc, problem)
            assert problem["title"] and problem["status"] == 422
        assert await baku.db(FactCheck.all().count) == 0
        status, problem = await baku.api("POST", "/api/check", {"url": "not a url"})
        assert status == 422
        status, problem = await baku.api("POST", "/api/factchecks/import", {"uri": "urn:cms:1", "type": "text"})
        assert status == 422 and "claimReview" in problem["detail"]
        assert await baku.db(FactCheck.all().count) == 0


async def test_factchecks_ninjs__import_creates_corrects_and_withdraws(tmp_path):
    """A ninjs fact-check from a newsroom system is published; its own uri again corrects it, and canceled
    withdraws it."""
    async with running_node(tmp_path, "baku") as baku:
        doc = {"uri": "urn:cms:factcheck:7", "type": "text", "language": "en", "urgency": 3,
               "claimReview": {"verdict": "unproven", "claim": {"text": FACTCHECK["claim"]["text"], "language": "en",
                                                                "urls": [CLAIM_URL]},
                               "explanations": {"en": "No gauge data was published yet."}}}
        status, created = await baku.api("POST", "/api/factchecks/import", doc)
        assert status == 201 and created["action"] == "created" and created["verdict"] == "unproven"
        _, exported = await baku.api("GET", f"/api/factchecks/{created['id']}/ninjs")
        exported["claimReview"]["verdict"] = "false"
        status, corrected = await baku.api("POST", "/api/factchecks/import", exported)
        assert status == 200 and corrected["action"] == "corrected" and corrected["verdict"] == "false"
        status, withdrawn = await baku.api("POST", "/api/factchecks/import", {**exported, "pubStatus": "canceled"})
        assert status == 200 and withdrawn["action"] == "withdrawn" and withdrawn["state"] == "withdrawn"
