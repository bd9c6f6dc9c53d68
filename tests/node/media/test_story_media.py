"""Stories carry media from the stock: lead image and attachments on the Article, digests inside the proof."""

from __future__ import annotations

import copy
import hashlib

import pytest

from federation.errors import ProofError
from federation.integrity import verify_document
from federation.multikey import digest_multibase, ed25519_from_multibase, sha256_of_digest_multibase
from tests.node.media.test_stock_api import PDF, _upload_raw, png
from tests.nodes import running_node

STORY = {"headline": "Caspian ferry line reopens", "summary": "Crossings resume on Monday.",
         "body": "<p>The ferry line reopens.</p>", "language": "en"}


async def _photos(baku, count: int) -> list[dict]:
    items = []
    for n in range(count):
        status, item = await _upload_raw(baku, png(2 + n, 2), alt=f"Photo {n}", credit="Baku News Agency")
        assert status == 201, item
        items.append(item)
    return items


def test_digest_multibase__round_trips_a_sha256_as_a_multihash():
    """digestMultibase is 'z' + base58btc(0x12 0x20 + digest), and reads back to the same digest."""
    digest = hashlib.sha256(b"photo").digest()
    text = digest_multibase(digest)
    assert text.startswith("zQm")  # every base58btc SHA-256 multihash begins so (as IPFS CIDv0 do)
    assert sha256_of_digest_multibase(text) == digest


async def test_story_media__lead_image_first_four_attachments_and_digests_covered_by_the_proof(tmp_path):
    """The Article has `image`, at most four attachments lead first, and a proof that breaks if a digest changes."""
    async with running_node(tmp_path, "baku") as baku:
        photos = await _photos(baku, 5)
        status, document = await _upload_raw(baku, PDF, filename="report.pdf")
        assert status == 201
        lead = photos[3]
        others = [p["id"] for p in photos if p is not lead] + [document["id"]]
        status, story = await baku.api("POST", "/api/stories", {**STORY, "image": lead["id"], "media": others})
        assert status == 201, story
        assert [m["sha256"] for m in story["media"]] == [lead["id"], *others]
        assert story["media"][0]["lead"] is True

        status, article, _ = await baku.get(f"/stories/{story['id']}")
        assert status == 200
        assert article["image"]["url"] == lead["url"] and article["image"]["name"] == "Photo 3"
        attachments = article["attachment"]
        assert len(attachments) == 4  # Mastodon keeps four; the rest stay on the story's page
        assert [a["url"] for a in attachments] == [lead["url"], *(p["url"] for p in photos[:3])]
        assert {a["type"] for a in attachments} == {"Image"}
        for attachment, item in zip(attachments, [lead, *photos[:3]]):
            assert attachment["mediaType"] == "image/png"
            assert attachment["nameMap"] == {"en": item["alt"]["en"]}
            assert attachment["creditText"] == "Baku News Agency"
            assert sha256_of_digest_multibase(attachment["digestMultibase"]).hex() == item["id"]

        _, actor, _ = await baku.get("/actors/baku")
        key = ed25519_from_multibase(actor["assertionMethod"][0]["publicKeyMultibase"])
        verify_document(article, key)
        altered = copy.deepcopy(article)
        altered["attachment"][1]["digestMultibase"] = digest_multibase(hashlib.sha256(b"other bytes").digest())
        with pytest.raises(ProofError) as refused:
            verify_document(altered, key)
        assert refused.value.code == "bad-signature"


@pytest.mark.parametrize("case,expected", [
    ("unknown", "No such media item"),
    ("no-alt", "Image without alt text"),
    ("lead-not-image", "Lead image is not an image"),
    ("twice", "Media item listed twice"),
])
async def test_story_media__bad_media_is_422_and_no_story_is_published(tmp_path, case, expected):
    """Unknown items, images without alt text, a PDF as lead image, or an item twice: 422, nothing published."""
    async with running_node(tmp_path, "baku") as baku:
        status, photo = await _upload_raw(baku, png(), alt="A photo")
        status, bare = await _upload_raw(baku, png(4, 4))  # no alt text
        status, pdf = await _upload_raw(baku, PDF)
        fields = {"unknown": {"image": "a" * 64}, "no-alt": {"image": bare["id"]},
                  "lead-not-image": {"image": pdf["id"]},
                  "twice": {"image": photo["id"], "media": [pdf["id"], pdf["id"]]}}[case]
        status, problem = await baku.api("POST", "/api/stories", {**STORY, **fields})
        assert status == 422, problem
        assert problem["title"] == expected
        _, stories = await baku.api("GET", "/api/stories")
        assert stories["stories"] == []


async def test_story_media__an_update_of_other_media_keeps_the_lead_image(tmp_path):
    """PATCH with only `media` changes the other items and keeps the lead; with only `image` the reverse."""
    async with running_node(tmp_path, "baku") as baku:
        first, second, third = await _photos(baku, 3)
        status, story = await baku.api("POST", "/api/stories", {**STORY, "image": first["id"],
                                                                "media": [second["id"]]})
        assert status == 201, story
        status, changed = await baku.api("PATCH", f"/api/stories/{story['id']}", {"media": [third["id"]]})
        assert status == 200, changed
        assert [(m["sha256"], m.get("lead", False)) for m in changed["media"]] == [
            (first["id"], True), (third["id"], False)]
        status, changed = await baku.api("PATCH", f"/api/stories/{story['id']}", {"image": second["id"]})
        assert status == 200, changed
        assert [m["sha256"] for m in changed["media"]] == [second["id"], third["id"]]
        _, article, _ = await baku.get(f"/stories/{story['id']}")
        assert article["image"]["url"] == second["url"] and article["updated"]
