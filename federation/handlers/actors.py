"""Update and Delete: of actors (refresh or remove the cached actor) and of stories (edit or tombstone)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from federation import provenance
from federation.context import Federation
from federation.handlers.base import ACTOR_TYPES, STORY_TYPES, Ignored
from federation.handlers.offers import withdraw_offer
from federation.handlers.stories import _clean_object, _parse_time, wire_fields
from federation.lifecycle import record_wire_revision
from federation.wire_languages import merge_languages
from node.models import Follower, Following, RemoteActor, WireStory, WireTranslation
from schemas.activitystreams import object_id
from schemas.lifecycle import kill_reason


async def handle_update(fed: Federation, activity: dict[str, Any], signature: str = "") -> str:
    """Update(actor) refreshes the cached actor; Update(story) edits our wire copy."""
    obj = activity.get("object")
    if not isinstance(obj, dict):
        raise Ignored("Update without an embedded object")
    if obj.get("type") in ACTOR_TYPES:
        if obj.get("id") != activity["actor"]:
            raise Ignored("an actor may only update itself")
        await fed.fetcher.store_actor(obj, expected_id=activity["actor"])
        fed.fetcher.forget_key(obj.get("publicKey", {}).get("id", "") if isinstance(obj.get("publicKey"), dict)
                               else "")
        return f"actor {activity['actor']} refreshed"
    if obj.get("type") in STORY_TYPES:
        story = await WireStory.get_or_none(uri=obj.get("id", ""), actor__uri=activity["actor"])
        if story is None:
            from federation.handlers.stories import handle_create  # noqa: PLC0415
            return await handle_create(fed, activity, signature)
        if story.state != "live":
            raise Ignored("update of a deleted story")
        incoming = _parse_time(obj.get("updated"))
        if incoming is not None and story.updated_at is not None and incoming < story.updated_at:
            # Deliveries may arrive out of order: an older version never replaces a newer one.
            raise Ignored(f"stale update of {story.uri} ({obj.get('updated')})")
        verdict = await provenance.check(fed, obj, activity=activity)
        if verdict.status == provenance.INVALID:
            raise Ignored(f"update refused, proof invalid ({verdict.code}): {verdict.reason}")
        clean = _clean_object(obj)
        values = wire_fields(clean)
        await WireStory.filter(id=story.id).update(**values, signature=signature or story.signature)
        await record_wire_revision(story, values["object"], verdict)
        await provenance.record(story, verdict, via=activity["actor"])
        languages = await merge_languages(story, clean, known_original=story.language)
        return f"story {story.uri} updated ({', '.join(languages)})"
    raise Ignored(f"Update of a {obj.get('type')}")


async def handle_delete(fed: Federation, activity: dict[str, Any], signature: str = "") -> str:
    """Delete(actor) forgets the actor and its follows; Delete(story) tombstones our wire copy."""
    target = object_id(activity.get("object")) or ""
    now = datetime.now(timezone.utc)
    if target == activity["actor"]:
        actor = await RemoteActor.get_or_none(uri=target)
        if actor is None:
            raise Ignored("delete of an actor we never knew")
        await Follower.filter(actor_id=actor.id).delete()
        await Following.filter(actor_id=actor.id).delete()
        await WireStory.filter(actor_id=actor.id, state="live").update(state="deleted", deleted_at=now)
        await RemoteActor.filter(id=actor.id).update(deleted_at=now)
        return f"actor {target} deleted"
    story = await WireStory.get_or_none(uri=target, actor__uri=activity["actor"])
    # A Delete carrying a kill reason (our term, or its summary) is a kill: the record and the reason are kept.
    reason = kill_reason(activity)
    updated = story and await WireStory.filter(id=story.id, state="live").update(
        state="killed" if reason else "deleted", deleted_at=now, content_html="", summary="", kill_reason=reason)
    if not updated:
        withdrawn = await withdraw_offer(activity, target)
        if withdrawn is not None:
            return withdrawn
        raise Ignored(f"delete of unknown object {target}")
    await WireTranslation.filter(story_id=story.id).delete()  # every language goes with the story
    return f"story {target} {'killed' if reason else 'deleted'}"
