"""Interop of story media with Fedify: a story's lead image and attachments reach an independent peer, which
parses them with its own vocabulary (Image with mediaType, url, alt text as name, width and height)."""

from __future__ import annotations

import asyncio

import pytest

from federation.multikey import digest_multibase
from tests.interop.fedify_peer import FedifyPeer, fedify_available
from tests.interop.test_fedify_interop import TIMEOUT, _create_of, _fedify_follows
from tests.node.media.test_stock_api import PDF, _upload_raw, png
from tests.nodes import running_node, settle

_ok, _reason = fedify_available()
pytestmark = pytest.mark.skipif(not _ok, reason=f"Fedify peer unavailable: {_reason}")


async def test_fedify_media__create_with_image_and_document_parsed(tmp_path):
    """Fedify receives our Create with a lead image and a PDF and parses both as its own Image and Document."""
    async def scenario() -> None:
        async with running_node(tmp_path, "baku") as baku, FedifyPeer("alice") as peer:
            await _fedify_follows(peer, baku)
            status, photo = await _upload_raw(baku, png(6, 4), alt="The Aktau ferry at dawn",
                                              credit="Baku News Agency")
            assert status == 201, photo
            status, doc = await _upload_raw(baku, PDF, filename="timetable.pdf", alt="Ferry timetable")
            assert status == 201, doc
            status, story = await baku.api("POST", "/api/stories", {
                "headline": "Caspian ferry line reopens", "summary": "Crossings resume on Monday.",
                "body": "<p>The ferry line reopens.</p>", "language": "en",
                "image": photo["id"], "media": [doc["id"]]})
            assert status == 201, story
            await settle(baku)

            create = await peer.wait_for(_create_of(story["url"]), timeout=10)
            assert create["http_signature_verified"] is True, create
            parsed = create["attachments"]
            assert parsed is not None, peer.log
            assert [a["type"] for a in parsed] == ["Image", "Document"]
            image, pdf = parsed
            assert (image["mediaType"], image["url"], image["name"]) == (
                "image/png", photo["url"], "The Aktau ferry at dawn")
            assert (image["width"], image["height"]) == (photo["width"], photo["height"]) == (6, 4)
            assert (pdf["mediaType"], pdf["url"]) == ("application/pdf", doc["url"])
            # The digest of each file travels in the object the proof covers (Fedify keeps unknown terms raw).
            raw = create["activity"]["object"]
            assert raw["attachment"][0]["digestMultibase"] == digest_multibase(bytes.fromhex(photo["id"]))
            assert raw["image"]["url"] == photo["url"]
            assert create["has_proof"] is True

    await asyncio.wait_for(scenario(), TIMEOUT * 2)  # two uploads before the usual follow and publish
