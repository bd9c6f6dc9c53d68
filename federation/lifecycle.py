"""The receiving side of a story's life: the revisions a node has seen, the lifecycle columns of a wire story,
and kills. Our terms are read by `schemas.lifecycle.received_terms`, which bounds and checks every value."""

from __future__ import annotations

from typing import Any, Mapping

from node.models import WireRevision, WireStory
from schemas.lifecycle import parse_time, received_terms


def wire_columns(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The lifecycle columns of a wire story from a received object."""
    terms = received_terms(obj)
    return {"revision": terms["revision"], "urgency": terms["urgency"], "subjects": terms["subjects"],
            "embargoed_until": terms["embargoed_until"]}


async def record_wire_revision(story: WireStory, obj: Mapping[str, Any]) -> WireRevision | None:
    """Keep the revision this object represents (once per number); objects without our terms count by arrival."""
    terms = received_terms(obj)
    number = terms["revision"]
    if number is None:
        number = await WireRevision.filter(wire_story_id=story.id).count() + 1
    when = parse_time(obj.get("updated")) or parse_time(obj.get("published"))
    headline = obj.get("name") if isinstance(obj.get("name"), str) else ""
    row, _ = await WireRevision.get_or_create(
        wire_story_id=story.id, number=number,
        defaults={"content_hash": terms["content_hash"], "headline": str(headline)[:500],
                  "correction": terms["correction"], "correction_note": terms["correction_note"],
                  "updated_at": when})
    return row
