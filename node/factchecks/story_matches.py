"""The fact-checks our own stories match, kept with the story: an editor sees them while composing (the desk's
compose page checks the text as it is written), and they stay with the published story (My stories, the story's
desk page, `factchecks` in `GET /api/stories/<uuid>`) as wire stories keep theirs (`WireStoryMatch`).

Checked each time a story is published or changed, from any entry point (the desk, the API, the CLI, a ninjs
import): `keep` is one of the node's story hooks (node/runtime.py), run in the publishing transaction.
"""

from __future__ import annotations

from typing import Any

from federation.vocab import LocalUrls
from node.factchecks import index_registry
from node.factchecks.index import Hit
from node.factchecks.matching import describe, own_story_hits
from node.factchecks.documents import factcheck_url
from node.factchecks.models import FactCheck, StoryMatch, WireFactCheck
from node.stories.models import Story

__all__ = ["keep", "match_counts", "matches_for_story"]


async def keep(urls: LocalUrls, story: Story, connection: Any = None) -> list[Hit]:
    """Check a story of ours (headline, summary, body and every link in it, its canonical URL) against the claim
    index and keep what it matches now, in place of what its earlier version matched; returns the hits."""
    hits = own_story_hits(await index_registry.index_for(urls), story)
    best: dict[str, Hit] = {}
    for h in hits:
        if h.uri not in best or (best[h.uri].how, best[h.uri].score) < (h.how, h.score):
            best[h.uri] = h
    await StoryMatch.filter(story_id=story.id).using_db(connection).delete()
    if best:
        await StoryMatch.bulk_create([StoryMatch(story_id=story.id, factcheck_uri=h.uri, how=h.how, score=h.score,
                                                 matched=h.matched[:1000]) for h in best.values()],
                                     using_db=connection)
    return list(best.values())


async def matches_for_story(urls: LocalUrls, story: Story) -> list[dict[str, Any]]:
    """The fact-checks kept with one of our stories, each with its agency, verdict, endorsements and how it
    matched (the shape of `matching.check`); withdrawn fact-checks are left out."""
    kept = await StoryMatch.filter(story_id=story.id)
    return await describe(urls, [Hit(m.factcheck_uri, m.how, m.score, m.matched) for m in kept])


async def match_counts(urls: LocalUrls, story_ids: list[int]) -> dict[int, int]:
    """How many live fact-checks each of these stories matched (for lists: My stories)."""
    rows = await StoryMatch.filter(story_id__in=story_ids).values_list("story_id", "factcheck_uri")
    uris = {uri for _, uri in rows}
    prefix = factcheck_url(urls, "")
    live = {factcheck_url(urls, u) for u in await FactCheck.filter(
        state="published", uuid__in=[u[len(prefix):] for u in uris if u.startswith(prefix)]).values_list(
        "uuid", flat=True)}
    live |= set(await WireFactCheck.filter(uri__in=list(uris), state="live").values_list("uri", flat=True))
    counts: dict[int, int] = {}
    for sid, uri in rows:
        if uri in live:
            counts[sid] = counts.get(sid, 0) + 1
    return counts
