"""Wire stories for the desk's tests and its bench, stored the way the inbox listeners store them (sanitized, with
a proof verdict, indexed and threaded through the change hook), without a second node."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from tortoise.transactions import in_transaction

from federation.provenance import ProofVerdict
from federation.store.models import Following, RemoteActor
from node.wire import provenance as wire_provenance
from node.wire.changes import story_changed
from node.wire.listeners import store_wire_story
from node.wire.models import WireStory

__all__ = ["arrive", "partner"]


async def partner(handle: str, name: str, *, follow: str | None = "accepted",
                  followed_at: datetime | None = None) -> RemoteActor:
    """A partner agency (`user@host`) we follow (or not, with `follow=None`)."""
    user, _, host = handle.partition("@")
    uri = f"https://{host}/actors/{user}"
    actor = await RemoteActor.create(uri=uri, host=host, preferred_username=user, name=name, inbox=uri + "/inbox",
                                     fetched_at=datetime.now(timezone.utc))
    if follow:
        row = await Following.create(actor=actor, local="baku", state=follow, follow_activity_id=uri + "#follow")
        if followed_at is not None:
            await Following.filter(id=row.id).update(created_at=followed_at)
    return actor


async def arrive(fed: Any, actor: RemoteActor, slug: str, headline: str, body: str = "<p>Text.</p>", *,
                 language: str = "en", urgency: int | None = None, subjects: tuple[str, ...] = (),
                 published: datetime | None = None, context: str | None = None, media: int = 0,
                 proof: str = "verified", signature: str = "draft-cavage", summary: str = "",
                 translations: dict[str, tuple[str, str]] | None = None) -> WireStory:
    """Store a story from `actor` as the Create listener does, then run the change hook (index, thread, hub)."""
    uri = f"https://{actor.host}/stories/{slug}"
    names = {language: headline, **{t: h for t, (h, _) in (translations or {}).items()}}
    contents = {language: body, **{t: b for t, (_, b) in (translations or {}).items()}}
    obj: dict[str, Any] = {
        "id": uri, "type": "Article", "attributedTo": actor.uri, "name": headline, "nameMap": names,
        "content": body, "contentMap": contents, "summary": summary, "url": uri,
        "published": (published or datetime.now(timezone.utc)).isoformat().replace("+00:00", "Z"),
    }
    if urgency is not None:
        obj["urgency"] = urgency
    if subjects:
        obj["subject"] = [{"code": s} for s in subjects]
    if context:
        obj["context"] = context
    if media:
        obj["attachment"] = [{"type": "Document", "mediaType": "image/jpeg", "url": f"{uri}/photo{n}.jpg",
                              "name": f"Photo {n} of {headline}"} for n in range(media)]
    verdict = ProofVerdict(status=proof, origin=actor.uri, key_id=actor.uri + "#ed25519-key",
                           reason="" if proof == "verified" else "no proof")
    async with in_transaction():
        story = await store_wire_story(actor, obj, signature, verdict)
        await wire_provenance.record(story, verdict, via=actor.uri)
    await story_changed(fed, "stored", story)
    return await WireStory.get(id=story.id)
