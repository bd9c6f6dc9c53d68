"""Has anyone in our network checked this? Matching a text, a URL or a wire story against the claim index.

`check(urls, text_or_url)` answers for anything an editor pastes (``agency-node check``, ``POST /api/check``);
every wire story is checked as it arrives (its text and every link in it), and what matched is kept with it
(`WireStoryMatch`) and shown with it (`matches_for_wire_story`: the wire story API, the desk). Every fact-check
that matches is returned, each with its agency and verdict: a partner's check of the same claim with another
verdict comes out beside ours, never merged.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any, Iterable

from federation.sanitize import html_to_text
from federation.vocab import LocalUrls, iso
from node.factchecks import index_registry
from node.factchecks.documents import factcheck_url
from node.factchecks.endorsements import endorsements_of
from node.factchecks.index import ClaimIndex, Hit
from node.factchecks.models import FactCheck, StoryMatch, WireFactCheck, WireStoryMatch
from node.stories.models import Story
from node.wire.models import WireStory
from schemas.factcheck import VERDICTS, normalize_url

__all__ = ["check", "check_wire_story", "describe", "links_in", "own_story_hits", "matches_for_wire_story", "on_wire_story", "rematch_recent",
           "wire_story_extra"]

_BARE_URL = re.compile(r"https?://[^\s<>\"'()\[\]]+")
MAX_LINKS = 200
RECENT_STORIES = 300  # how far back on the wire a new fact-check looks for stories it matches


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links += [v for k, v in attrs if k == "href" and v]


def links_in(html: str, *extra: str) -> list[str]:
    """The http(s) links of an HTML text (hrefs and bare URLs) plus `extra` ones, each once, in order."""
    parser = _Links()
    parser.feed(html or "")
    found = parser.links + _BARE_URL.findall(html_to_text(html or "")) + list(extra)
    return list(dict.fromkeys(u.rstrip(".,;:") for u in found if normalize_url(u)))[:MAX_LINKS]


async def describe(urls: LocalUrls, hits: Iterable[Hit]) -> list[dict[str, Any]]:
    """Each hit with the fact-check's agency, verdict, claim and endorsements (the best hit per fact-check)."""
    best: dict[str, Hit] = {}
    for h in hits:
        if h.uri not in best or (best[h.uri].how, best[h.uri].score) < (h.how, h.score):
            best[h.uri] = h  # a URL match beats a text one ("url" > "text")
    if not best:
        return []
    own_prefix = factcheck_url(urls, "")
    own = {factcheck_url(urls, f.uuid): f for f in await FactCheck.filter(
        state="published", uuid__in=[u[len(own_prefix):] for u in best if u.startswith(own_prefix)])}
    wire = {w.uri: w for w in await WireFactCheck.filter(uri__in=list(best), state="live").prefetch_related(
        "actor")}
    endorsed = await endorsements_of(list(best))
    out = []
    for uri, hit in best.items():
        if uri in own:
            f = own[uri]
            item = {"agency": None, "agency_name": "", "own": True, "verdict": f.verdict,  # ours: this agency
                    "claim": f.claim_text, "claim_language": f.claim_language, "published": iso(f.published_at),
                    "urgent": f.urgent}
        elif uri in wire:
            w = wire[uri]
            item = {"agency": w.actor.uri, "agency_name": w.actor.name or w.actor.handle, "own": False,
                    "verdict": w.verdict, "claim": w.claim_text, "claim_language": w.claim_language,
                    "published": iso(w.published_at) if w.published_at else None,
                    "urgent": (w.urgency or 9) <= 2, "proof": w.proof_status}
        else:
            continue  # withdrawn meanwhile
        verdict = VERDICTS.get(item["verdict"])
        out.append({"factcheck": uri, "url": uri, **item, "label": verdict.label if verdict else item["verdict"],
                    "match": {"how": hit.how, "score": hit.score, "on": hit.matched},
                    "endorsements": len(endorsed.get(uri, [])), "endorsed_by": endorsed.get(uri, [])})
    out.sort(key=lambda m: (m["match"]["how"] != "url", -m["match"]["score"], m["factcheck"]))
    return out


