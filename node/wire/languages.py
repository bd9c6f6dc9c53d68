"""Merging the languages of a received story into our wire copy, keeping each language's provenance.

The origin is the authority on its story: the set of languages we keep mirrors the maps of its latest Create or
Update (a translation it withdrew disappears). The original language is fixed when the story first arrives; an
entry that claims to be a translation of it, or a later object that names another original, never replaces the
origin's original text. HTML has been sanitized by the caller (`node.wire.listeners._clean_object`); headlines are
reduced to text here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from federation.sanitize import html_to_text
from node.wire.models import WireStory
from node.translation.models import WireTranslation
from schemas.languages import normalize_tag
from schemas.provenance import parse_provenance

__all__ = ["merge_languages", "new_story_languages", "original_language_of"]


def _map(obj: dict[str, Any], key: str) -> dict[str, str]:
    value = obj.get(key)
    out: dict[str, str] = {}
    if isinstance(value, dict):
        for tag, text in value.items():
            try:
                out.setdefault(normalize_tag(str(tag)), str(text or ""))
            except ValueError:
                continue  # a language tag we cannot read: drop that entry, keep the rest
    return out


def _time(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


def original_language_of(obj: dict[str, Any]) -> str:
    """The original language an object declares: the provenance entry of kind original, else the first
    `contentMap` key (what Mastodon takes as the language), else empty."""
    for tag, record in parse_provenance(obj.get("languageProvenance")).items():
        if record["kind"] == "original":
            return tag
    contents = _map(obj, "contentMap")
    return next(iter(contents), "")


async def merge_languages(story: WireStory, obj: dict[str, Any], *, known_original: str = "",
                          new: bool = False) -> list[str]:
    """Store every language of `obj` (sanitized) for `story`, with provenance; returns the languages kept.

    `known_original` is the original language we stored before this object arrived (empty for a new story).
    `new`: `story` was inserted in the caller's transaction just now, exactly as it is in memory; it has no
    languages to replace, and what this changes of it is changed in memory too.
    """
    original = known_original or original_language_of(obj) or story.language
    names, summaries, contents = _map(obj, "nameMap"), _map(obj, "summaryMap"), _map(obj, "contentMap")
    provenance = parse_provenance(obj.get("languageProvenance"))
    rows = [WireTranslation(story_id=story.id, **row)
            for row in _translations(original, names, summaries, contents, provenance)]
    own = provenance.get(original, {})
    if new:  # already in the caller's transaction, which inserted the story: no savepoint, nothing to replace
        await _store(story, rows, original, own, names, summaries, contents, None, new=True)
    else:
        async with in_transaction() as conn:
            await _store(story, rows, original, own, names, summaries, contents, conn, new=False)
    return [r.language for r in rows]


def new_story_languages(story: dict[str, Any], obj: dict[str, Any]) -> list[dict[str, Any]]:
    """The languages of a story arriving for the first time, as `WireTranslation` columns (no ``story_id``), the
    original last; `story` holds the story's columns (`node.wire.listeners.wire_fields`) and is changed as
    `merge_languages` would change the stored story (its original's text when the object's first language is not
    its original). The batch path's twin of `merge_languages(new=True)`, without model objects."""
    original = original_language_of(obj) or story["language"]
    names, summaries, contents = _map(obj, "nameMap"), _map(obj, "summaryMap"), _map(obj, "contentMap")
    provenance = parse_provenance(obj.get("languageProvenance"))
    rows = _translations(original, names, summaries, contents, provenance)
    if original and story["language"] != original:
        story.update(_original_text(original, names, summaries, contents, story["headline"], story["summary"],
                                    story["content_html"]))
    rows.append(_original_row(original, provenance.get(original, {}), story["headline"], story["summary"],
                              story["content_html"], story["updated_at"] or story["published_at"]))
    return rows


def _original_text(original: str, names: dict[str, str], summaries: dict[str, str], contents: dict[str, str],
                   headline: str, summary: str, content_html: str) -> dict[str, Any]:
    """The story's columns when the object's first language is not its original: the original, with its own
    text (the story's current text where the maps lack it)."""
    return dict(language=original, headline=html_to_text(names.get(original) or headline),
                summary=html_to_text(summaries.get(original) or summary),
                content_html=contents.get(original) or content_html)


def _original_row(original: str, own: dict[str, Any], headline: str, summary: str, content_html: str,
                  story_updated: datetime | None) -> dict[str, Any]:
    """The `WireTranslation` columns of the original (no ``story_id``), from the story's text."""
    return dict(language=original, headline=headline, summary=summary, content_html=content_html, kind="original",
                translated_by=own.get("translated_by", ""), updated=_time(own.get("updated", "")) or story_updated)


def _translations(original: str, names: dict[str, str], summaries: dict[str, str], contents: dict[str, str],
                  provenance: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for tag in dict.fromkeys([*contents, *names]):
        record = provenance.get(tag, {})
        if tag == original:
            continue  # the original comes from the origin's plain fields below, never from a translation entry
        rows.append(dict(
            language=tag, headline=html_to_text(names.get(tag, ""))[:2000],
            summary=html_to_text(summaries.get(tag, "")), content_html=contents.get(tag, ""), kind="translation",
            source_language=record.get("source_language", ""), method=record.get("method", ""),
            engine=record.get("engine", ""), translated_by=record.get("translated_by", ""),
            translator=record.get("translator", ""), reviewed_by=record.get("reviewed_by", ""),
            updated=_time(record.get("updated", ""))))
    return rows


async def _store(story: WireStory, rows: list[WireTranslation], original: str, own: dict[str, Any],
                 names: dict[str, str], summaries: dict[str, str], contents: dict[str, str], conn: Any, *,
                 new: bool) -> None:
    fresh = story if new else await WireStory.get(id=story.id).using_db(conn)
    if original and fresh.language != original:
        # The object's first language is not its original (or not the original the story first arrived in):
        # keep the original, with its own text.
        changes = _original_text(original, names, summaries, contents, fresh.headline, fresh.summary,
                                 fresh.content_html)
        await WireStory.filter(id=story.id).using_db(conn).update(**changes)
        if new:
            for key, value in changes.items():
                setattr(story, key, value)
        else:
            fresh = await WireStory.get(id=story.id).using_db(conn)
    rows.append(WireTranslation(story_id=story.id, **_original_row(
        original, own, fresh.headline, fresh.summary, fresh.content_html, fresh.updated_at or fresh.published_at)))
    if not new:
        await WireTranslation.filter(story_id=story.id).using_db(conn).delete()
    await WireTranslation.bulk_create(rows, using_db=conn)
