"""Sending a story out with all its languages: the multilingual Article to the agency's followers and the
single-language objects to the language channels, queued in the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

from federation.context import Federation
from federation.outbox import enqueue, new_uuid
from federation.vocab import PUBLIC, activity
from node.translation import channels
from node.stories import revisions
from node.stories.audience import audience
from node.stories.models import Story
from node.stories.documents import language_versions, original_version, story_document
from node.stories.models import StoryRevision

__all__ = ["fan_out_story", "send_update"]


async def fan_out_story(fed: Federation, username: str, story: Story, type_: str, conn: Any, *,
                        channel_languages: Iterable[str] = (), retract_languages: Iterable[str] = (),
                        first: StoryRevision | None = None) -> None:
    """Queue Create or Update of the story (every approved language) for the agency's followers, then post the
    given languages on their channels and withdraw the retracted ones. `first`: the revision of a story stored
    moments ago in `conn` (publishing), which has no translation and no other revision yet: nothing is read back."""
    if first is not None:
        versions, revs = [original_version(fed.urls, username, story)], [first]
    else:
        versions, revs = await language_versions(fed.urls, username, story, connection=conn), None
    # Our lifecycle terms (revision, hash, corrections, urgency, subjects, embargo): node/revisions.py.
    obj = await revisions.decorate(fed, username, story, story_document(fed.urls, username, story, versions),
                                   connection=conn, revs=revs)
    doc = activity(fed.urls, username, uuid=new_uuid(), type_=type_, obj=obj, to=[PUBLIC],
                   cc=[fed.urls.followers(username)], published=datetime.now(timezone.utc))
    # The embedded object uses our provenance terms: the activity's context must define them too.
    doc["@context"] = obj["@context"]
    # Under embargo only trusted partners get it, and it is not public (node/stories/audience.py).
    inboxes, public = await audience(fed, username, story)
    await enqueue(fed, username=username, activity=doc, inboxes=inboxes, subject_id=story.id, public=public,
                  connection=conn)
    if story.state == "scheduled":
        return  # channels post to the public: nothing until the embargo is released
    await channels.sync(fed, username, story, versions, channel_languages, conn)
    await channels.retract(fed, username, story, retract_languages, conn)


async def send_update(fed: Federation, username: str, story: Story, conn: Any, *,
                      channel_languages: Iterable[str] = (), retract_languages: Iterable[str] = ()) -> Story:
    """Mark the story changed (new version, `updated` now, so Mastodon applies the edit) and queue its Update."""
    now = datetime.now(timezone.utc)
    if story.updated_at is not None and now <= story.updated_at + timedelta(milliseconds=1):
        now = story.updated_at + timedelta(milliseconds=1)  # strictly later, at the precision peers see
    await revisions.ensure_baseline(story, connection=conn)
    await Story.filter(id=story.id).using_db(conn).update(updated_at=now, version=story.version + 1)
    story = await Story.get(id=story.id).using_db(conn)
    await revisions.record(story, connection=conn)  # a language added or changed is a revision too
    await fan_out_story(fed, username, story, "Update", conn, channel_languages=channel_languages,
                        retract_languages=retract_languages)
    return story
