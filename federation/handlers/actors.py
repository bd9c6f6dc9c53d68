"""Update and Delete of actors: refresh the cached actor, or forget it and its follows.

Update and Delete of anything else (stories, offers) are the application's listeners; the engine's handlers come
last in the chain (`federation.listeners`).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from federation.context import Federation
from federation.handlers.base import ACTOR_TYPES
from marshmallow import ValidationError

from federation.listeners import Ignored
from federation.payload import Unusable, ref
from federation.store.models import Follower, Following, RemoteActor
from schemas.actors import parse_actor


async def handle_update(fed: Federation, activity: dict[str, Any], signature: str = "") -> str:
    """Update(actor) refreshes the cached actor."""
    obj = activity.get("object")
    if not isinstance(obj, dict):
        raise Ignored("Update without an embedded object")
    if obj.get("type") in ACTOR_TYPES:
        if obj.get("id") != activity["actor"]:
            raise Ignored("an actor may only update itself")
        try:  # checked here, so that a document we could never store is not mistaken for a fetch to retry
            parsed = parse_actor(obj)
        except ValidationError as exc:
            raise Unusable(f"invalid actor document: {_first_problem(exc.messages)}") from None
        await fed.fetcher.store_actor(obj, expected_id=activity["actor"])
        fed.fetcher.forget_key(parsed.public_key_id or "")
        return f"actor {activity['actor']} refreshed"
    raise Ignored(f"Update of a {obj.get('type')}")


async def handle_delete(fed: Federation, activity: dict[str, Any], signature: str = "") -> str:
    """Delete(actor): the application retires what it holds of the actor, then the engine forgets its follows."""
    target = ref(activity.get("object"), "deleted object") or ""
    if target != activity["actor"]:
        raise Ignored(f"delete of unknown object {target}")
    actor = await RemoteActor.get_or_none(uri=target)
    if actor is None:
        raise Ignored("delete of an actor we never knew")
    await Follower.filter(actor_id=actor.id).delete()
    await Following.filter(actor_id=actor.id).delete()
    await fed.listeners.actor_gone(actor)
    await RemoteActor.filter(id=actor.id).update(deleted_at=datetime.now(timezone.utc))
    return f"actor {target} deleted"


def _first_problem(messages: object) -> str:
    """`name: Not a valid string.` out of marshmallow's nested messages."""
    if isinstance(messages, dict) and messages:
        key, value = next(iter(messages.items()))
        return f"{key}: {_first_problem(value)}"
    if isinstance(messages, list) and messages:
        return _first_problem(messages[0])
    return str(messages)