async def check(urls: LocalUrls, text_or_url: str) -> dict[str, Any]:
    """Every fact-check this node has that matches: a URL (the claim appeared there) or a text (it repeats the
    claim, in any language the fact-check has); for a text, the links in it are checked too."""
    index = await index_registry.index_for(urls)
    query = text_or_url.strip()
    hits: list[Hit] = []
    if normalize_url(query) and not any(c.isspace() for c in query):
        hits += index.match_url(query)
    else:
        for link in links_in(query):
            hits += index.match_url(link)
        hits += index.match_text(html_to_text(query) if "<" in query else query)
    return {"query": query[:2000], "indexed": len(index), "matches": await describe(urls, hits)}


def _story_hits(index: ClaimIndex, story: WireStory) -> list[Hit]:
    if not index.can_match():
        return []
    obj = story.object if isinstance(story.object, dict) else {}
    htmls = [story.content_html] + [str(v) for v in (obj.get("contentMap") or {}).values()]
    # The same HTML (the content and its contentMap entry, usually) gives the same text: converted once.
    texts = [story.headline, story.summary] + [html_to_text(h) for h in dict.fromkeys(htmls)]
    hits: list[Hit] = []
    for link in links_in(" ".join(htmls), story.url):
        hits += index.match_url(link)
    hits += index.match_text("\n".join(dict.fromkeys(t for t in texts if t)))
    return hits


async def _keep(story: WireStory, hits: list[Hit]) -> None:
    for hit in hits:
        row, created = await WireStoryMatch.get_or_create(
            wire_story_id=story.id, factcheck_uri=hit.uri,
            defaults={"how": hit.how, "score": hit.score, "matched": hit.matched[:1000]})
        if not created and (row.how, row.score) < (hit.how, hit.score):
            await WireStoryMatch.filter(id=row.id).update(how=hit.how, score=hit.score, matched=hit.matched[:1000])


async def check_wire_story(urls: LocalUrls, story: WireStory) -> list[Hit]:
    """Check a wire story (its headline, summary and text in every language, and every link in it) and keep
    what matched with it; returns the hits."""
    hits = _story_hits(await index_registry.index_for(urls), story)
    await _keep(story, hits)
    return hits


async def rematch_recent(urls: LocalUrls, uri: str, limit: int = RECENT_STORIES) -> int:
    """A fact-check arrived or changed: check the newest `limit` live wire stories, and our newest `limit`
    published stories, against it alone (stories that came before it are flagged too); returns how many matched."""
    check = await index_registry.indexed_of(urls, uri)
    if check is None:
        return 0
    single = ClaimIndex.build([check])
    matched = 0
    for story in await WireStory.filter(state="live").order_by("-id").limit(limit):
        hits = _story_hits(single, story)
        if hits:
            await _keep(story, hits)
            matched += 1
    for own in await Story.filter(state="published").order_by("-id").limit(limit):
        hits = own_story_hits(single, own)
        for hit in hits:  # our own stories too: kept as when they were published (story_matches.py)
            await StoryMatch.get_or_create(story_id=own.id, factcheck_uri=hit.uri, defaults={
                "how": hit.how, "score": hit.score, "matched": hit.matched[:1000]})
        matched += bool(hits)
    return matched


def own_story_hits(index: ClaimIndex, story: Story) -> list[Hit]:
    """What one of our stories (headline, summary, body, every link in it, its canonical URL) matches."""
    hits: list[Hit] = []
    for link in links_in(story.body_html or "", *([story.canonical_url] if story.canonical_url else [])):
        hits += index.match_url(link)
    text = "\n".join(t for t in (story.headline, story.summary, html_to_text(story.body_html or "")) if t)
    return hits + index.match_text(text)


async def matches_for_wire_story(urls: LocalUrls, story: WireStory | str) -> list[dict[str, Any]]:
    """The fact-checks kept with a wire story (given as a row or by its id), each with its agency, verdict,
    endorsements and how it matched; withdrawn fact-checks are left out."""
    if isinstance(story, str):
        row = await WireStory.get_or_none(uri=story)
        if row is None:
            return []
        story = row
    kept = await WireStoryMatch.filter(wire_story_id=story.id)
    return await describe(urls, [Hit(m.factcheck_uri, m.how, m.score, m.matched) for m in kept])


async def on_wire_story(fed: Any, story: WireStory) -> None:
    """The wire's stored-story hook (node/wire/hooks.py): check the story as it arrives or changes."""
    if story.state == "live":
        await check_wire_story(fed.urls, story)


async def wire_story_extra(story: WireStory, base_url: str) -> dict[str, Any]:
    """The wire story API's extra member ``factchecks`` (node/wire/hooks.py)."""
    return {"factchecks": await matches_for_wire_story(LocalUrls(base_url), story)}
