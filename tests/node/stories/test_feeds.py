"""The agency's RSS and Atom feeds on a real loopback node: live stories only, per language, the lead image as an
enclosure, conditional GETs, and the links from the agency's page."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from tests.node.media.test_stock_api import png
from tests.nodes import TOKEN, node_config, node_on, running_node

AUTH = {"Authorization": f"Bearer {TOKEN}"}
NS = {"atom": "http://www.w3.org/2005/Atom", "content": "http://purl.org/rss/1.0/modules/content/",
      "dc": "http://purl.org/dc/elements/1.1/"}

PHOTO_STORY = {"headline": "Bakı-Aktau bərə xətti yenidən açılır", "summary": "Bazar ertəsi reyslər bərpa olunur.",
               "body": "<p>Bakı ilə Aktau arasında bərə xətti yenidən açılır.</p>", "language": "az",
               "hashtags": ["Xəzər"], "subjects": ["medtop:04000000"]}
EN = {"language": "en", "headline": "Baku-Aktau ferry line reopens", "summary": "Crossings resume on Monday.",
      "body": "<p>The ferry line between Baku and Aktau reopens.</p>", "translator": "Leyla Mammadova"}
HOSTILE = {"headline": "Liman <b>bağlanır</b> & açılır", "summary": "Fırtına keçir", "language": "az",
           "body": "<p>Gəmilər yenə üzür.</p><script>alert('feed')</script><p onclick=\"alert(2)\">Bildiriş.</p>"}
KILLED = {"headline": "Yanlış xəbər", "summary": "Geri çəkildi", "language": "az", "body": "<p>Səhv məlumat.</p>"}
EMBARGOED = {"headline": "Embarqolu xəbər", "summary": "Hələ yox", "language": "az", "body": "<p>Sabah.</p>"}


async def _get(baku: Any, path: str, **headers: str) -> tuple[int, bytes, Any]:
    async with baku.session.get(baku.base_url + path, headers=headers) as resp:
        return resp.status, await resp.read(), resp.headers


async def _newsroom(baku: Any) -> dict[str, Any]:
    """A photo story translated into English, a story with a script in its body, a killed and an embargoed one."""
    photo = png(4, 3)
    async with baku.session.post(baku.base_url + "/api/media", data=photo, params={"alt": "Aktau bərəsi limanda",
                                 "language": "az", "alt.en": "The Aktau ferry in port"},
                                 headers={**AUTH, "Content-Type": "application/octet-stream"}) as resp:
        assert resp.status == 201
        item = await resp.json()
    status, story = await baku.api("POST", "/api/stories", {**PHOTO_STORY, "image": item["id"]})
    assert status == 201, story
    status, doc = await baku.api("POST", f"/api/stories/{story['id']}/translations", EN)
    assert status == 201, doc
    status, doc = await baku.api("POST", f"/api/stories/{story['id']}/translations/en/approve",
                                 {"reviewer": "Nigar Aliyeva"})
    assert status == 200, doc
    status, hostile = await baku.api("POST", "/api/stories", HOSTILE)
    assert status == 201, hostile
    status, killed = await baku.api("POST", "/api/stories", KILLED)
    assert status == 201, killed
    status, doc = await baku.api("POST", f"/api/stories/{killed['id']}/kill", {"reason": "wrong facts"})
    assert status == 200 and doc["state"] == "deleted", doc
    until = datetime.now(timezone.utc) + timedelta(days=1)
    status, embargoed = await baku.api("POST", "/api/stories", {**EMBARGOED, "embargoed_until": until.isoformat()})
    assert status == 201 and embargoed["state"] == "scheduled", embargoed
    return {"photo": photo, "item": item, "story": story, "hostile": hostile, "killed": killed,
            "embargoed": embargoed}


def _node(tmp_path):  # noqa: ANN202
    config = node_config(tmp_path, "baku", languages=["az"], summary="Azerbaijan's newswire")
    return running_node(tmp_path, "baku", config=config)


async def test_feeds__rss_lists_live_stories_with_the_lead_image_as_enclosure(tmp_path):
    """The RSS feed parses, lists the live stories newest first with content:encoded and categories, gives the
    photo story its image as an enclosure (URL, byte length, type), and holds no killed or embargoed story and
    no unescaped script."""
    async with _node(tmp_path) as baku:
        made = await _newsroom(baku)
        status, body, headers = await _get(baku, "/actors/baku/feed.rss")
        assert status == 200 and headers["Content-Type"] == "application/rss+xml; charset=utf-8"
        assert b"<script" not in body and b"onclick" not in body
        channel = ET.fromstring(body).find("channel")
        assert channel.findtext("title") == "Baku News Agency"
        assert channel.findtext("link") == baku.actor_id
        self_link = channel.find("atom:link[@rel='self']", NS)
        assert self_link.get("href") == f"{baku.actor_id}/feed.rss"
        items = channel.findall("item")
        links = [i.findtext("link") for i in items]
        assert links == [f"{baku.base_url}/stories/{made[k]['id']}" for k in ("hostile", "story")]
        hostile, photo = items
        assert hostile.findtext("title") == "Liman bağlanır & açılır"
        assert "<script" not in hostile.findtext("content:encoded", namespaces=NS)
        assert "Bildiriş" in hostile.findtext("content:encoded", namespaces=NS)
        assert hostile.find("enclosure") is None
        enclosure = photo.find("enclosure")
        assert enclosure.attrib == {"url": made["item"]["url"], "length": str(len(made["photo"])),
                                    "type": "image/png"}
        assert photo.findtext("description") == PHOTO_STORY["summary"]
        assert PHOTO_STORY["body"] in photo.findtext("content:encoded", namespaces=NS)
        assert photo.findtext("guid") == links[1] and photo.findtext("pubDate")
        assert {c.text for c in photo.findall("category")} == {"#Xəzər", "economy, business and finance"}
        async with baku.session.get(enclosure.get("url")) as resp:  # the enclosure really is that file
            assert resp.status == 200 and await resp.read() == made["photo"]


@pytest.mark.postgres
async def test_feeds__atom_per_language_gives_the_approved_translation(tmp_path, database_url):
    """?lang=en holds only the story translated into English, in English, linked to its English page; the
    original-language feed holds the original; Atom carries content, summary, self link and the enclosure."""
    async with node_on(tmp_path, "baku", database_url, languages=["az"], summary="Azerbaijan's newswire") as baku:
        made = await _newsroom(baku)
        status, body, headers = await _get(baku, "/actors/baku/feed.atom?lang=en")
        assert status == 200 and headers["Content-Type"] == "application/atom+xml; charset=utf-8"
        feed = ET.fromstring(body)
        assert feed.find("atom:link[@rel='self']", NS).get("href") == f"{baku.actor_id}/feed.atom?lang=en"
        (entry,) = feed.findall("atom:entry", NS)
        assert entry.findtext("atom:title", namespaces=NS) == EN["headline"]
        assert entry.findtext("atom:summary", namespaces=NS) == EN["summary"]
        content = entry.find("atom:content", NS)
        assert content.get("type") == "html" and EN["body"] in content.text
        assert 'alt="The Aktau ferry in port"' in content.text  # the lead image's alt text in English
        page = entry.find("atom:link[@rel='alternate']", NS)
        assert page.get("href") == f"{baku.base_url}/stories/{made['story']['id']}?lang=en"
        enclosure = entry.find("atom:link[@rel='enclosure']", NS)
        assert (enclosure.get("href"), enclosure.get("length"), enclosure.get("type")) == (
            made["item"]["url"], str(len(made["photo"])), "image/png")
        assert entry.findtext("atom:published", namespaces=NS) and entry.findtext("atom:updated", namespaces=NS)

        _, body, _ = await _get(baku, "/actors/baku/feed.atom?lang=az")
        titles = [e.findtext("atom:title", namespaces=NS) for e in ET.fromstring(body).findall("atom:entry", NS)]
        assert titles == ["Liman bağlanır & açılır", PHOTO_STORY["headline"]]
        assert KILLED["headline"] not in body.decode() and EMBARGOED["headline"] not in body.decode()

        status, body, headers = await _get(baku, "/actors/baku/feed.rss?lang=fr")
        assert status == 404 and headers["Content-Type"] == "application/problem+json"
        assert (await _get(baku, "/actors/baku/feed.rss?lang=not a tag"))[0] == 404
        assert (await _get(baku, "/actors/nobody/feed.rss"))[0] == 404


async def test_feeds__conditional_get_answers_304_until_the_feed_changes(tmp_path):
    """If-None-Match with the feed's ETag gets a 304 without a body; a newly killed story changes the feed, so
    the old ETag and Last-Modified then get the new feed."""
    async with _node(tmp_path) as baku:
        made = await _newsroom(baku)
        status, body, headers = await _get(baku, "/actors/baku/feed.rss")
        etag, modified = headers["ETag"], headers["Last-Modified"]
        status, again, headers = await _get(baku, "/actors/baku/feed.rss", **{"If-None-Match": etag})
        assert status == 304 and again == b"" and headers["ETag"] == etag
        assert (await _get(baku, "/actors/baku/feed.rss", **{"If-Modified-Since": modified}))[0] == 304
        assert (await _get(baku, "/actors/baku/feed.rss", **{"If-None-Match": '"other"'}))[0] == 200

        status, _ = await baku.api("POST", f"/api/stories/{made['hostile']['id']}/kill", {"reason": "libel"})
        assert status == 200
        status, body, headers = await _get(baku, "/actors/baku/feed.rss", **{"If-None-Match": etag})
        assert status == 200 and headers["ETag"] != etag and HOSTILE["body"][:20].encode() not in body
        assert len(ET.fromstring(body).findall("channel/item")) == 1
        status, _, _ = await _get(baku, "/actors/baku/feed.rss", **{"If-Modified-Since": modified})
        assert status == 200


class _Head(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # Feed links only: the page's other alternate is its ActivityPub actor (application/activity+json).
        if tag == "link" and dict(attrs).get("rel") == "alternate" and "xml" in (dict(attrs).get("type") or ""):
            self.links.append(dict(attrs))


async def test_feeds__agency_page_links_a_feed_pair_per_language(tmp_path):
    """The agency's HTML page has an RSS and an Atom alternate link for each language, each of which serves."""
    async with _node(tmp_path) as baku:
        await _newsroom(baku)
        status, page, _ = await _get(baku, "/actors/baku", Accept="text/html")
        assert status == 200
        head = _Head()
        head.feed(page.decode())
        found = {(link["type"], link["hreflang"]): link for link in head.links}
        assert set(found) == {(t, lang) for t in ("application/rss+xml", "application/atom+xml")
                              for lang in ("az", "en")}
        assert found[("application/atom+xml", "en")]["href"] == f"{baku.actor_id}/feed.atom?lang=en"
        assert found[("application/rss+xml", "az")]["title"] == "Baku News Agency (azərbaycan), RSS"
        for link in head.links:
            status, body, headers = await _get(baku, link["href"].removeprefix(baku.base_url))
            assert status == 200 and headers["Content-Type"].startswith(link["type"])
