"""Read-side queries shared by the editor API and the CLI: stories with delivery status, wire, follows."""

from __future__ import annotations

from collections import Counter
from typing import Any

from federation.vocab import iso
from node.stories.embargo import held
from federation.store.models import Delivery, Follower, Following
from node.stories.models import Story
from node.wire.models import WireProof, WireStory
from node.stories.revisions import wire_revisions


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
        "kill_reason": story.kill_reason,
    }
    if deliveries is not None:
        doc["deliveries"] = deliveries
    return doc


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


async def wire(*, agency: str | None = None, language: str | None = None, limit: int = 50,
               include_deleted: bool = False) -> list[dict[str, Any]]:
    """Stories received from followed agencies, newest first."""
    query = WireStory.all().prefetch_related("actor", "translations")
    if not include_deleted:
        query = query.filter(state="live")
    if agency:
        if "@" in agency:
            user, _, host = agency.lstrip("@").partition("@")
            query = query.filter(actor__preferred_username=user, actor__host=host)
        else:
            query = query.filter(actor__uri=agency) if agency.startswith("http") else query.filter(
                actor__preferred_username=agency)
    if language:
        query = query.filter(language=language)
    rows = await query.order_by("-id").limit(limit)
    proofs = {p.story_id: p for p in await WireProof.filter(story_id__in=[r.id for r in rows])}  # type: ignore
    return [{**_wire_item(r), "proof": proof_json(proofs.get(r.id))} for r in rows]


def proof_json(proof: WireProof | None) -> dict[str, Any]:
    """A wire story's proof verdict for the API and CLI (``unchecked`` when none was recorded)."""
    if proof is None:
        return {"status": "unchecked"}
    return {"status": proof.status, "code": proof.code or None, "reason": proof.reason or None,
            "key_id": proof.key_id or None, "origin": proof.origin or None, "via": proof.via or None,
            "checked": iso(proof.checked_at)}


def _wire_item(r: WireStory) -> dict[str, Any]:
    return {"id": r.uri, "agency": r.actor.handle, "agency_name": r.actor.name, "actor": r.actor.uri,
             "type": r.type, "language": r.language, "headline": r.headline, "summary": r.summary,
             "languages": [t.language for t in sorted(r.translations, key=lambda t: (t.kind != "original",
                                                                                      t.language))],
             "content_html": r.content_html, "url": r.url, "state": r.state, "signature": r.signature,
             "boosted_by": [], "published": iso(r.published_at) if r.published_at else None,
             "updated": iso(r.updated_at) if r.updated_at else None, "received": iso(r.received_at),
             "revision": r.revision, "urgency": r.urgency, "subjects": r.subjects or [],
             "embargoed": held(r), "embargoed_until": iso(r.embargoed_until) if r.embargoed_until else None,
             "killed": r.state == "killed", "kill_reason": r.kill_reason,
             "deleted": iso(r.deleted_at) if r.deleted_at else None}


async def wire_story(uri: str) -> dict[str, Any] | None:
    """One wire story in any state (killed ones too), with its proof and the revisions this node has seen;
    `embargoed` is true while it is held."""
    row = await WireStory.get_or_none(uri=uri).prefetch_related("actor", "translations")
    if row is None:
        return None
    proof = await WireProof.get_or_none(story_id=row.id)
    return {**_wire_item(row), "proof": proof_json(proof), "revisions": await wire_revisions(row)}


async def followers(username: str, state: str | None = None) -> list[dict[str, Any]]:
    query = Follower.filter(local=username).prefetch_related("actor").order_by("id")
    if state:
        query = query.filter(state=state)
    return [{"id": f.id, "actor": f.actor.uri, "handle": f.actor.handle, "name": f.actor.name, "state": f.state,
             "inbox": f.actor.delivery_inbox, "since": iso(f.created_at)} for f in await query]


async def following(username: str) -> list[dict[str, Any]]:
    rows = await Following.filter(local=username).prefetch_related("actor").order_by("id")
    return [{"id": f.id, "actor": f.actor.uri, "handle": f.actor.handle, "name": f.actor.name, "state": f.state,
             "since": iso(f.created_at)} for f in rows]
