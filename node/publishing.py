"""Publishing use-cases: publish, update and delete a story, each stored first and then fanned out.

The editor's call returns once the story and its delivery rows are committed; delivery follows in the worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Sequence

from tortoise.transactions import in_transaction

from federation.context import Federation
from federation.outbox import enqueue, follower_inboxes, new_uuid
from federation.sanitize import html_to_text, render_body
from federation.vocab import PUBLIC, activity, article, tombstone
from node import channels
from node.models import Story, StoryTranslation
from node.story_fanout import fan_out_story
from schemas.languages import normalize_tag

# Called inside the transaction that stores a published or updated story (e.g. queueing translation jobs), so
# the story and what must follow it commit together.
StoryHook = Callable[[Story, Any], Awaitable[None]]


class StoryError(Exception):
    """A story cannot be published or changed as asked (bad input, not found, already deleted)."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


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


def story_object(fed: Federation, username: str, story: Story) -> dict[str, Any]:
    """The Article for a stored story."""
    return article(fed.urls, username, uuid=story.uuid, headline=story.headline, summary_text=story.summary,
                   body_html=story.body_html, language=story.language, hashtags=story.hashtags,
                   canonical_url=story.canonical_url, published=story.published_at, updated=story.updated_at)


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
    return dict(headline=html_to_text(data.headline)[:500], summary=html_to_text(data.summary),
                body_html=body_html, language=_language(data.language),
                hashtags=[t.lstrip("#") for t in data.hashtags if t.lstrip("#")],
                canonical_url=data.canonical_url or None)


async def _fan_out(fed: Federation, username: str, story: Story, type_: str, obj: Any, conn: Any) -> None:
    doc = activity(fed.urls, username, uuid=new_uuid(), type_=type_, obj=obj, to=[PUBLIC],
                   cc=[fed.urls.followers(username)], published=datetime.now(timezone.utc))
    await enqueue(fed, username=username, activity=doc, inboxes=await follower_inboxes(username),
                  story_id=story.id, public=True, connection=conn)


async def publish(fed: Federation, username: str, data: StoryInput, *, hooks: Sequence[StoryHook] = ()) -> Story:
    """Store a new story and queue its Create{Article} for every follower inbox (and run `hooks`, atomically)."""
    values = _clean(data)
    async with in_transaction() as conn:
        story = await Story.create(uuid=new_uuid(), published_at=datetime.now(timezone.utc), using_db=conn,
                                   **values)
        # Every language goes out (with provenance), and the original on its language channel if there is one.
        await fan_out_story(fed, username, story, "Create", conn, channel_languages=[story.language])
        for hook in hooks:
            await hook(story, conn)
    return story


async def get_story(uuid: str) -> Story:
    story = await Story.get_or_none(uuid=uuid)
    if story is None:
        raise StoryError(404, "No such story", f"no story {uuid}")
    return story


async def update(fed: Federation, username: str, uuid: str, data: StoryInput, *,
                 hooks: Sequence[StoryHook] = ()) -> Story:
    """Change a published story and queue an Update (with `updated` set, so Mastodon shows it as an edit)."""
    story = await get_story(uuid)
    if story.state != "published":
        raise StoryError(409, "Story deleted", f"story {uuid} was deleted and cannot be updated")
    values = _clean(data)
    if values["language"] != story.language and await StoryTranslation.filter(
            story_id=story.id, language=values["language"]).exists():
        raise StoryError(409, "Language has a translation",
                         f"story {uuid} has a {values['language']} translation; reject or keep it, "
                         "the original cannot take its language")
    async with in_transaction() as conn:
        now = datetime.now(timezone.utc)
        await Story.filter(id=story.id).using_db(conn).update(updated_at=now, version=story.version + 1, **values)
        story = await Story.get(id=story.id).using_db(conn)
        await fan_out_story(fed, username, story, "Update", conn, channel_languages=[story.language])
        for hook in hooks:
            await hook(story, conn)
    return story


async def delete(fed: Federation, username: str, uuid: str) -> Story:
    """Delete a story: its URL then answers 410 with a Tombstone, and a Delete goes to every follower."""
    story = await get_story(uuid)
    if story.state != "published":
        raise StoryError(409, "Story deleted", f"story {uuid} is already deleted")
    async with in_transaction() as conn:
        now = datetime.now(timezone.utc)
        await Story.filter(id=story.id).using_db(conn).update(state="deleted", deleted_at=now)
        story = await Story.get(id=story.id).using_db(conn)
        await _fan_out(fed, username, story, "Delete",
                       tombstone(fed.urls.story(story.uuid), former_type="Article", deleted=now), conn)
        languages = [story.language, *await StoryTranslation.filter(story_id=story.id, status="approved")
                     .using_db(conn).values_list("language", flat=True)]
        await channels.retract(fed, username, story, languages, conn)
    return story
