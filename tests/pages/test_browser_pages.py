"""The pages Mastodon readers click through to, loaded in a real headless Chromium against a real node.

Chromium runs as `chromium --headless --dump-dom URL` in a subprocess: the dump is the DOM *after* the page's
scripts ran, so a script smuggled into a story body would show (a changed title, a marked body). Screenshots of
each page are written to tmp_path (and to $AGENCY_NODE_PAGE_SHOTS when set) for a person to look at."""

from __future__ import annotations

import asyncio
import os
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.nodes import node_config, running_node

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="headless page tests need Chromium "
                                "(apt-get install chromium chromium-driver; .ci/run installs it)")

STORY = {"headline": "Bakı-Aktau bərə xətti yenidən açılır",
         "summary": "Bazar ertəsi reyslər bərpa olunur.",
         "body": "<p>Bakı ilə <strong>Aktau</strong> arasında bərə xətti yenidən açılır.</p>", "language": "az"}
EN = {"language": "en", "headline": "Baku-Aktau ferry line reopens", "summary": "Crossings resume on Monday.",
      "body": "<p>The ferry line between Baku and Aktau reopens.</p>", "translator": "Leyla Mammadova"}
RU = {"language": "ru", "headline": "Паромная линия Баку-Актау вновь открывается",
      "summary": "Рейсы возобновятся в понедельник.",
      "body": "<p>Паромная линия между Баку и Актау вновь открывается.</p>", "translator": "Ирина Петрова"}
HOSTILE = {"headline": "Port <b>closed</b> & reopened, fares < 5 AZN", "summary": "Storm <i>passes</i> & 2 < 3", "language": "en",
           "body": ("<p>Ships sail again.</p>"
                    "<script>document.title='PWNED';document.documentElement.dataset.pwned='script'</script>"
                    "<img src=x onerror=\"document.documentElement.dataset.pwned='onerror'\">"
                    "<p onclick=\"alert(1)\">Harbour <a href=\"javascript:alert(1)\">notice</a>.</p>"
                    "<iframe src=\"https://example.invalid/\"></iframe>")}


class _Dom(HTMLParser):
    """A small reader of the dumped DOM: attributes of <html>, every element's attributes, text by tag."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root: dict[str, str | None] = {}
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.text: dict[str, list[str]] = {}
        self.all_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html":
            self.root = dict(attrs)
        self.elements.append((tag, dict(attrs)))
        if tag not in ("meta", "img", "br", "link", "input", "hr"):
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        for tag in set(self.stack):
            self.text.setdefault(tag, []).append(data)
        if not {"style", "title", "script"} & set(self.stack):  # what a reader sees
            self.all_text.append(data)

    def texts(self, tag: str) -> str:
        return " ".join("".join(self.text.get(tag, [])).split())

    def body_text(self) -> str:
        return " ".join("".join(self.all_text).split())

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in attrs.items())]


async def _chromium(tmp: Path, *args: str) -> bytes:
    proc = await asyncio.create_subprocess_exec(
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
        "--disable-dev-shm-usage", f"--user-data-dir={tmp / 'chromium-profile'}", "--lang=en-US", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0, err.decode(errors="replace")[-2000:]
    return out


async def load(tmp: Path, url: str) -> _Dom:
    """The page's DOM as the browser holds it once loaded (scripts, if any ran, have run)."""
    dom = _Dom()
    dom.feed((await _chromium(tmp, "--virtual-time-budget=2000", "--dump-dom", url)).decode())
    return dom


async def screenshot(tmp: Path, url: str, name: str) -> Path:
    """A PNG of the page as a reader sees it on a phone-sized window, kept for a person to judge."""
    shots = Path(os.environ.get("AGENCY_NODE_PAGE_SHOTS", tmp))
    shots.mkdir(parents=True, exist_ok=True)
    path = shots / f"{name}.png"
    await _chromium(tmp, "--window-size=480,900", "--hide-scrollbars", f"--screenshot={path}", url)
    assert path.stat().st_size > 1000
    return path


async def _publish_multilingual(baku: Any) -> dict[str, Any]:
    status, story = await baku.api("POST", "/api/stories", STORY)
    assert status == 201, story
    for data in (EN, RU):
        status, doc = await baku.api("POST", f"/api/stories/{story['id']}/translations", data)
        assert status == 201, doc
        status, doc = await baku.api("POST", f"/api/stories/{story['id']}/translations/{data['language']}/approve",
                                     {"reviewer": "Nigar Aliyeva"})
        assert status == 200, doc
    return story


def _node(tmp_path: Path):  # noqa: ANN202
    config = node_config(tmp_path, "baku", languages=["az"], summary="Azerbaijan's newswire, signed & verifiable")
    return running_node(tmp_path, "baku", config=config)


