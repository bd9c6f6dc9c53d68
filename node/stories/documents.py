"""The documents a story becomes: the multilingual Article partner nodes get, and the single-language Article a
language channel publishes for social-network readers.

Partner nodes get every approved language in `nameMap`/`summaryMap`/`contentMap` (the original first, and in the
plain `name`/`summary`/`content` as before) plus `languageProvenance` (schemas.provenance). Mastodon and its
peers read one language per post (INTEROP.md), so a channel's object has single-key maps equal to the plain
fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable

from federation.vocab import OBJECT_CONTEXT, article, iso
from node.stories.models import Story
from node.translation.models import StoryTranslation
from schemas.provenance import PROVENANCE_TERMS, provenance_record

__all__ = ["LanguageVersion", "channel_object", "channel_username", "language_versions", "original_version", "story_document",
           "wire_context"]


def iso_ms(dt: datetime) -> str:
    """RFC 3339 UTC with milliseconds: several Updates of one story within a second stay in order, so a
    receiver can drop one that arrives after a newer one (xsd:dateTime allows the fraction)."""
    return dt.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def wire_context() -> list[Any]:
    """The object context with our provenance terms defined inline (no remote context to fetch)."""
    base, *rest = OBJECT_CONTEXT
    inline = {k: v for extra in rest if isinstance(extra, dict) for k, v in extra.items()}
    return [base, {**inline, **PROVENANCE_TERMS}]


@dataclass(frozen=True)
class LanguageVersion:
    """One language of a story as it goes out, with its provenance."""

    language: str
    headline: str
    summary: str
    body_html: str
    kind: str
    updated: datetime | None
    source_language: str = ""
    method: str = ""
    engine: str = ""
    translated_by: str = ""
    translator: str = ""
    reviewer: str = ""

    def provenance(self) -> dict[str, Any]:
        return provenance_record(language=self.language, kind=self.kind,
                                 updated=iso(self.updated) if self.updated else None,
                                 source_language=self.source_language, method=self.method, engine=self.engine,
                                 translated_by=self.translated_by, translator=self.translator,
                                 reviewed_by=self.reviewer)


def channel_username(agency: str, language: str) -> str:
    """The local username of a language channel: ``baku`` + ``zh-Hans`` -> ``baku_zh_hans``."""
    return f"{agency}_{language.lower().replace('-', '_')}"


def _original(fed_urls: Any, username: str, story: Story) -> LanguageVersion:
    return LanguageVersion(language=story.language, headline=story.headline, summary=story.summary,
                           body_html=story.body_html, kind="original",
                           updated=story.updated_at or story.published_at, translated_by=fed_urls.actor(username))


def _translated(row: StoryTranslation) -> LanguageVersion:
    return LanguageVersion(language=row.language, headline=row.headline, summary=row.summary,
                           body_html=row.body_html, kind="translation", updated=row.updated_at,
                           source_language=row.source_language, method=row.method, engine=row.engine,
                           translated_by=row.translated_by, translator=row.translator, reviewer=row.reviewer)


def original_version(fed_urls: Any, username: str, story: Story) -> LanguageVersion:
    """The story's original language as a version (what `language_versions` starts with)."""
    return _original(fed_urls, username, story)


async def language_versions(fed_urls: Any, username: str, story: Story, *, connection: Any = None
                            ) -> list[LanguageVersion]:
    """The original and every approved translation of a story, original first, then by language tag."""
    query = StoryTranslation.filter(story_id=story.id, status="approved").order_by("language")
    if connection is not None:
        query = query.using_db(connection)
    return [_original(fed_urls, username, story)] + [_translated(r) for r in await query]


def _base_article(fed_urls: Any, username: str, story: Story, version: LanguageVersion,
                  object_id: str | None = None) -> dict[str, Any]:
    obj = article(fed_urls, username, uuid=story.uuid, headline=version.headline, summary_text=version.summary,
                  body_html=version.body_html, language=version.language, hashtags=story.hashtags,
                  canonical_url=story.canonical_url, published=story.published_at, updated=story.updated_at,
                  media=story.media or ())
    if object_id is not None:
        obj["id"] = object_id
    return obj


def story_document(fed_urls: Any, username: str, story: Story, versions: Iterable[LanguageVersion]
                   ) -> dict[str, Any]:
    """The Article partner nodes get: every language in the maps, the original also in the plain fields."""
    versions = list(versions)
    original = versions[0]
    obj = _base_article(fed_urls, username, story, original)
    obj["@context"] = wire_context()
    for v in versions[1:]:
        obj["nameMap"][v.language] = v.headline
        obj["summaryMap"][v.language] = v.summary
        obj["contentMap"][v.language] = v.body_html
    obj["languageProvenance"] = [v.provenance() for v in versions]
    _thread(story, obj)
    if story.updated_at is not None:
        obj["updated"] = iso_ms(story.updated_at)
    return obj


def _thread(story: Story, obj: dict[str, Any]) -> None:
    # An update or rewrite of a developing story names the thread's first story as its AS2 `context` (inside the
    # signed object), so partners group the alert and what followed it.
    if getattr(story, "context_uri", ""):
        obj["context"] = story.context_uri


def channel_object(fed_urls: Any, agency: str, story: Story, version: LanguageVersion,
                   updated: datetime | None = None) -> dict[str, Any]:
    """The single-language Article a language channel publishes: its own id (``/stories/<uuid>/<language>``),
    attributed to the channel actor, maps with the one key equal to the plain fields."""
    channel = channel_username(agency, version.language)
    obj = _base_article(fed_urls, channel, story, version,
                        object_id=f"{fed_urls.story(story.uuid)}/{version.language}")
    # The human page in this language (readers following a channel land on the text they read).
    obj["url"] = story.canonical_url or f"{fed_urls.story(story.uuid)}?lang={version.language}"
    obj["cc"] = [fed_urls.followers(channel)]
    obj["@context"] = wire_context()
    obj["languageProvenance"] = [version.provenance()]
    _thread(story, obj)
    if updated is not None:
        # Mastodon applies an Update as an edit only when `updated` is set.
        obj["updated"] = iso(updated)
    return obj
