"""Revisions and corrections of our own stories: every change is a stored revision with a content hash.

Revision 1 is the first publication; each update adds the next number (the story's `version`). A correction is a
revision that carries a note in every language of the story; the notes are shown, oldest first, at the end of the
story's `content` and every `contentMap` entry, and the latest one travels as `correctionNoteMap`.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Mapping, Sequence

from federation.context import Federation
from federation.vocab import AS_CONTEXT, iso
from node.stories.models import Story, StoryRevision
from node.translation.models import StoryTranslation
from node.wire.models import WireRevision
from node.stories.documents import language_versions, story_document
from schemas.lifecycle import TERMS, content_hash, decorate_article


async def story_languages(story: Story, *, connection: Any = None) -> list[str]:
    """The languages a story is published in: its own and every approved translation (each needs a note)."""
    approved = await StoryTranslation.filter(story_id=story.id, status="approved").using_db(connection).order_by(
        "language").values_list("language", flat=True)
    return [story.language, *(lang for lang in approved if lang != story.language)]


def snapshot(story: Story) -> dict[str, Any]:
    """The fields a revision covers, as plain JSON values (what the content hash is computed over)."""
    return {
        "headline": story.headline, "summary": story.summary, "body_html": story.body_html,
        "language": story.language, "hashtags": list(story.hashtags or []), "canonical_url": story.canonical_url,
        "urgency": story.urgency, "subjects": [dict(s) for s in story.subjects or []],
        "embargoed_until": iso(story.embargoed_until) if story.embargoed_until else None,
    } | ({"media": [dict(m) for m in story.media]} if story.media else {})


async def record(story: Story, *, correction_note: Mapping[str, str] | None = None,
                 connection: Any = None) -> StoryRevision:
    """Store the story's current state as revision `story.version` (in the caller's transaction)."""
    fields = snapshot(story)
    note = dict(correction_note or {})
    if note:
        fields["correction_note"] = note
    return await StoryRevision.create(
        story_id=story.id, number=story.version, content_hash=content_hash(fields), snapshot=fields,
        correction=bool(note), correction_note=note,
        created_at=story.updated_at or story.published_at or datetime.now(timezone.utc), using_db=connection)


async def ensure_baseline(story: Story, *, connection: Any = None) -> None:
    """Record the story as it stands when it has no revision yet (published before revisions were stored)."""
    if not await StoryRevision.filter(story_id=story.id).using_db(connection).exists():
        await record(story, connection=connection)


async def decorate(fed: Federation, username: str, story: Story, obj: dict[str, Any], *,
                   connection: Any = None, revs: Sequence[StoryRevision] | None = None) -> dict[str, Any]:
    """A story's Article (as story_document builds it) with our lifecycle terms and its correction notes;
    `revs`: the story's revisions in order when the caller has them (a story just published: its first), so they
    are not read back."""
    if revs is None:
        revs = await StoryRevision.filter(story_id=story.id).using_db(connection).order_by("number")
    latest = revs[-1] if revs else None
    return decorate_article(
        obj, revision=story.version,
        hash_=latest.content_hash if latest else content_hash(snapshot(story)),
        revisions_url=fed.urls.story(story.uuid) + "/revisions",
        corrections=[r.correction_note for r in revs if r.correction],
        correction=bool(latest and latest.correction and latest.number == story.version),
        urgency=story.urgency, subjects=story.subjects or [],
        embargoed_until=story.embargoed_until if story.state == "scheduled" else None)


async def article(fed: Federation, username: str, story: Story, *, connection: Any = None) -> dict[str, Any]:
    """The Article of a stored story, every approved language, with our lifecycle terms (see `decorate`)."""
    versions = await language_versions(fed.urls, username, story, connection=connection)
    return await decorate(fed, username, story, story_document(fed.urls, username, story, versions),
                          connection=connection)


async def corrections(story: Story) -> list[StoryRevision]:
    """The story's corrections (revisions with a note), oldest first: its page's correction history."""
    return await StoryRevision.filter(story_id=story.id, correction=True).order_by("number")


def revision_json(rev: StoryRevision | WireRevision) -> dict[str, Any]:
    """One revision for the editor API and the revisions collection."""
    when = rev.created_at if isinstance(rev, StoryRevision) else rev.updated_at
    doc: dict[str, Any] = {"revision": rev.number, "contentHash": rev.content_hash,
                           "updated": iso(when) if when else None, "correction": rev.correction}
    if rev.correction:
        doc["correctionNoteMap"] = rev.correction_note
    if isinstance(rev, WireRevision):
        doc["headline"] = rev.headline
        doc["received"] = iso(rev.received_at)
        doc["proof"] = {"status": rev.proof_status or None, "key_id": rev.proof_key_id or None}
    return doc


async def story_revisions(story: Story) -> list[dict[str, Any]]:
    """Every revision of one of our stories, oldest first."""
    return [revision_json(r) for r in await StoryRevision.filter(story_id=story.id).order_by("number")]


def revisions_collection(collection_id: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    """The ActivityPub OrderedCollection of a story's revisions (small, so inline and unpaged)."""
    return {"@context": [AS_CONTEXT, TERMS], "id": collection_id, "type": "OrderedCollection",
            "totalItems": len(items),
            "orderedItems": [{"id": f"{collection_id}#{i['revision']}", "type": "an:Revision", **i}
                             for i in reversed(items)]}
