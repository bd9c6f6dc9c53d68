"""Who hears of a story, and queueing an activity about it for them.

A published story goes to every accepted follower and is public (listed in the outbox, fetchable). A story under
embargo (`scheduled`, node/stories/embargo.py) goes only to the followers that are trusted partners, on their
personal inboxes, and is not public. Trusted partners are the operator's `[trust] partners`
(node/network/trust.py `is_partner`).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Mapping

from federation.context import Federation
from federation.expansion import Followers
from federation.outbox import enqueue, new_uuid
from federation.store.models import Follower
from federation.vocab import PUBLIC, activity
from node.network.trust import is_partner
from node.stories.models import Story

__all__ = ["audience", "fan_out", "partner_inboxes"]


async def partner_inboxes(fed: Federation, username: str) -> list[str]:
    """Personal inboxes of `username`'s accepted followers that are trusted partners (node/network/trust.py)."""
    followers = await Follower.filter(local=username, state="accepted", actor__deleted_at=None).prefetch_related(
        "actor")
    return sorted({f.actor.inbox for f in followers if await is_partner(fed, f.actor.uri)})


async def audience(fed: Federation, username: str, story: Story) -> tuple[list[str] | Followers, bool]:
    """Where an activity about `story` goes, and whether it is public (listed in the outbox, fetchable).

    Every follower is `Followers(username)`, never a list: the queue expands a big audience in batches
    (federation/expansion.py), so publishing to a hundred thousand followers costs what publishing to ten does."""
    if story.state == "scheduled":
        return await partner_inboxes(fed, username), False
    return Followers(username), True


async def fan_out(fed: Federation, username: str, story: Story, type_: str, obj: Any, conn: Any, *,
                  audience_: tuple[list[str] | Followers, bool] | None = None, extra: Mapping[str, Any] | None = None) -> None:
    """Queue an activity about `story` for its audience: every follower, or only trusted partners while the story
    is under embargo (then it is not public: not in the outbox, not fetchable)."""
    inboxes, public = audience_ or await audience(fed, username, story)
    doc = activity(fed.urls, username, uuid=new_uuid(), type_=type_, obj=obj, to=[PUBLIC],
                   cc=[fed.urls.followers(username)], published=datetime.now(timezone.utc))
    doc.update(extra or {})
    await enqueue(fed, username=username, activity=doc, inboxes=inboxes, subject_id=story.id, public=public,
                  connection=conn)
