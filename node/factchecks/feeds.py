"""Feeds of the agency's fact-checks: RSS 2.0 and Atom (rendered by the story feeds' `render`, feedgen) and
JSON Feed 1.1, at ``/actors/<handle>/factchecks.{rss,atom,json}``. Each entry states the verdict in its title."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from aiohttp import web

from federation.vocab import LocalUrls, iso
from node.factchecks.documents import factcheck_url, languages_of
from node.factchecks.models import FactCheck, FactCheckTranslation
from node.stories.feeds import FeedEntry, FeedInfo, render
from node.web.keys import NODE
from schemas.factcheck import VERDICTS, content_html, verdict_summary, verdict_title

__all__ = ["json_feed", "routes", "factcheck_entries"]

FEED_SIZE = 50
JSON_FEED = "application/feed+json"


async def factcheck_entries(urls: LocalUrls, limit: int = FEED_SIZE) -> list[FeedEntry]:
    """The newest published fact-checks, newest first, each in its own language."""
    rows = await FactCheck.filter(state="published").order_by("-published_at", "-id").limit(limit)
    translations: dict[int, list[FactCheckTranslation]] = {}
    for t in await FactCheckTranslation.filter(status="approved", factcheck_id__in=[r.id for r in rows]):
        translations.setdefault(t.factcheck_id, []).append(t)  # type: ignore[attr-defined]
    entries = []
    for fc in rows:
        claims, explanations = languages_of(fc, translations.get(fc.id, []))
        claim = claims.get(fc.language, fc.claim_text)
        explanation = explanations[fc.language]
        entries.append(FeedEntry(
            link=factcheck_url(urls, fc.uuid), language=fc.language, headline=verdict_title(fc.verdict, claim),
            summary=verdict_summary(fc.verdict, explanation),
            body_html=content_html(claim=claim, verdict=fc.verdict, explanation=explanation,
                                   evidence=fc.evidence or (), labels={}),
            published=fc.published_at, updated=fc.updated_at or fc.published_at,
            hashtags=("FactCheck", VERDICTS[fc.verdict].label.replace(" ", ""))))
    return entries


def json_feed(info: FeedInfo, entries: list[FeedEntry]) -> dict[str, Any]:
    """The JSON Feed 1.1 document (jsonfeed.org/version/1.1)."""
    return {"version": "https://jsonfeed.org/version/1.1", "title": info.title, "home_page_url": info.page,
            "feed_url": info.self_url, "description": info.description,
            "authors": [{"name": info.author, "url": info.author_uri}],
            "items": [{"id": e.link, "url": e.link, "title": e.headline, "summary": e.summary,
                       "content_html": e.body_html, "language": e.language, "date_published": iso(e.published),
                       "date_modified": iso(e.updated), "tags": list(e.hashtags)} for e in entries]}


async def feed(request: web.Request) -> web.Response:
    node = request.app[NODE]
    if request.match_info["username"] != node.agency:
        raise web.HTTPNotFound()
    fmt = request.match_info["format"]
    base = f"{node.urls.actor(node.agency)}/factchecks"
    info = FeedInfo(title=f"{node.config.agency.name}: fact-checks",
                    description=f"Claims checked by {node.config.agency.name}, with their verdicts",
                    author=node.config.agency.name, author_uri=node.urls.actor(node.agency),
                    page=node.urls.actor(node.agency), self_url=f"{base}.{fmt}", tag_base=f"{node.urls.base_url}/tags/")
    entries = await factcheck_entries(node.urls)
    if fmt == "json":
        return web.Response(body=orjson.dumps(json_feed(info, entries)), content_type=JSON_FEED)
    body = await asyncio.to_thread(render, info, entries, fmt)  # type: ignore[arg-type]
    return web.Response(body=body, content_type="application/rss+xml" if fmt == "rss" else "application/atom+xml")


def routes() -> list[web.RouteDef]:
    return [web.get(r"/actors/{username}/factchecks.{format:rss|atom|json}", feed)]
