"""The agency's RSS and Atom feeds over HTTP, and the links to them from its page.

``GET /actors/<handle>/feed.rss`` and ``/actors/<handle>/feed.atom`` give every live story in its original
language; ``?lang=<tag>`` (BCP 47, e.g. ``?lang=en``, ``?lang=zh-Hans``) gives the stories in that language, the
same query the story pages take. A language the agency neither configures nor has a live story in is a 404 problem.
What a feed holds is `node.stories.feeds`.

Feeds are built once per `DocumentCache` expiry (an editor's write empties it) and answered with an ``ETag`` (the
hash of the bytes) and a ``Last-Modified``; ``If-None-Match`` and ``If-Modified-Since`` get a 304. Last-Modified is
the time this process first served these exact bytes, not the newest story's time: a kill, a released embargo
(its story may be dated earlier) or a withdrawn translation changes a feed without making any entry newer, and a
reader asking only ``If-Modified-Since`` must then get the new feed, not a 304.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import time
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any

import orjson
from aiohttp import web

from node.runtime import Node
from node.stories import feeds
from node.web.keys import DOCUMENTS, NODE
from node.web.problems import ProblemError
from schemas.languages import display_name, normalize_tag

__all__ = ["alternate_links", "feed_url", "routes", "served_languages"]

_SEEN_MAX = 1024
# (base URL, format, language) -> (ETag, first served at, epoch seconds): see the module docstring.
_first_served: dict[tuple[str, str, str], tuple[str, float]] = {}


def feed_url(node: Node, fmt: str, language: str = "") -> str:
    """The public URL of one of the agency's feeds."""
    url = f"{node.urls.actor(node.agency)}/feed.{fmt}"
    return f"{url}?lang={language}" if language else url


async def served_languages(request: web.Request) -> list[str]:
    """The languages feeds exist in, configured ones first (cached with the documents)."""
    node, cache = request.app[NODE], request.app[DOCUMENTS]

    async def build() -> tuple[int, bytes]:
        configured = list(node.config.agency.languages or [])
        return 200, orjson.dumps(await feeds.feed_languages(configured))

    _, body = await cache.get_or_build(("feed-languages",), build)
    return orjson.loads(body)


async def alternate_links(request: web.Request) -> str:
    """``<link rel="alternate">`` elements for the agency's page: an RSS and an Atom feed per language."""
    node = request.app[NODE]
    name = node.config.agency.name
    links = []
    for language in await served_languages(request):
        title = f"{name} ({display_name(language, language)})"
        for fmt, label in (("rss", "RSS"), ("atom", "Atom")):
            links.append(f'<link rel="alternate" type="{feeds.FORMATS[fmt]}" hreflang="{html.escape(language)}" '
                         f'title="{html.escape(f"{title}, {label}")}" '
                         f'href="{html.escape(feed_url(node, fmt, language))}">')
    return "".join(links)


async def _build(node: Node, fmt: str, language: str) -> tuple[int, bytes]:
    agency = node.config.agency
    key = node.keys.get(node.agency)
    info = feeds.FeedInfo(
        title=f"{agency.name} ({display_name(language, language)})" if language else agency.name,
        description=agency.summary or f"Stories of {agency.name}", author=agency.name,
        author_uri=node.urls.actor(node.agency), page=node.urls.actor(node.agency),
        self_url=feed_url(node, fmt, language), tag_base=node.urls.tag(""), language=language,
        **({"updated": key.created_at} if key is not None and key.created_at else {}))
    entries = await feeds.feed_entries(node.urls.story, language)
    # Sanitizing 50 bodies and serialising the XML is CPU work: off the event loop.
    body = await asyncio.get_running_loop().run_in_executor(None, feeds.render, info, entries, fmt)
    return 200, body


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _last_modified(key: tuple[str, str, str], etag: str) -> float:
    seen = _first_served.get(key)
    if seen is not None and seen[0] == etag:
        return seen[1]
    now = float(int(time.time()))
    if seen is not None:
        now = max(now, seen[1] + 1)  # HTTP dates have whole seconds: a change must move the date
    if len(_first_served) >= _SEEN_MAX:
        _first_served.clear()
    _first_served[key] = (etag, now)
    return now


def _not_modified(request: web.Request, etag: str, modified: float) -> bool:
    """RFC 9110 13.2.2: If-None-Match (weak comparison) decides when present, else If-Modified-Since."""
    if request.headers.get("If-None-Match") is not None:
        return any(e.value == "*" or f'"{e.value}"' == etag for e in request.if_none_match or ())
    since = request.if_modified_since
    return since is not None and modified <= since.timestamp()


async def feed(request: web.Request) -> web.Response:
    """The agency's feed in RSS 2.0 or Atom, optionally of one language."""
    node = request.app[NODE]
    if request.match_info["username"] != node.agency:
        raise ProblemError(404, "No such feed", "feeds are served for the agency's own actor")
    fmt = request.match_info["format"]
    language = request.query.get("lang", "")
    if language:
        try:
            language = normalize_tag(language)
        except ValueError as exc:
            raise ProblemError(404, "No such feed", str(exc)) from None
        if language not in await served_languages(request):
            raise ProblemError(404, "No such feed", f"no stories in {language} here")
    _, body = await request.app[DOCUMENTS].get_or_build(("feed", fmt, language),
                                                         lambda: _build(node, fmt, language))
    etag = _etag(body)
    modified = _last_modified((node.urls.base_url, fmt, language), etag)
    headers = {"ETag": etag, "Last-Modified": format_datetime(datetime.fromtimestamp(modified, timezone.utc),
                                                               usegmt=True),
               # Readers revalidate each time (a 304 is cheap): a killed story must not linger in their caches.
               "Cache-Control": "public, no-cache"}
    if _not_modified(request, etag, modified):
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, headers={**headers, "Content-Type": f"{feeds.FORMATS[fmt]}; charset=utf-8"})


def routes() -> list[web.RouteDef]:
    return [web.get(r"/actors/{username}/feed.{format:rss|atom}", feed)]
