"""Language channels: one followable actor per configured language (``baku_ru``), each publishing a
single-language object for every story once that language is approved.

Social-network readers (Mastodon, GoToSocial) take one language per post (INTEROP.md); the main agency actor
keeps carrying every language for partner nodes. A channel's post has its own id (``/stories/<uuid>/<lang>``),
so a reader who follows both the agency and a channel sees two distinct posts, never a clash of ids.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

from federation.context import Federation
from federation.outbox import enqueue, follower_inboxes, new_uuid
from federation.vocab import PUBLIC, activity, tombstone
from federation.store.models import OutboxActivity
from node.stories.models import Story
from node.stories.documents import LanguageVersion, channel_object, channel_username

__all__ = ["channel_for", "retract", "sync"]


def channel_for(fed: Federation, agency: str, language: str) -> str | None:
    """The channel actor's username for a language, or None when no channel is configured for it."""
    name = channel_username(agency, language)
    return name if name in fed.local_actors and name != agency else None


async def _send(fed: Federation, channel: str, story: Story, type_: str, obj: Any, conn: Any) -> None:
    doc = activity(fed.urls, channel, uuid=new_uuid(), type_=type_, obj=obj, to=[PUBLIC],
                   cc=[fed.urls.followers(channel)], published=datetime.now(timezone.utc))
    if isinstance(obj, dict) and "@context" in obj:
        doc["@context"] = obj["@context"]
    await enqueue(fed, username=channel, activity=doc, inboxes=await follower_inboxes(channel),
                  subject_id=story.id, public=True, connection=conn)


async def _posted(channel: str, story: Story, conn: Any) -> bool:
    sent = await OutboxActivity.filter(actor=channel, subject_id=story.id).using_db(conn).order_by("-id").first()
    return sent is not None and sent.type != "Delete"


async def sync(fed: Federation, agency: str, story: Story, versions: Iterable[LanguageVersion],
               languages: Iterable[str], conn: Any) -> list[str]:
    """Post (Create, or Update when the channel already posted it) the given languages of a story on their
    channels; languages without a channel are skipped. Returns the channels that sent something."""
    wanted = set(languages)
    sent = []
    for version in versions:
        channel = channel_for(fed, agency, version.language) if version.language in wanted else None
        if channel is None:
            continue
        posted = await _posted(channel, story, conn)
        obj = channel_object(fed.urls, agency, story, version,
                             updated=(story.updated_at or datetime.now(timezone.utc)) if posted else None)
        await _send(fed, channel, story, "Update" if posted else "Create", obj, conn)
        sent.append(channel)
    return sent


async def retract(fed: Federation, agency: str, story: Story, languages: Iterable[str], conn: Any) -> list[str]:
    """Delete the channel posts of these languages (a translation withdrawn, or the story deleted)."""
    sent = []
    for language in languages:
        channel = channel_for(fed, agency, language)
        if channel is None or not await _posted(channel, story, conn):
            continue
        object_id = f"{fed.urls.story(story.uuid)}/{language}"
        await _send(fed, channel, story, "Delete",
                    tombstone(object_id, former_type="Article", deleted=datetime.now(timezone.utc)), conn)
        sent.append(channel)
    return sent