async def test_story_page__multilingual_story_reads_in_each_approved_language(tmp_path):
    """The original in Azerbaijani, then `?lang=en` / `?lang=ru`: headline, summary and body of that language,
    the document's `lang`, every language listed by its CLDR name in the page's language, and the translation's
    'how it was made' label."""
    async with _node(tmp_path) as baku:
        story = await _publish_multilingual(baku)
        url = story["url"]

        az = await load(tmp_path, url)
        assert az.root.get("lang") == "az" and az.root.get("dir") == "ltr"
        assert az.texts("title") == STORY["headline"] and az.texts("h1") == STORY["headline"]
        assert STORY["summary"] in az.texts("em")
        assert "Bakı ilə Aktau arasında bərə xətti yenidən açılır." in az.body_text()
        assert az.find("strong") and az.texts("strong") == "Aktau"  # body markup rendered, not escaped
        assert az.find("meta", charset="utf-8") and az.find("meta", name="viewport")
        # The list names each language in Azerbaijani (CLDR), links the others by ?lang=, labels how each was made.
        nav = az.texts("nav")
        assert "azərbaycan (orijinal)" in nav  # labels in the page's language too (schemas/labels.py)
        assert "ingilis (insan tərcüməsi)" in nav and "rus (insan tərcüməsi)" in nav
        assert "original" not in nav and "translated" not in nav
        assert [a["href"] for a in az.find("a", hreflang="en")] == ["?lang=en"]
        assert [a["href"] for a in az.find("a", hreflang="ru")] == ["?lang=ru"]
        assert "Translated from" not in az.body_text()  # the original carries no translation label
        stamp = az.find("time")[0]["datetime"] or ""
        assert stamp[:4] in az.texts("time") and az.texts("time") != stamp  # a date for people, in Azerbaijani

        en = await load(tmp_path, url + "?lang=en")
        assert en.root.get("lang") == "en" and en.root.get("dir") == "ltr"
        assert en.texts("h1") == EN["headline"] and EN["summary"] in en.texts("em")
        assert "The ferry line between Baku and Aktau reopens." in en.body_text()
        assert "Translated from Azerbaijani, translated by people, by Leyla Mammadova, reviewed by Nigar Aliyeva" in en.body_text()
        assert "Azerbaijani (original)" in en.texts("nav") and "Russian (translated by people)" in en.texts("nav")
        assert [a["href"] for a in en.find("a", hreflang="az")] == ["?lang=az"]

        ru = await load(tmp_path, url + "?lang=ru")
        assert ru.root.get("lang") == "ru"
        assert ru.texts("h1") == RU["headline"]
        assert "Паромная линия между Баку и Актау вновь открывается." in ru.body_text()
        assert ("Язык оригинала: азербайджанский · перевод, сделанный людьми · переводчик: Ирина Петрова"
                in ru.body_text())
        assert "оригинал" in ru.texts("nav") and "Translated" not in ru.body_text()
        assert "английский" in ru.texts("nav")

        # A language that is not approved falls back to the original.
        tr = await load(tmp_path, url + "?lang=tr")
        assert tr.root.get("lang") == "az" and tr.texts("h1") == STORY["headline"]

        for name, page in (("story-az", url), ("story-en", url + "?lang=en"), ("story-ru", url + "?lang=ru")):
            await screenshot(tmp_path, page, name)


async def test_story_page__script_in_body_never_runs_and_markup_is_escaped(tmp_path):
    """A body with <script>, an onerror handler, a javascript: link and an iframe: the browser's DOM after load
    shows none of them ran or survived; a headline with markup shows as text."""
    async with _node(tmp_path) as baku:
        status, story = await baku.api("POST", "/api/stories", HOSTILE)
        assert status == 201, story
        dom = await load(tmp_path, story["url"])
        # The API keeps headline and summary as plain text; the page shows that text, escaped, as text.
        assert "<" in story["headline"] and "&" in story["headline"] and "<" in story["summary"]
        assert dom.texts("title") == story["headline"]  # not 'PWNED': the script never ran
        assert "pwned" not in dom.root and "data-pwned" not in dom.root
        assert dom.texts("h1") == story["headline"] and not dom.find("b")
        assert story["summary"] in dom.texts("em") and not dom.find("i")
        # The one script element is the page's own JSON-LD, a data block browsers never run.
        assert [s.get("type") for s in dom.find("script")] == ["application/ld+json"] and not dom.find("iframe")
        assert all(not k.startswith("on") for _, attrs in dom.elements for k in attrs)
        assert all(not (a.get("href") or "").lower().startswith("javascript:") for a in dom.find("a"))
        assert "Ships sail again." in dom.body_text() and "Harbour notice." in dom.body_text()
        await screenshot(tmp_path, story["url"], "story-hostile")


