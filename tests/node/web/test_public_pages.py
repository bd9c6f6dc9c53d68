"""The machine-readable parts of the public pages, rendered without a node: OpenGraph and Twitter tags,
canonical/hreflang links, schema.org JSON-LD (parsed back and checked field by field), and their escaping."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any

from node.stories.documents import LanguageVersion
from node.stories.feeds import FeedEntry
from node.web.metadata import Publisher, excerpt, json_ld_script, og_locale
from node.web.profile import FeedLink, profile_page
from node.web.story_page import Correction, Signature, StoryContext, gone_page, story_page

BASE = "https://news.example"
URL = f"{BASE}/stories/5f0c"
PUBLISHED = datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)
CORRECTED = datetime(2026, 12, 2, 14, 0, tzinfo=timezone.utc)
HOSTILE = 'Ferry </script><script>document.title="PWNED"</script> & "quotes" <b>bold</b>'
PUBLISHER = Publisher(name="Baku News Agency", actor_url=f"{BASE}/actors/baku", site_url="https://baku.example",
                      icon_url=f"{BASE}/media/logo", address="@baku@news.example", summary="Azerbaijan's newswire")
LEAD = {"kind": "image", "lead": True, "url": f"{BASE}/media/abc", "width": 3000, "height": 2000,
        "alt": {"az": "Aktau bərəsi", "en": "The Aktau ferry"}, "caption": {"en": "At the quay"},
        "credit": "R. Aliyev", "renditions": {
            "web.jpg": {"url": f"{BASE}/media/abc/web.jpg", "width": 1600, "height": 1067},
            "thumb.jpg": {"url": f"{BASE}/media/abc/thumb.jpg", "width": 400, "height": 267}}}


class _Head(HTMLParser):
    """Meta tags, link tags, JSON-LD blocks and visible text of a page."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: list[tuple[str, str]] = []
        self.links: list[dict[str, str]] = []
        self.scripts: list[tuple[str, str]] = []
        self.html: dict[str, str] = {}
        self.text: list[str] = []
        self._in: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.html = a
        elif tag == "meta" and "content" in a:
            self.meta.append((a.get("property") or a.get("name") or "", a["content"]))
        elif tag == "link":
            self.links.append(a)
        elif tag == "script":
            self.scripts.append((a.get("type", ""), ""))
        if tag in ("script", "style", "title"):
            self._in.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data: str) -> None:
        if self._in and self._in[-1] == "script":
            kind, text = self.scripts[-1]
            self.scripts[-1] = (kind, text + data)
        elif not self._in:
            self.text.append(data)

    def one(self, key: str) -> str:
        values = [v for k, v in self.meta if k == key]
        assert len(values) == 1, (key, values)
        return values[0]

    def all(self, key: str) -> list[str]:
        return [v for k, v in self.meta if k == key]

    def json_ld(self) -> dict[str, Any]:
        assert [kind for kind, _ in self.scripts] == ["application/ld+json"]
        return json.loads(self.scripts[0][1])

    def visible(self) -> str:
        return " ".join("".join(self.text).split())


def _story(**overrides: Any) -> SimpleNamespace:
    fields = dict(uuid="5f0c", language="az", headline="Bakı-Aktau bərə xətti açılır", summary="Reyslər bərpa olunur.",
                  body_html="<p>Bərə xətti açılır.</p>", hashtags=["Xəzər"], canonical_url=None, version=2,
                  published_at=PUBLISHED, updated_at=CORRECTED, media=[LEAD])
    return SimpleNamespace(**{**fields, **overrides})


def _versions(story: SimpleNamespace) -> list[LanguageVersion]:
    return [LanguageVersion(language=story.language, headline=story.headline, summary=story.summary,
                            body_html=story.body_html, kind="original", updated=story.updated_at),
            LanguageVersion(language="en", headline="Baku-Aktau ferry line opens", summary="Crossings resume.",
                            body_html="<p>The ferry line opens.</p>", kind="translation",
                            updated=datetime(2026, 12, 3, tzinfo=timezone.utc), source_language="az",
                            method="human", translator="Leyla")]


def _ctx(**overrides: Any) -> StoryContext:
    fields = dict(url=URL, publisher=PUBLISHER, feed_url=lambda fmt, lang: f"{BASE}/actors/baku/feed.{fmt}?lang={lang}",
                  corrections=[Correction(CORRECTED, {"az": "Tarix düzəldilib.", "en": "The date was corrected."})],
                  signature=Signature(f"{BASE}/actors/baku#z6MkExample", "z6MkExample", 2))
    return StoryContext(**{**fields, **overrides})


