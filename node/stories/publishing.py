"""Publishing use-cases: publish, update and delete a story, each stored first and then fanned out.

The editor's call returns once the story and its delivery rows are committed; delivery follows in the worker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Mapping, Sequence

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from federation.context import Federation
from federation.outbox import new_uuid
from federation.sanitize import html_to_text, render_body
from federation.vocab import article
from node.media import stock
from node.stories import revisions
from node.stories.errors import StoryError, get_story
from node.stories.fanout import fan_out_story
from node.stories.models import Story
from node.translation.models import StoryTranslation
from schemas.languages import normalize_tag
from schemas.lifecycle import LifecycleError, clean_correction_note, clean_subjects, clean_urgency

# Called inside the transaction that stores a published or updated story (e.g. queueing translation jobs), so
# the story and what must follow it commit together.
StoryHook = Callable[[Story, Any], Awaitable[None]]


@dataclass(frozen=True)
class StoryInput:
    """What an editor submits."""

    headline: str
    body: str
    language: str
    summary: str = ""
    body_format: str = "html"  # html | markdown
    hashtags: tuple[str, ...] = ()
    canonical_url: str | None = None
    urgency: int | None = None  # IPTC 1 (flash) to 9
    subjects: tuple[Any, ...] = ()  # IPTC Media Topics: "medtop:..." codes or {code, name}
    embargoed_until: datetime | None = None  # scheduled: released (and served) at this time
    correction_note: Mapping[str, str] = field(default_factory=dict)  # update only: language -> note
    import_uri: str | None = None  # publish only: the ninjs `uri` of the newsroom item it comes from
    # Media from the stock by SHA-256: the lead image and the other items. On an update, None for both keeps the
    # story's media as they are.
    image: str | None = None
    media: tuple[str, ...] | None = None
    context: str = ""  # publish only: the URI of the first story of the developing story this one updates


def story_object(fed: Federation, username: str, story: Story) -> dict[str, Any]:
    """The Article for a stored story."""
    return article(fed.urls, username, uuid=story.uuid, headline=story.headline, summary_text=story.summary,
                   body_html=story.body_html, language=story.language, hashtags=story.hashtags,
                   canonical_url=story.canonical_url, published=story.published_at, updated=story.updated_at,
                   media=story.media or ())


async def _media(fed: Federation, data: StoryInput) -> list[dict[str, Any]]:
    """The story's media as stored (`node.media.stock.story_media`), or its problem."""
    try:
        return await stock.story_media(data.image, data.media or (),
                                       url_of=lambda sha: stock.file_url(fed.urls.base_url, sha))
    except stock.MediaError as exc:
        raise StoryError(exc.status, exc.title, exc.detail) from None


def _language(tag: str) -> str:
    try:
        return normalize_tag(tag)
    except ValueError as exc:
        raise StoryError(422, "Invalid language tag", str(exc)) from None


def _clean(data: StoryInput) -> dict[str, Any]:
    try:
        body_html = render_body(data.body, data.body_format)
    except ValueError as exc:
        raise StoryError(400, "Invalid body format", str(exc)) from None
    if not html_to_text(body_html).strip():
        raise StoryError(400, "Empty body", "the story body has no text after sanitizing")
    try:
        lifecycle = dict(urgency=clean_urgency(data.urgency), subjects=clean_subjects(data.subjects))
    except LifecycleError as exc:
        raise StoryError(400, "Invalid story metadata", str(exc)) from None
    embargoed = data.embargoed_until
    if embargoed is not None and embargoed.tzinfo is None:
        raise StoryError(400, "Invalid embargo", "embargoed_until needs a time zone (e.g. 2026-12-01T09:00:00Z)")
    return dict(headline=html_to_text(data.headline)[:500], summary=html_to_text(data.summary),
                body_html=body_html, language=_language(data.language),
                hashtags=[t.lstrip("#") for t in data.hashtags if t.lstrip("#")],
                canonical_url=data.canonical_url or None, embargoed_until=embargoed, **lifecycle)


