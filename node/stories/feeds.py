"""RSS 2.0 and Atom feeds of the agency's live stories, per language, made with feedgen.

A feed holds the newest `FEED_SIZE` stories that are live: published (not killed, not still under embargo). The
feed of a language holds the stories whose original is in that language and those with an approved translation
into it, each in that language (as the story page's ``?lang=`` shows it, `node.web.story_page.story_page`); the feed
without a language holds every story in its original language. Each entry carries the headline, a link to the
story's page in the entry's language, the summary, the full sanitized body (``content:encoded`` in RSS,
``content`` in Atom), published and updated times, categories from hashtags and IPTC subjects, and the lead image
as an enclosure (its URL, byte length and media type).

`feed_entries` reads the database (on the event loop); `render` builds the XML and is CPU work for a thread.
"""

from __future__ import annotations

import functools
import html
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from tortoise.expressions import Q, Subquery

from federation.sanitize import sanitize_html
from node.stories.models import Story
from node.translation.models import StoryTranslation

__all__ = ["FEED_SIZE", "FORMATS", "FeedEntry", "FeedInfo", "feed_entries", "feed_languages", "render"]

FEED_SIZE = 50
FORMATS = {"rss": "application/rss+xml", "atom": "application/atom+xml"}
MEDIA_TOPICS = "http://cv.iptc.org/newscodes/mediatopic/"
Format = Literal["rss", "atom"]


@dataclass(frozen=True)
class FeedEntry:
    """One story in one language, as a feed shows it (plain values: rendered in a thread)."""

    link: str
    language: str
    headline: str
    summary: str
    body_html: str
    published: datetime
    updated: datetime
    hashtags: tuple[str, ...] = ()
    subjects: tuple[tuple[str, str], ...] = ()  # (code, name)
    lead: dict[str, Any] | None = None           # the story's lead image as stored (`stock.story_media`)


@dataclass(frozen=True)
class FeedInfo:
    """What a feed says about itself."""

    title: str
    description: str
    author: str
    author_uri: str
    page: str          # the agency's page (the feed's alternate link)
    self_url: str      # this feed's own URL
    tag_base: str      # hashtag category scheme (``<base>/tags/``)
    language: str = ""  # empty: every story in its original language
    updated: datetime = field(default_factory=lambda: datetime(1970, 1, 1, tzinfo=timezone.utc))


def _live() -> Q:
    """Published and not waiting for an embargo (a released story's embargo time is in the past)."""
    return Q(state="published") & (Q(embargoed_until__isnull=True)
                                   | Q(embargoed_until__lte=datetime.now(timezone.utc)))


async def feed_languages(configured: list[str]) -> list[str]:
    """Every language a feed can be asked for: the configured ones first, then the other languages of live
    stories (originals and approved translations), by tag."""
    originals = await Story.filter(_live()).distinct().values_list("language", flat=True)
    translated = await StoryTranslation.filter(status="approved", story__state="published").distinct().values_list(
        "language", flat=True)
    others = sorted({*originals, *translated} - set(configured))
    return [*configured, *others]


def _subjects(story: Story) -> tuple[tuple[str, str], ...]:
    out = []
    for subject in story.subjects or []:
        if isinstance(subject, dict) and subject.get("code"):
            out.append((str(subject["code"]), str(subject.get("name") or "")))
    return tuple(out)


async def feed_entries(story_url: Any, language: str = "", limit: int = FEED_SIZE) -> list[FeedEntry]:
    """The newest live stories, newest first; in `language` when given (original or approved translation)."""
    query = Story.filter(_live())
    if language:
        translated = StoryTranslation.filter(status="approved", language=language).values("story_id")
        query = query.filter(Q(language=language) | Q(id__in=Subquery(translated)))
    stories = await query.order_by("-published_at", "-id").limit(limit)
    translations: dict[int, StoryTranslation] = {}
    if language:
        rows = await StoryTranslation.filter(status="approved", language=language,
                                             story_id__in=[s.id for s in stories if s.language != language])
        translations = {r.story_id: r for r in rows}  # type: ignore[attr-defined]
    entries = []
    for story in stories:
        base = dict(published=story.published_at, hashtags=tuple(story.hashtags or ()), subjects=_subjects(story),
                    lead=next((m for m in story.media or () if m.get("lead")), None))
        row = translations.get(story.id)
        if row is not None:
            entries.append(FeedEntry(link=f"{story_url(story.uuid)}?lang={row.language}", language=row.language,
                                     headline=row.headline, summary=row.summary, body_html=row.body_html,
                                     updated=max(row.updated_at, story.published_at), **base))
        else:
            entries.append(FeedEntry(link=story_url(story.uuid), language=story.language, headline=story.headline,
                                     summary=story.summary, body_html=story.body_html,
                                     updated=story.updated_at or story.published_at, **base))
    return entries