def test_story_page__opengraph_twitter_and_fediverse_creator_describe_the_shown_language():
    """The original's page: og:* from the headline, summary and the lead image's web rendition (its size and alt),
    locales with CLDR territories, article times, a large-image card and the agency as fediverse creator."""
    story = _story()
    page = _Head(story_page(story, _versions(story), "", _ctx()))
    assert page.one("og:type") == "article" and page.one("og:title") == story.headline
    assert page.one("og:description") == story.summary == page.one("description")
    assert page.one("og:url") == URL and page.one("og:site_name") == "Baku News Agency"
    assert page.one("og:locale") == "az_AZ" and page.all("og:locale:alternate") == ["en_US"]
    assert page.one("og:image") == f"{BASE}/media/abc/web.jpg"
    assert (page.one("og:image:width"), page.one("og:image:height")) == ("1600", "1067")
    assert page.one("og:image:alt") == "Aktau bərəsi"
    assert page.one("article:published_time") == "2026-12-01T09:30:00Z"
    assert page.one("article:modified_time") == "2026-12-02T14:00:00Z"
    assert page.one("twitter:card") == "summary_large_image"
    assert page.one("fediverse:creator") == "@baku@news.example"
    canonical = [link["href"] for link in page.links if link["rel"] == "canonical"]
    assert canonical == [URL]
    assert {"rel": "alternate", "type": "application/activity+json", "href": URL} in page.links
    alternates = {link["hreflang"]: link["href"] for link in page.links
                  if link["rel"] == "alternate" and link.get("hreflang")}
    assert alternates == {"az": URL, "en": f"{URL}?lang=en", "x-default": URL}
    feeds = [(link["type"], link["href"]) for link in page.links if link.get("type", "").endswith("+xml")]
    assert feeds == [("application/rss+xml", f"{BASE}/actors/baku/feed.rss?lang=az"),
                     ("application/atom+xml", f"{BASE}/actors/baku/feed.atom?lang=az")]
    assert page.html == {"lang": "az", "dir": "ltr"}


def test_story_page__news_article_json_ld_has_the_fields_search_engines_read():
    """The JSON-LD parses to a NewsArticle with headline, description, dates, language, image, the agency as
    author and publisher (name, url, logo), free access, the page as main entity and each correction."""
    story = _story()
    doc = _Head(story_page(story, _versions(story), "", _ctx())).json_ld()
    assert doc["@context"] == "https://schema.org" and doc["@type"] == "NewsArticle"
    assert (doc["headline"], doc["description"], doc["inLanguage"]) == (story.headline, story.summary, "az")
    assert (doc["datePublished"], doc["dateModified"]) == ("2026-12-01T09:30:00Z", "2026-12-02T14:00:00Z")
    assert doc["mainEntityOfPage"] == {"@type": "WebPage", "@id": URL} and doc["url"] == URL
    assert doc["isAccessibleForFree"] is True and doc["version"] == 2
    image = doc["image"][0]
    assert image["@type"] == "ImageObject" and image["url"] == f"{BASE}/media/abc/web.jpg"
    assert (image["width"], image["height"], image["creditText"]) == (1600, 1067, "R. Aliyev")
    for role in ("author", "publisher"):
        org = doc[role]
        assert org["@type"] == "Organization" and org["name"] == "Baku News Agency"
        assert org["url"] == "https://baku.example" and org["logo"]["url"] == f"{BASE}/media/logo"
        assert org["sameAs"] == [f"{BASE}/actors/baku"]
    assert doc["correction"] == [{"@type": "CorrectionComment", "text": "Tarix düzəldilib.",
                                  "datePublished": "2026-12-02T14:00:00Z"}]
    assert doc["workTranslation"] == [{"@id": f"{URL}?lang=en", "inLanguage": "en"}]
    assert doc["keywords"] == ["Xəzər"]