def normalised(data: StoryInput) -> dict[str, Any]:
    """The stored values a story input would give (sanitized body, cleaned subjects...); raises StoryError."""
    return _clean(data)


async def publish(fed: Federation, username: str, data: StoryInput, *, hooks: Sequence[StoryHook] = ()) -> Story:
    """Store a new story (revision 1) and queue its Create{Article}: for every follower, or, when it is embargoed
    until a later time, only for trusted partners (the scheduler sends it to everyone at that time); run `hooks`
    in the same transaction."""
    values = _clean(data)
    values["media"] = await _media(fed, data) or None
    now = datetime.now(timezone.utc)
    scheduled = values["embargoed_until"] is not None and values["embargoed_until"] > now
    async with in_transaction() as conn:
        story = await Story.create(uuid=new_uuid(), published_at=now, using_db=conn, import_uri=data.import_uri,
                                   state="scheduled" if scheduled else "published",
                                   context_uri=data.context[:512], **values)
        first = await revisions.record(story, connection=conn)
        # Every language goes out (with provenance), and the original on its language channel if there is one
        # (under embargo: to trusted partners only, and no channel posts until the release).
        await fan_out_story(fed, username, story, "Create", conn, channel_languages=[story.language], first=first)
        for hook in hooks:
            await hook(story, conn)
    # Again, now that the rows (or the expansion job) are committed: the worker woken by `enqueue`, inside the
    # transaction, may have looked before the commit and gone back to sleep.
    fed.delivery_wakeup.set()
    return story


async def update(fed: Federation, username: str, uuid: str, data: StoryInput, *,
                 hooks: Sequence[StoryHook] = ()) -> Story:
    """Change a story: store the next revision and queue an Update (with `updated` set, so Mastodon shows it as an
    edit). With a correction note (one per language of the story) the revision is a correction."""
    story = await get_story(uuid)
    if story.state == "deleted":
        raise StoryError(409, "Story deleted", f"story {uuid} was deleted and cannot be updated")
    values = _clean(data)
    if data.image is not None or data.media is not None:
        values["media"] = await _media(fed, data) or None
    if values["language"] != story.language and await StoryTranslation.filter(
            story_id=story.id, language=values["language"]).exists():
        raise StoryError(409, "Language has a translation",
                         f"story {uuid} has a {values['language']} translation; reject or keep it, "
                         "the original cannot take its language")
    try:
        # Every language of the story needs the note (the main one as it is after this change).
        others = [lang for lang in await revisions.story_languages(story) if lang != story.language]
        note = clean_correction_note(data.correction_note, [values["language"], *others])
    except LifecycleError as exc:
        raise StoryError(400, "Invalid correction", str(exc)) from None
    now = datetime.now(timezone.utc)
    if story.state == "published" and values["embargoed_until"] != story.embargoed_until and (
            values["embargoed_until"] is not None and values["embargoed_until"] > now):
        raise StoryError(409, "Story already public", f"story {uuid} is published; it cannot be embargoed again")
    if story.state == "scheduled" and (values["embargoed_until"] is None or values["embargoed_until"] <= now):
        values["embargoed_until"] = now  # lifting the embargo: the scheduler releases it on its next pass
    async with in_transaction() as conn:
        await revisions.ensure_baseline(story, connection=conn)
        await Story.filter(id=story.id).using_db(conn).update(updated_at=now, version=F("version") + 1, **values)
        story = await Story.get(id=story.id).using_db(conn)
        await revisions.record(story, correction_note=note, connection=conn)
        await fan_out_story(fed, username, story, "Update", conn, channel_languages=[story.language])
        for hook in hooks:
            await hook(story, conn)
    fed.delivery_wakeup.set()  # again, now that the rows (or the expansion job) are committed
    return story