@functools.cache
def _atom_links() -> type:
    """The feedgen entry extension that writes an Atom entry's links. Made at the first feed rendered: feedgen
    (with lxml and dateutil) is imported then, not at start-up."""
    from feedgen.ext.base import BaseEntryExtension

    class _AtomLinks(BaseEntryExtension):  # type: ignore[misc]
        """Writes an Atom entry's links itself: feedgen 1.0.0 drops their ``rel``, ``type`` and ``length`` (its
        ``atom_entry`` rebinds the loop variable to the new element before reading them), which would turn the
        enclosure into a plain alternate link."""

        def __init__(self) -> None:
            self.links: list[dict[str, str]] = []

        def extend_atom(self, entry: Any) -> Any:
            for old in entry.findall("link"):
                entry.remove(old)
            for link in self.links:
                element = entry.makeelement("link", {k: v for k, v in link.items() if v})
                entry.append(element)
            return entry

    return _AtomLinks


def _content(entry: FeedEntry) -> str:
    """The body, sanitized again (translations come from reviewers and engines), after the lead image with its
    alt text in the entry's language (feed readers that ignore enclosures show the picture)."""
    body = sanitize_html(entry.body_html)
    lead = entry.lead
    if not lead:
        return body
    alt = lead.get("alt") or {}
    text = alt.get(entry.language) or next((t for t in alt.values() if t), "")
    return f'<p><img src="{html.escape(lead["url"])}" alt="{html.escape(text)}"></p>{body}'


def render(info: FeedInfo, entries: list[FeedEntry], fmt: Format) -> bytes:
    """The feed as RSS 2.0 or Atom 1.0 bytes (UTF-8). The same input gives the same bytes (no build time)."""
    from feedgen.feed import FeedGenerator  # imported at the first feed, not at start-up (see _atom_links)

    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)  # dc:creator: RSS's own <author> must be an e-mail address
    fg.id(info.self_url)
    fg.title(info.title)
    fg.subtitle(info.description)  # Atom subtitle; RSS description
    fg.author(name=info.author, uri=info.author_uri)
    fg.link(href=info.self_url, rel="self", type=FORMATS[fmt])
    fg.link(href=info.page, rel="alternate", type="text/html")  # last: feedgen takes RSS's <link> from it
    fg.generator("Agency Node", uri=None, version=None)
    if info.language:
        fg.language(info.language)
    newest = max([info.updated, *(e.updated for e in entries)])
    fg.updated(newest)
    fg.lastBuildDate(newest)  # feedgen's default is now, which would change the bytes (and the ETag) each build
    for entry in entries:
        fe = fg.add_entry(order="append")  # feedgen prepends by default
        fe.id(entry.link)
        fe.guid(entry.link, permalink=True)
        fe.title(entry.headline)
        fe.register_extension("atom_links", _atom_links(), atom=True, rss=False)
        links = [{"href": entry.link, "rel": "alternate", "type": "text/html", "hreflang": entry.language}]
        fe.link(links[0])  # RSS's <link>
        if entry.summary:
            fe.summary(entry.summary)
        fe.content(_content(entry), type="html")
        fe.published(entry.published)
        fe.updated(entry.updated)
        fe.dc.dc_creator(info.author)
        for tag in entry.hashtags:
            fe.category(term=tag, scheme=info.tag_base, label=f"#{tag}")
        for code, name in entry.subjects:
            fe.category(term=code, scheme=MEDIA_TOPICS, label=name or code)
        if entry.lead:
            enclosure = {"href": entry.lead["url"], "rel": "enclosure", "type": entry.lead["media_type"],
                         "length": str(int(entry.lead["size"]))}
            fe.enclosure(enclosure["href"], enclosure["length"], enclosure["type"])  # RSS's <enclosure>
            links.append(enclosure)
        fe.atom_links.links = links
    if fmt == "rss":
        return fg.rss_str(pretty=False)
    return fg.atom_str(pretty=False)