def test_story_page__translation_is_its_own_canonical_page_and_names_its_original():
    """`?lang=en`: canonical and og:url are the English page, the JSON-LD is in English with translationOfWork,
    the correction note and the words around the signature are English."""
    story = _story()
    raw = story_page(story, _versions(story), "en", _ctx())
    page = _Head(raw)
    assert [link["href"] for link in page.links if link["rel"] == "canonical"] == [f"{URL}?lang=en"]
    assert page.one("og:url") == f"{URL}?lang=en" and page.one("og:locale") == "en_US"
    assert page.one("article:modified_time") == "2026-12-03T00:00:00Z"  # the translation changed later
    doc = page.json_ld()
    assert doc["inLanguage"] == "en" and doc["headline"] == "Baku-Aktau ferry line opens"
    assert doc["translationOfWork"] == {"@id": URL, "inLanguage": "az"} and "workTranslation" not in doc
    assert doc["correction"][0]["text"] == "The date was corrected."
    text = page.visible()
    assert "Corrections" in text and "Correction: The date was corrected." in text
    assert ("Signed by Baku News Agency with key z6MkExample (Ed25519, eddsa-jcs-2022); this page shows "
            "revision 2.") in text
    assert "Feeds (English): RSS · Atom" in text


def test_story_page__the_agency_s_own_canonical_url_wins_for_the_original():
    """A story with a canonical URL on the agency's site: the original's canonical and hreflang point there."""
    story = _story(canonical_url="https://baku.example/2026/ferry")
    page = _Head(story_page(story, _versions(story), "", _ctx()))
    assert [link["href"] for link in page.links if link["rel"] == "canonical"] == ["https://baku.example/2026/ferry"]
    assert page.json_ld()["mainEntityOfPage"]["@id"] == "https://baku.example/2026/ferry"


def test_story_page__script_in_headline_stays_text_in_meta_and_inside_the_json_string():
    """A headline, summary, alt and correction carrying `</script><script>`: the page has one script element (the
    JSON-LD), its JSON reads back the exact texts, and every meta value is the text, not markup."""
    story = _story(headline=HOSTILE, summary=HOSTILE, media=[{**LEAD, "alt": {"az": HOSTILE}}])
    ctx = _ctx(corrections=[Correction(CORRECTED, {"az": HOSTILE})])
    raw = story_page(story, _versions(story)[:1], "", ctx)
    assert raw.count("<script") == 1 and raw.count("</script>") == 1
    assert raw.lower().count("<script") == 1 and "<b>" not in raw
    page = _Head(raw)
    doc = page.json_ld()
    assert doc["headline"] == HOSTILE and doc["description"] == HOSTILE
    assert doc["correction"][0]["text"] == HOSTILE and doc["image"][0]["description"] == HOSTILE
    assert page.one("og:title") == HOSTILE and page.one("og:image:alt") == HOSTILE
    assert HOSTILE in page.visible()


def test_json_ld_script__no_markup_character_is_left_in_the_data():
    """`<`, `>`, `&` and the JavaScript line separators are written as JSON escapes; the JSON is unchanged."""
    doc = {"headline": "a</script><!-- b & c \u2028 d", "n": 1}
    markup = json_ld_script(doc)
    inner = markup.removeprefix('<script type="application/ld+json">').removesuffix("</script>")
    assert not any(ch in inner for ch in "<>&\u2028")
    assert json.loads(inner) == doc


def test_story_page__without_image_or_summary_the_card_is_small_and_the_body_describes():
    """No lead image: no og:image and a `summary` card; no summary: the description is the body's start."""
    body = "<p>" + "Ferries sail between Baku and Aktau again after the storm. " * 10 + "</p>"
    story = _story(media=None, summary="", body_html=body)
    page = _Head(story_page(story, _versions(story)[:1], "", _ctx(corrections=[], signature=None)))
    assert page.all("og:image") == [] and page.one("twitter:card") == "summary"
    description = page.one("og:description")
    assert description.startswith("Ferries sail between Baku") and description.endswith("…")
    assert len(description) <= 201 and "image" not in page.json_ld()
    assert "Signed by" not in page.visible() and "correction" not in page.json_ld()


def test_gone_page__reason_and_date_in_the_story_s_language():
    """A killed Azerbaijani story: title, the agency's reason (escaped) and the date, in Azerbaijani; noindex."""
    page = _Head(gone_page(URL, "az", reason="Mənbə <script>x</script> təsdiqlənmədi",
                           deleted=datetime(2026, 12, 5, 8, 0, tzinfo=timezone.utc)))
    text = page.visible()
    assert page.html["lang"] == "az" and "Bu xəbər silinib" in text
    assert "Agentliyin izahı: Mənbə <script>x</script> təsdiqlənmədi" in text and page.scripts == []
    assert "Geri götürülmə tarixi: 5 dekabr 2026" in text
    assert page.one("robots") == "noindex"
    assert "izahı" not in _Head(gone_page(URL, "az")).visible()  # no reason given: no reason line


