"""The agency's page in a real headless Chromium (Playwright for Python driving Debian's chromium): the browser
finds the feed links in the rendered page's head, and the feeds they point to serve."""

from __future__ import annotations

import shutil

import pytest

from tests.nodes import node_config, running_node

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

STORY = {"headline": "Bakı-Aktau bərə xətti yenidən açılır", "summary": "Bazar ertəsi reyslər bərpa olunur.",
         "body": "<p>Bakı ilə Aktau arasında bərə xətti yenidən açılır.</p>", "language": "az"}
EN = {"language": "en", "headline": "Baku-Aktau ferry line reopens", "summary": "Crossings resume on Monday.",
      "body": "<p>The ferry line between Baku and Aktau reopens.</p>"}


async def test_feed_links__chromium_finds_rss_and_atom_per_language_in_the_head(tmp_path):
    """Chromium's DOM of the agency page has, in <head>, an RSS and an Atom alternate link per language."""
    config = node_config(tmp_path, "baku", languages=["az"])
    async with running_node(tmp_path, "baku", config=config) as baku:
        status, story = await baku.api("POST", "/api/stories", STORY)
        assert status == 201, story
        assert (await baku.api("POST", f"/api/stories/{story['id']}/translations", EN))[0] == 201
        assert (await baku.api("POST", f"/api/stories/{story['id']}/translations/en/approve",
                               {"reviewer": "Nigar Aliyeva"}))[0] == 200
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            try:
                page = await browser.new_page(extra_http_headers={"Accept": "text/html"})
                response = await page.goto(baku.actor_id)
                assert response is not None and response.status == 200
                links = await page.eval_on_selector_all(
                    "head link[rel=alternate]:not([type=\"application/activity+json\"])",  # feeds, not the actor
                    "els => els.map(e => [e.type, e.hreflang, e.href, e.title])")
            finally:
                await browser.close()
        kinds = {(kind, lang) for kind, lang, _, _ in links}
        assert kinds == {(t, lang) for t in ("application/rss+xml", "application/atom+xml") for lang in ("az", "en")}
        hrefs = {href for _, _, href, _ in links}
        assert f"{baku.actor_id}/feed.rss?lang=en" in hrefs and f"{baku.actor_id}/feed.atom?lang=az" in hrefs
        for href in hrefs:
            async with baku.session.get(href) as resp:
                assert resp.status == 200 and b"<script" not in await resp.read()
