"""Read-side queries shared by the editor API and the CLI: our stories with their delivery status."""

from __future__ import annotations

from collections import Counter
from typing import Any

from federation.vocab import iso
from federation.store.models import Delivery
from node.stories.models import Story


async def delivery_summary(story_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per story, how many delivery rows are in each state (over all its activities)."""
    rows = await Delivery.filter(activity__subject_id__in=story_ids).values_list("activity__subject_id", "state")
    counts: dict[int, Counter[str]] = {sid: Counter() for sid in story_ids}
    for sid, state in rows:
        counts[sid][state] += 1
    return {sid: dict(c) for sid, c in counts.items()}


def story_json(story: Story, url: str, deliveries: dict[str, int] | None = None) -> dict[str, Any]:
    doc = {
        "id": story.uuid, "url": url, "headline": story.headline, "summary": story.summary,
        "body_html": story.body_html, "language": story.language, "hashtags": story.hashtags,
        "canonical_url": story.canonical_url, "state": story.state, "version": story.version,
        "published": iso(story.published_at),
        "updated": iso(story.updated_at) if story.updated_at else None,
        "deleted": iso(story.deleted_at) if story.deleted_at else None,
        "urgency": story.urgency, "subjects": story.subjects or [],
        "embargoed_until": iso(story.embargoed_until) if story.embargoed_until else None,
        "kill_reason": story.kill_reason, "media": [media_json(m) for m in story.media or []],
    }
    if deliveries is not None:
        doc["deliveries"] = deliveries
    return doc


def media_json(media: dict[str, Any]) -> dict[str, Any]:
    """One of a story's media as stored; a partner's item also says where it is from (``from``, and a
    ``credit_line`` such as ``Xinhua / Li Ming (from Xinhua)``) for the editor to print beside it."""
    if not media.get("origin_actor"):
        return dict(media)
    agency = media.get("origin_agency") or media["origin_actor"]
    credit = media.get("credit") or ""
    return {**media, "from": agency, "credit_line": f"{credit} (from {agency})" if credit else f"from {agency}"}


async def list_stories(limit: int = 50) -> list[tuple[Story, dict[str, int]]]:
    stories = await Story.all().order_by("-id").limit(limit)
    summary = await delivery_summary([s.id for s in stories])
    return [(s, summary.get(s.id, {})) for s in stories]


async def story_deliveries(story: Story) -> list[dict[str, Any]]:
    rows = await Delivery.filter(activity__subject_id=story.id).order_by("id").prefetch_related("activity")
    return [{"activity": r.activity.activity_id, "type": r.activity.type, "inbox": r.inbox, "state": r.state,
             "attempts": r.attempts, "last_status": r.last_status, "last_error": r.last_error,
             "next_attempt_at": iso(r.next_attempt_at) if r.state == "queued" else None,
             "delivered_at": iso(r.delivered_at) if r.delivered_at else None} for r in rows]
