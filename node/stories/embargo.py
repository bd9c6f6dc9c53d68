"""Embargoes: who receives a story before its release, and the scheduler that releases it on time.

A story with `embargoedUntil` in the future is `scheduled`: it is not served (404) and not delivered to public
followers. Followers that are trusted partners receive it at once, with `embargoedUntil` attached, on their
personal inbox (a shared inbox may also serve actors that are not partners). At the embargo time the scheduler
moves it to `published` and sends Create to every follower. The schedule lives only in the database (the story
rows), so a restarted node releases what it missed on its first pass.

Who receives what, and when, is node/stories/audience.py; trusted partners are the operator's `[trust] partners`
(node/network/trust.py `is_partner`).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone

from tortoise.transactions import in_transaction

from federation.context import Federation
from federation.queue import idle_wait
from node.stories import revisions
from node.stories.fanout import fan_out_story
from node.stories.models import Story
from node.wire.models import WireStory

log = logging.getLogger("agency_node.embargo")

def held(story: WireStory, now: datetime | None = None) -> bool:
    """A wire story received under embargo is held from every public output until the embargo passes."""
    if story.embargoed_until is None:
        return False
    return (now or datetime.now(timezone.utc)) < story.embargoed_until


class EmbargoScheduler:
    """Releases scheduled stories whose embargo has passed. `run_once(now)` for tests; `run_forever` in a node."""

    def __init__(self, fed: Federation, username: str, *, idle_poll: float = 30.0) -> None:
        self.fed = fed
        self.username = username
        self.idle_poll = idle_poll
        self.wakeup = asyncio.Event()

    async def run_once(self, now: datetime | None = None) -> int:
        """Release every story due at `now`; return how many were released."""
        now = now or datetime.now(timezone.utc)
        due = await Story.filter(state="scheduled", embargoed_until__lte=now).order_by("embargoed_until", "id")
        released = 0
        for story in due:
            released += await self._release(story, now)
        return released

    async def _release(self, story: Story, now: datetime) -> int:
        async with in_transaction() as conn:
            # The conditional update is the claim: of several schedulers (processes), one wins the story.
            won = await Story.filter(id=story.id, state="scheduled").using_db(conn).update(
                state="published", published_at=story.embargoed_until or now)
            if not won:
                return 0
            story = await Story.get(id=story.id).using_db(conn)
            # Every follower now, and every approved language on its channel.
            await fan_out_story(self.fed, self.username, story, "Create", conn,
                                channel_languages=await revisions.story_languages(story, connection=conn))
        self.fed.delivery_wakeup.set()  # again, now that the rows (or the expansion job) are committed
        log.info("embargo.released", extra={"story": story.uuid})
        return 1

    async def next_due(self) -> datetime | None:
        """When the next scheduled story is due, if any."""
        row = await Story.filter(state="scheduled").order_by("embargoed_until").first()
        return row.embargoed_until if row else None

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Release on time until `stop`; the first pass catches up whatever was due while the node was down."""
        while not stop.is_set():
            self.wakeup.clear()  # before the pass: a story scheduled meanwhile ends the wait below at once
            try:
                await self.run_once()
                due = await self.next_due()
            except Exception:  # a database hiccup must not kill the scheduler; the rows keep the schedule
                log.exception("embargo.pass_failed")
                due = None
            wait = self.idle_poll
            if due is not None:
                wait = max(0.0, min(wait, (due - datetime.now(timezone.utc)).total_seconds()))
            await idle_wait(self.wakeup, stop, wait, clear=False)