def _entry(n: int, language: str = "az", lead: dict[str, Any] | None = None) -> FeedEntry:
    when = datetime(2026, 12, 10 - n, tzinfo=timezone.utc)
    return FeedEntry(link=f"{BASE}/stories/{n}", language=language, headline=f"Story {n} <i>x</i>", summary="",
                     body_html="", published=when, updated=when, lead=lead)


def test_profile_page__news_media_organization_opengraph_stories_and_feeds():
    """The agency page: og:type=profile, a NewsMediaOrganization, the handle to follow (and its language
    channels'), stories in the order given (newest first) with thumbnails and their own `lang`, feeds per
    language and for all languages."""
    feeds = [FeedLink(lang, fmt, f"application/{fmt}+xml", f"{BASE}/actors/baku/feed.{fmt}?lang={lang}")
             for lang in ("az", "") for fmt in ("rss", "atom")]
    raw = profile_page(PUBLISHER, "baku", ["az", "en"], [_entry(1, lead=LEAD), _entry(2, "en")], feeds,
                       channels=[("en", "@baku_en@news.example")])
    page = _Head(raw)
    assert page.one("og:type") == "profile" and page.one("og:title") == "Baku News Agency"
    assert page.one("og:url") == f"{BASE}/actors/baku" and page.one("og:image") == f"{BASE}/media/logo"
    assert page.one("og:description") == "Azerbaijan's newswire" and page.one("profile:username") == "baku"
    assert {"rel": "alternate", "type": "application/activity+json", "href": f"{BASE}/actors/baku"} in page.links
    doc = page.json_ld()
    assert doc["@type"] == "NewsMediaOrganization" and doc["name"] == "Baku News Agency"
    assert doc["url"] == "https://baku.example" and doc["logo"]["url"] == f"{BASE}/media/logo"
    assert doc["description"] == "Azerbaijan's newswire" and doc["knowsLanguage"] == ["az", "en"]
    text = page.visible()
    assert "@baku@news.example" in text and "Son xəbərlər" in text
    assert "Və ya yalnız bir dildəki xəbərləri izləyin:" in text and "ingilis: @baku_en@news.example" in text
    assert text.index("Story 1 <i>x</i>") < text.index("Story 2 <i>x</i>") and "<i>" not in raw
    assert f'<img src="{BASE}/media/abc/thumb.jpg" alt="Aktau bərəsi" width="400" height="267"' in raw
    assert f'<a href="{BASE}/stories/2" lang="en" dir="ltr">' in raw and f'<a href="{BASE}/stories/1">' in raw
    assert "azərbaycan: RSS · Atom" in text and "bütün dillər: RSS · Atom" in text


def test_profile_page__lists_the_factcheck_channel_when_given():
    """The fact-check channel's handle is offered to follow, in the page's language, only when the agency runs one."""
    page = _Head(profile_page(PUBLISHER, "baku", ["ru"], [], [], factcheck_channel="@baku_factchecks@news.example"))
    assert "Или подпишитесь только на его фактчекинг, каждое утверждение с вердиктом: @baku_factchecks@news.example" \
        in page.visible()
    assert "_factchecks" not in profile_page(PUBLISHER, "baku", ["ru"], [], [])


def test_profile_page__no_stories_says_so():
    """An agency with no live story yet says so in its language."""
    page = _Head(profile_page(PUBLISHER, "baku", ["ru"], [], []))
    assert "Материалов пока нет." in page.visible() and page.html["lang"] == "ru"


def test_og_locale_and_excerpt__small_rules():
    """OpenGraph locales get CLDR's likely territory; an excerpt cuts at a word."""
    assert [og_locale(t) for t in ("az", "zh-Hans", "zh-Hant", "kk", "pt-BR", "not a tag", "")] == \
        ["az_AZ", "zh_CN", "zh_TW", "kk_KZ", "pt_BR", "", ""]
    assert excerpt("", "<p>one two three</p>", limit=9) == "one two…"
    assert excerpt("  Kept as is.  ", "<p>ignored</p>") == "Kept as is."
