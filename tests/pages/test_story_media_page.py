"""A story's page shows its media in a real headless Chromium (Playwright driving Debian's chromium): the lead
image above the body with its alt text, caption and credit, and every other item below, also past the four that
travel as attachments; the pictures really load from the node's /media/ URLs. A screenshot is kept for people."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.node.media import photos
from tests.node.media.test_stock_api import PDF, _upload_raw
from tests.nodes import running_node

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
try:
    from playwright.async_api import async_playwright
except ImportError:  # pragma: no cover - the test extras install it
    async_playwright = None

pytestmark = [
    pytest.mark.skipif(async_playwright is None, reason="needs Playwright for Python (pip install -e '.[test]')"),
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs Chromium (apt-get install chromium); "
                       "Playwright drives it by executable_path, never `playwright install`"),
]


async def test_story_media_page__lead_image_and_every_other_item_load_in_chromium(tmp_path):
    """Five pictures and a PDF: the lead at web size with alt, caption and credit; the rest as thumbnails and a
    download link; each <img> decoded by the browser (naturalWidth > 0); no script runs from a caption."""
    async with running_node(tmp_path, "baku") as baku:
        items = []
        for n in range(5):
            jpeg = photos.jpeg(image=photos.picture(320 + n, 200))
            status, item = await _upload_raw(baku, jpeg, alt=f"Ferry {n} at the quay",
                                             caption=f"Caption {n} <script>document.title='PWNED'</script>",
                                             credit="Baku News Agency")
            assert status == 201, item
            items.append(item)
        status, pdf = await _upload_raw(baku, PDF, filename="timetable.pdf", alt="Ferry timetable")
        assert status == 201
        status, story = await baku.api("POST", "/api/stories", {
            "headline": "Ferry line reopens", "summary": "Crossings resume.", "body": "<p>Ferries sail.</p>",
            "language": "en", "image": items[0]["id"], "media": [i["id"] for i in items[1:]] + [pdf["id"]]})
        assert status == 201, story
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            try:
                # Tall enough for every picture: lazy-loaded images below the fold would never load.
                page = await browser.new_page(extra_http_headers={"Accept": "text/html"},
                                              viewport={"width": 1280, "height": 4000})
                response = await page.goto(story["url"], wait_until="load")
                assert response is not None and response.status == 200
                # Lazy images need not hold back the load event: wait (bounded) until every one is decoded; a
                # picture that never loads fails here by timeout.
                await page.wait_for_function(
                    "() => [...document.querySelectorAll('article img')].every(e => e.complete && e.naturalWidth > 0)",
                    timeout=15_000)
                images = await page.eval_on_selector_all(
                    "article img", "els => els.map(e => [e.alt, e.currentSrc, e.naturalWidth])")
                captions = await page.eval_on_selector_all("article figcaption", "els => els.map(e => e.textContent)")
                download = await page.eval_on_selector("article a[download]", "e => [e.textContent, e.href]")
                title = await page.title()
                shots = Path(os.environ.get("AGENCY_NODE_PAGE_SHOTS") or tmp_path)
                shots.mkdir(parents=True, exist_ok=True)
                await page.screenshot(path=str(shots / "story-media.png"), full_page=True)
            finally:
                await browser.close()
        assert title == "Ferry line reopens"  # the caption's script never ran
        assert [alt for alt, _, _ in images] == [f"Ferry {n} at the quay" for n in range(5)]
        assert images[0][1] == items[0]["renditions"]["web.jpg"]["url"]
        assert [src for _, src, _ in images[1:]] == [i["renditions"]["thumb.jpg"]["url"] for i in items[1:]]
        assert all(width > 0 for _, _, width in images), images
        assert captions[0].startswith("Caption 0 <script>") and captions[0].endswith("Baku News Agency")
        assert download == ["Ferry timetable", pdf["url"]]
