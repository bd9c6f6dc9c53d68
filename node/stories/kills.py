"""Kills: retracting a story. Its URL then answers 410 with a Tombstone, a Delete with the reason goes to everyone
who may hold it, and deliveries of its earlier activities that have not gone out yet are cancelled.

All of it happens in one transaction: a crash leaves either the live story with its queue, or the killed story
with cancelled rows and a queued Delete, never a mix.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from tortoise.transactions import in_transaction

from federation.context import Federation
from federation.expansion import cancel_expansions
from federation.states import DeliveryState, check_transition, sources_of
from federation.vocab import AS_CONTEXT, iso
from federation.store.models import Delivery, OutboxActivity
from node.stories import revisions
from node.stories.audience import audience, fan_out
from node.stories.errors import StoryError, get_story
from node.stories.models import Story
from node.translation import channels
from schemas.lifecycle import TERMS

MAX_REASON = 2000


def tombstone(fed: Federation, story: Story) -> dict[str, Any]:
    """What a killed story's URL serves with 410, and what the Delete carries."""
    doc: dict[str, Any] = {"@context": [AS_CONTEXT, TERMS], "id": fed.urls.story(story.uuid), "type": "Tombstone",
                           "formerType": "Article",
                           "deleted": iso(story.deleted_at or datetime.now(timezone.utc))}
    if story.kill_reason:
        doc["killReason"] = story.kill_reason
    return doc


async def cancel_deliveries(activity_ids: list[int], why: str, connection: Any = None) -> int:
    """Cancel the deliveries of these outbox activities that have not reached their inbox yet; return how many.

    Rows being sent right now are cancelled too: the worker's own settle then finds its claim gone and records
    nothing (if the POST got through, the Delete that follows retracts it). Stories (kills) and fact-checks
    (withdrawals) share it."""
    sources = sources_of(DeliveryState.CANCELLED)
    for src in sources:
        check_transition(src, DeliveryState.CANCELLED)
    if not activity_ids:
        return 0
    # First the expansions still adding rows (two-stage fan-out), then the rows: on PostgreSQL stopping a job
    # waits for a batch being written, whose rows are then there to cancel.
    await cancel_expansions(list(activity_ids), connection)
    return await Delivery.filter(activity_id__in=list(activity_ids), state__in=list(sources)).using_db(
        connection).update(state=DeliveryState.CANCELLED.value, locked_until=None, claim_token=None,
                           last_error=f"cancelled: {why}")


async def cancel_pending(story_id: int, connection: Any = None) -> int:
    """Cancel the deliveries of a story's activities that have not reached their inbox yet; return how many."""
    activity_ids = await OutboxActivity.filter(subject_id=story_id).using_db(connection).values_list("id", flat=True)
    return await cancel_deliveries(list(activity_ids), "story killed", connection)


async def kill(fed: Federation, username: str, uuid: str, reason: str | None = None) -> Story:
    """Retract a story (published or still under embargo). Raises StoryError when missing or already killed."""
    story = await get_story(uuid)
    if story.state == "deleted":
        raise StoryError(409, "Story already killed", f"story {uuid} is already killed")
    reason = (reason or "").strip()[:MAX_REASON] or None
    async with in_transaction() as conn:
        now = datetime.now(timezone.utc)
        # The audience is decided by the state before the kill: an embargoed story only reached partners.
        inboxes, public = await audience(fed, username, story)
        updated = await Story.filter(id=story.id, state=story.state).using_db(conn).update(
            state="deleted", deleted_at=now, kill_reason=reason)
        if not updated:
            raise StoryError(409, "Story changed", f"story {uuid} changed meanwhile; try again")
        await cancel_pending(story.id, conn)
        story = await Story.get(id=story.id).using_db(conn)
        extra: dict[str, Any] = {}
        if reason:
            extra = {"summary": reason, "killReason": reason}
        await fan_out(fed, username, story, "Delete", tombstone(fed, story), conn,
                                 audience_=(inboxes, public), extra=extra)
        if public:  # the language channels posted it (never while under embargo): withdraw every language
            await channels.retract(fed, username, story, await revisions.story_languages(story, connection=conn),
                                   conn)
    fed.delivery_wakeup.set()  # again, now that the rows (or the expansion job) are committed
    return story
