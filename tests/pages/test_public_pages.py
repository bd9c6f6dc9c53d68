"""The public pages as a browser, a link preview and a search engine see them, in a real headless Chromium
(Playwright for Python driving Debian's chromium): a story with a photo, a translation and a correction; the
agency's profile page; a killed story's gone page. Screenshots go to $AGENCY_NODE_PAGE_SHOTS (or tmp_path)."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path


from tests.node.media import photos
from tests.node.media.test_stock_api import _upload_raw
from tests.nodes import free_port, node_config, running_node

from tests.pages.desk.browser import CHROMIUM, async_playwright, needs_browser

pytestmark = needs_browser

SUMMARY = "Reyslər bazar ertəsi bərpa olunur & \"tezliklə\" başlayır."
# A headline is plain text (the API strips tags; the JSON-LD's escaping of `</script>` is tested in
# tests/node/web/test_public_pages.py): its `<`, `&` and quotes stay text in the title, meta tags and JSON-LD.
HEADLINE = 'Bakı-Aktau bərə xətti açılır: bilet < 5 AZN & "tezliklə"'
STORY = {"headline": HEADLINE, "summary": SUMMARY, "language": "az",
         "body": "<p>Bakı ilə Aktau arasında bərə xətti yenidən açılır.</p>", "hashtags": ["Xəzər"]}
EN = {"language": "en", "headline": "Baku-Aktau ferry line reopens", "summary": "Crossings resume on Monday.",
      "body": "<p>The ferry line between Baku and Aktau reopens.</p>", "translator": "Leyla Mammadova"}
NOTE = {"az": "Reyslərin tarixi düzəldilib.", "en": "The date of the crossings was corrected."}
REASON = "Mənbə xəbəri təsdiqləmədi."

# axe-core as tests/pages/axe installs it (`.ci/run`, npm ci) once the desk's accessibility tests are merged; the
# accessibility check below runs whenever it is there.
AXE_JS = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
AXE_RUN = """async () => (await axe.run(document, {runOnly: {type: 'tag',
    values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}}))
    .violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => [v.id, v.nodes.slice(0, 3).map(n => n.target.join(' '))])"""
META = """() => Object.fromEntries([...document.querySelectorAll('meta[property], meta[name]')]
    .map(m => [m.getAttribute('property') || m.getAttribute('name'), m.content]))"""
JSON_LD = """() => [...document.querySelectorAll('script[type="application/ld+json"]')]
    .map(s => JSON.parse(s.textContent))"""


async def _axe(page) -> list:  # noqa: ANN001
    """Serious and critical WCAG 2.1 A/AA violations axe-core finds on the page ([] when axe is not installed)."""
    if not AXE_JS.exists():
        return []
    await page.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
    return await page.evaluate(AXE_RUN)


def _logo() -> bytes:
    out = io.BytesIO()
    photos.picture(96, 96).save(out, "PNG")
    return out.getvalue()


async def test_public_pages__story_profile_and_gone_page_in_chromium(tmp_path):
    """What Chromium sees: the story page's OpenGraph tags and NewsArticle JSON-LD (parsed by the page), its
    correction history and verification words, a summary's script kept as text; the profile page's
    NewsMediaOrganization, its recent stories with loaded thumbnails; a killed story answering 410 with its
    reason and date in Azerbaijani."""
    logo = _logo()
    port = free_port()
    # The logo is served by the node itself (the stock keeps a PNG byte for byte, so its URL is known before).
    icon_url = f"http://127.0.0.1:{port}/media/{hashlib.sha256(logo).hexdigest()}"
    config = node_config(tmp_path, "baku", port=port, languages=["az"], summary="Azərbaycanın xəbər agentliyi",
                         icon_url=icon_url, url="https://baku.example",
                         sections={"channels": {"languages": ["en"]}})
    async with running_node(tmp_path, "baku", config=config) as baku:
        assert (await _upload_raw(baku, logo, "image/png", alt="Baku News Agency logo"))[0] == 201
        status, photo = await _upload_raw(baku, photos.jpeg(image=photos.picture(640, 400)), alt="Aktau bərəsi",
                                          caption="Limanda bərə", credit="R. Aliyev")
        assert status == 201, photo
        status, story = await baku.api("POST", "/api/stories", {**STORY, "image": photo["id"]})
        assert status == 201, story
        assert story["headline"] == HEADLINE and story["summary"] == SUMMARY
        assert (await baku.api("POST", f"/api/stories/{story['id']}/translations", EN))[0] == 201
        assert (await baku.api("POST", f"/api/stories/{story['id']}/translations/en/approve", {}))[0] == 200
        status, doc = await baku.api("PATCH", f"/api/stories/{story['id']}",
                                     {"body": STORY["body"] + "<p>Reyslər bazar ertəsi başlayır.</p>",
                                      "correction_note": NOTE})
        assert status == 200, doc
        status, killed = await baku.api("POST", "/api/stories", {"headline": "Səhv xəbər", "language": "az",
                                                                  "body": "<p>Səhv.</p>"})
        assert status == 201, killed
        assert (await baku.api("DELETE", f"/api/stories/{killed['id']}", {"reason": REASON}))[0] in (200, 202, 204)
        _, actor, _ = await baku.get(baku.actor_id.removeprefix(baku.base_url))
        key_id = actor["assertionMethod"][0]["id"]

        shots = Path(os.environ.get("AGENCY_NODE_PAGE_SHOTS") or tmp_path)
        shots.mkdir(parents=True, exist_ok=True)
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            try:
                page = await browser.new_page(extra_http_headers={"Accept": "text/html"},
                                              viewport={"width": 480, "height": 900})
                response = await page.goto(story["url"], wait_until="load")
                assert response is not None and response.status == 200
                meta, ld = await page.evaluate(META), await page.evaluate(JSON_LD)
                title = await page.title()
                summary_text = await page.inner_text("article em")
                corrections = await page.inner_text("section.corrections")
                verification = await page.inner_text("p.verification")
                key_href = await page.get_attribute("p.verification a", "href")
                image = await page.request.get(meta["og:image"])
                image_type = image.headers.get("content-type")
                await page.screenshot(path=str(shots / "public-story.png"), full_page=True)
                violations = {"story": await _axe(page)}

                response = await page.goto(baku.actor_id, wait_until="load")
                assert response is not None and response.status == 200
                # The list's pictures are lazy: the load event need not wait for them (bounded wait, fails on timeout).
                await page.wait_for_function(
                    "() => [...document.querySelectorAll('ol.stories img, img.logo')]"
                    ".every(e => e.complete && e.naturalWidth > 0)", timeout=15_000)
                profile_meta, profile_ld = await page.evaluate(META), await page.evaluate(JSON_LD)
                listed = await page.eval_on_selector_all(
                    "ol.stories li", "els => els.map(e => [e.querySelector('a').href, e.querySelector('a').textContent,"
                    " e.querySelector('img') && e.querySelector('img').naturalWidth, e.querySelector('img') &&"
                    " e.querySelector('img').alt, !!e.querySelector('time')])")
                logo_width = await page.eval_on_selector("img.logo", "e => e.naturalWidth")
                profile_text = await page.inner_text("main")
                await page.screenshot(path=str(shots / "public-profile.png"), full_page=True)
                violations["profile"] = await _axe(page)

                response = await page.goto(killed["url"], wait_until="load")
                assert response is not None and response.status == 410
                gone_text = await page.inner_text("main")
                gone_lang = await page.get_attribute("html", "lang")
                await page.screenshot(path=str(shots / "public-gone.png"), full_page=True)
                violations["gone"] = await _axe(page)
            finally:
                await browser.close()

    assert violations == {"story": [], "profile": [], "gone": []}
    # The story page: a link preview's view of it, and a search engine's.
    assert title == HEADLINE and summary_text == SUMMARY
    assert meta["og:type"] == "article" and meta["og:title"] == STORY["headline"]
    assert meta["og:description"] == SUMMARY and meta["og:url"] == story["url"] and meta["og:locale"] == "az_AZ"
    assert meta["og:site_name"] == "Baku News Agency" and meta["fediverse:creator"] == f"@baku@{baku.config.host}"
    assert meta["og:image"] == photo["renditions"]["web.jpg"]["url"] and image.status == 200
    assert image_type == "image/jpeg" and meta["og:image:alt"] == "Aktau bərəsi"
    assert int(meta["og:image:width"]) == photo["renditions"]["web.jpg"]["width"] == 640
    assert meta["twitter:card"] == "summary_large_image" and meta["article:published_time"].startswith("20")
    [article] = ld
    assert article["@type"] == "NewsArticle" and article["headline"] == STORY["headline"]
    assert article["description"] == SUMMARY and article["inLanguage"] == "az" and article["version"] == doc["version"]
    assert article["publisher"]["name"] == "Baku News Agency" and article["publisher"]["logo"]["url"] == icon_url
    assert article["correction"][0]["@type"] == "CorrectionComment"
    assert article["correction"][0]["text"] == NOTE["az"]
    assert article["workTranslation"] == [{"@id": story["url"] + "?lang=en", "inLanguage": "en"}]
    assert "Düzəlişlər" in corrections and f"Düzəliş: {NOTE['az']}" in corrections and "2026" in corrections
    assert verification.startswith("Baku News Agency tərəfindən ") and "(Ed25519, eddsa-jcs-2022)" in verification
    assert f"bu səhifədə {doc['version']} saylı versiya göstərilir." in verification
    assert key_href == key_id and key_id.split("#")[1] in verification

    # The profile page: the agency and its live stories (the killed one is gone), newest first.
    assert profile_meta["og:type"] == "profile" and profile_meta["og:image"] == icon_url
    assert profile_meta["og:description"] == "Azərbaycanın xəbər agentliyi"
    [org] = profile_ld
    assert org["@type"] == "NewsMediaOrganization" and org["url"] == "https://baku.example"
    assert org["sameAs"] == [baku.actor_id]
    assert listed == [[story["url"], STORY["headline"], 400, "Aktau bərəsi", True]]
    assert logo_width == 96 and f"@baku@{baku.config.host}" in profile_text and "Son xəbərlər" in profile_text
    assert f"ingilis: @baku_en@{baku.config.host}" in profile_text  # the English channel, to follow instead

    # The killed story: 410, why and when, in the story's language.
    assert gone_lang == "az" and "Bu xəbər silinib" in gone_text
    assert f"Agentliyin izahı: {REASON}" in gone_text and "Geri götürülmə tarixi:" in gone_text
