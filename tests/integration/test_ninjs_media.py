"""ninjs imports with renditions: the files a CMS item points at are fetched into the stock, checked against the
hashes it gives, and attached to the published story; a file that does not match refuses the import."""

from __future__ import annotations

import hashlib
from pathlib import Path

from node.media.models import MediaItem
from node.stories.models import Story
from tests.fakeremote import FakeRemote
from tests.node.media.test_stock_api import PDF, png, stored_files
from tests.nodes import running_node


def _item(photo_url: str, pdf_url: str, photo_hash: str) -> dict:
    return {
        "uri": "urn:cms:port-figures", "language": "en", "headlines": [{"value": "Port figures for November"}],
        "bodies": [{"contentType": "text/html", "value": "<p>Cargo rose.</p>"}],
        "renditions": [{"name": "print", "href": pdf_url, "contentType": "application/pdf"}],
        "associations": [{
            "name": "mainpicture", "type": "picture", "uri": "urn:cms:photo-1", "by": "R. Aliyev",
            "copyrightHolder": "Baku News Agency", "headlines": [{"value": "Cranes at Alat port"}],
            "descriptions": [{"role": "alt", "value": "Three cranes over a container ship"},
                             {"role": "caption", "value": "Alat port, November 2026"}],
            "altIds": [{"role": "sha256", "value": photo_hash}],
            "renditions": [{"name": "thumbnail", "href": photo_url + "?thumb", "contentType": "image/png",
                            "width": 10, "height": 10},
                           {"name": "original", "href": photo_url, "contentType": "image/png", "width": 60,
                            "height": 40}]}],
    }


async def test_ninjs_media__renditions_fetched_checked_and_attached(tmp_path):
    """The picture's original rendition (its hash given) and the item's PDF rendition reach the stock with the
    CMS's alt text, caption, credit and copyright; the story carries the picture as its lead image."""
    async with running_node(tmp_path, "baku") as baku, FakeRemote() as cms:
        photo = png(60, 40)
        photo_url = cms.serve_file("/assets/cranes.png", photo, "image/png")
        pdf_url = cms.serve_file("/assets/port.pdf", PDF, "application/pdf")
        status, doc = await baku.api("POST", "/api/import", _item(photo_url, pdf_url,
                                                                   hashlib.sha256(photo).hexdigest()))
        assert status == 201, doc
        assert cms.file_requests == ["/assets/cranes.png", "/assets/port.pdf"]  # never the thumbnail
        sha, pdf_sha = hashlib.sha256(photo).hexdigest(), hashlib.sha256(PDF).hexdigest()
        story = await baku.db(lambda: Story.get(uuid=doc["id"]))
        assert [(m["sha256"], m.get("lead", False)) for m in story.media] == [(sha, True), (pdf_sha, False)]
        item = await baku.db(lambda: MediaItem.get(sha256=sha))
        assert item.alt == {"en": "Three cranes over a container ship"}
        assert item.caption == {"en": "Alat port, November 2026"}
        assert (item.credit, item.copyright, item.origin_url) == ("R. Aliyev", "Baku News Agency", photo_url)
        status, article, _ = await baku.get(f"/stories/{doc['id']}")
        assert article["image"]["url"] == f"{baku.base_url}/media/{sha}"

        # The same item again: nothing changed, nothing new.
        status, again = await baku.api("POST", "/api/import", _item(photo_url, pdf_url, sha))
        assert (status, again["action"]) == (200, "unchanged"), again


async def test_ninjs_media__hash_mismatch_refuses_the_import_and_keeps_nothing(tmp_path):
    """A rendition whose bytes are not the ones its hash names: 422 naming the file, no story, no stock item,
    no file left in the store."""
    async with running_node(tmp_path, "baku") as baku, FakeRemote() as cms:
        photo_url = cms.serve_file("/assets/cranes.png", png(60, 40), "image/png")
        pdf_url = cms.serve_file("/assets/port.pdf", PDF, "application/pdf")
        status, doc = await baku.api("POST", "/api/import", _item(photo_url, pdf_url,
                                                                   hashlib.sha256(b"other").hexdigest()))
        assert status == 422 and photo_url in doc["detail"] and "not imported" in doc["detail"], doc
        assert await baku.db(lambda: Story.all().count()) == 0
        assert await baku.db(lambda: MediaItem.all().count()) == 0
        assert stored_files(Path(baku.config.media["dir"])) == []
