"""Follow, Undo(Follow), and Accept and Reject of our follows: the engine's part of following."""

from __future__ import annotations

from typing import Any

from federation.context import Federation
from federation.listeners import Ignored
from federation.outbox import send_activity
from federation.payload import ref
from federation.store.models import Follower, Following, RemoteActor


async def handle_follow(fed: Federation, activity: dict[str, Any], signature: str = "") -> str:
    """Someone follows one of our actors: record it; accept at once unless that actor approves manually."""
    target = ref(activity.get("object"), "followed actor")
    username = fed.local_username(target or "")
    if username is None:
        raise Ignored(f"follow of {target}, which is not a local actor")
    remote = await fed.fetcher.actor(activity["actor"])
    manual = fed.local_actors[username].manually_approves_followers
    existing = await Follower.get_or_none(actor_id=remote.id, local=username)
    if existing is not None and existing.state == "accepted":
        state = "accepted"  # a repeated Follow (the peer lost our Accept): accept again
    else:
        state = "pending" if manual else "accepted"
    if existing is None:
        await Follower.create(actor_id=remote.id, local=username, state=state,
                              follow_activity_id=activity["id"])
    else:
        await Follower.filter(id=existing.id).update(state=state, follow_activity_id=activity["id"])
    if state == "accepted":
        await send_follow_answer(fed, username, "Accept", activity, remote.inbox)
        return f"follower {remote.uri} accepted"
    return f"follow request from {remote.uri} pending approval"


async def send_follow_answer(fed: Federation, username: str, type_: str, follow: dict[str, Any],
                             inbox: str) -> None:
    """Send Accept or Reject of a Follow to the follower's personal inbox (never the shared one)."""
    embedded = {k: follow[k] for k in ("id", "type", "actor", "object") if k in follow}
    await send_activity(fed, username=username, type_=type_, obj=embedded, inboxes=[inbox],
                        to=[follow["actor"]])


async def handle_undo(fed: Federation, activity: dict[str, Any], signature: str = "") -> str:
    """Undo of a Follow (unfollow). Undo of anything else is the application's (an unboost, say)."""
    inner = activity.get("object")
    inner_id = ref(inner, "undone activity")
    inner_type = inner.get("type") if isinstance(inner, dict) else None
    followed = ref(inner.get("object"), "undone follow's object") if isinstance(inner, dict) else None
    remote = await RemoteActor.get_or_none(uri=activity["actor"])
    if remote is None:
        raise Ignored(f"Undo from unknown actor {activity['actor']}")
    if inner_type in (None, "Follow"):
        query = Follower.filter(actor_id=remote.id)
        if fed.local_username(followed or ""):
            query = query.filter(local=fed.local_username(followed or ""))
        elif inner_id:
            query = query.filter(follow_activity_id=inner_id)
        deleted = await query.delete()
        if deleted:
            return f"unfollowed by {activity['actor']}"
    raise Ignored(f"nothing to undo for {inner_id}")


async def _answer_to_our_follow(fed: Federation, activity: dict[str, Any]) -> Following:
    inner = activity.get("object")
    follow_id = ref(inner, "answered follow")
    follower = ref(inner.get("actor"), "answered follow's actor") if isinstance(inner, dict) else None
    row = await Following.get_or_none(follow_activity_id=follow_id or "").prefetch_related("actor")
    if row is None and follower:
        # Some servers answer with a re-built Follow whose id is not ours; match on who and whom.
        row = await Following.filter(actor__uri=activity["actor"],
                                     local=fed.local_username(follower) or "").first()
    if row is None:
        raise Ignored(f"answer to an unknown follow {follow_id}")
    await row.fetch_related("actor")
    if row.actor.uri != activity["actor"]:
        raise Ignored("answer to a follow from someone other than its target")
    return row


async def handle_accept(fed: Federation, activity: dict[str, Any], signature: str = "") -> str:
    """The actor we asked to follow accepted."""
    row = await _answer_to_our_follow(fed, activity)
    await Following.filter(id=row.id).update(state="accepted")
    return f"following {row.actor.uri}"


async def handle_reject(fed: Federation, activity: dict[str, Any], signature: str = "") -> str:
    """The actor we asked to follow refused (or removed us)."""
    row = await _answer_to_our_follow(fed, activity)
    await Following.filter(id=row.id).update(state="rejected")
    return f"follow of {row.actor.uri} rejected"