async def test_story_page__deleted_story_is_a_gone_page(tmp_path):
    """After DELETE the browser gets a page saying the story was deleted, with HTTP 410; ActivityPub clients
    still get the Tombstone."""
    async with _node(tmp_path) as baku:
        status, story = await baku.api("POST", "/api/stories", {k: v for k, v in EN.items() if k != "translator"})
        assert status == 201, story
        status, _ = await baku.api("DELETE", f"/api/stories/{story['id']}")
        assert status in (200, 202, 204)
        path = story["url"].removeprefix(baku.base_url)
        status, text, headers = await baku.get(path, accept="text/html,application/xhtml+xml")
        assert status == 410 and headers["Content-Type"].startswith("text/html")
        assert "charset=utf-8" in headers["Content-Type"]
        status, doc, _ = await baku.get(path)
        assert status == 410 and doc["type"] == "Tombstone"

        dom = await load(tmp_path, story["url"])
        assert dom.texts("h1") == "This story was deleted"
        assert EN["headline"] not in dom.body_text() and story["url"] in dom.body_text()
        assert dom.root.get("lang") == "en"
        await screenshot(tmp_path, story["url"], "story-deleted")


async def test_story_page__labels_follow_the_story_language_and_gone_page_too(tmp_path):
    """An Azerbaijani story with a correction: the correction paragraph is labelled in Azerbaijani; deleted, its
    gone page speaks Azerbaijani too (with `lang="az"`). A language the catalogue lacks gets English labels marked
    `lang="en"`."""
    async with _node(tmp_path) as baku:
        status, story = await baku.api("POST", "/api/stories", STORY)
        assert status == 201, story
        status, doc = await baku.api("PATCH", f"/api/stories/{story['id']}",
                                     {"body": STORY["body"] + "<p>Əlavə.</p>",
                                      "correction_note": {"az": "Tarix düzəldilib."}})
        assert status == 200, doc
        dom = await load(tmp_path, story["url"])
        assert "Düzəliş: Tarix düzəldilib." in dom.body_text() and "Correction" not in dom.body_text()

        status, de = await baku.api("POST", "/api/stories", {"language": "de", "headline": "Fähre fährt",
                                                             "body": "<p>Die Fähre fährt wieder.</p>"})
        assert status == 201, de
        status, doc = await baku.api("POST", f"/api/stories/{de['id']}/translations",
                                     {"language": "az", "headline": STORY["headline"], "body": STORY["body"],
                                      "translator": "Leyla"})
        assert status == 201, doc
        status, doc = await baku.api("POST", f"/api/stories/{de['id']}/translations/az/approve", {})
        assert status == 200, doc
        german = await load(tmp_path, de["url"])
        assert german.root.get("lang") == "de" and "Deutsch (original)" in german.texts("nav")
        assert german.find("span", lang="en")  # English stands in for German labels, and says so

        status, _ = await baku.api("DELETE", f"/api/stories/{story['id']}")
        assert status in (200, 202, 204)
        gone = await load(tmp_path, story["url"])
        assert gone.root.get("lang") == "az" and gone.texts("h1") == "Bu xəbər silinib"
        assert story["url"] in gone.body_text() and "deleted" not in gone.body_text()
        await screenshot(tmp_path, story["url"], "story-deleted-az")


async def test_actor_page__shows_agency_name_handle_and_summary(tmp_path):
    async with _node(tmp_path) as baku:
        dom = await load(tmp_path, baku.actor_id)
        assert dom.texts("title") == "Baku News Agency" and dom.texts("h1") == "Baku News Agency"
        assert "Azerbaijan's newswire, signed & verifiable" in dom.body_text()
        assert f"@baku@{baku.config.host}" in dom.body_text()
        assert dom.root.get("lang") == "az" and dom.find("meta", name="viewport")
        await screenshot(tmp_path, baku.actor_id, "actor")


def test_text_direction__rtl_languages_from_cldr():
    from node.web.pages import page_shell, text_direction

    assert [text_direction(t) for t in ("ar", "fa", "he", "ur", "az", "ru", "en", "zz-bogus", "")] == \
        ["rtl", "rtl", "rtl", "rtl", "ltr", "ltr", "ltr", "ltr", "ltr"]
    assert '<html lang="fa" dir="rtl">' in page_shell("t", "", "fa")


async def test_story_page__arabic_story_reads_right_to_left(tmp_path):
    async with _node(tmp_path) as baku:
        status, story = await baku.api("POST", "/api/stories", {
            "headline": "إعادة فتح خط العبارات بين باكو وأكتاو", "summary": "تستأنف الرحلات يوم الاثنين.",
            "body": "<p>يعاد فتح خط العبارات بين باكو وأكتاو.</p>", "language": "ar"})
        assert status == 201, story
        dom = await load(tmp_path, story["url"])
        assert dom.root.get("lang") == "ar" and dom.root.get("dir") == "rtl"
        assert dom.texts("h1") == "إعادة فتح خط العبارات بين باكو وأكتاو"
        assert "العربية" in dom.texts("nav")  # the language list in Arabic (CLDR)
        await screenshot(tmp_path, story["url"], "story-ar")
