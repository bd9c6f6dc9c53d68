"""Following use-cases: follow and unfollow other agencies, approve or reject followers."""

from __future__ import annotations

from typing import Any

from federation.context import Federation
from federation.errors import FetchError, FederationError, PrivateAddressError
from federation.handlers.follows import send_follow_answer
from federation.outbox import enqueue, new_uuid, send_activity
from federation.vocab import activity as build_activity
from federation.webfinger import resolve_handle
from federation.store.models import Follower, Following, RemoteActor


class FollowError(Exception):
    """A follow operation failed; `status` is the HTTP status the API answers with."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


async def _remote(fed: Federation, handle: str) -> RemoteActor:
    try:
        uri = await resolve_handle(fed.http, handle)
        if fed.local_username(uri):
            raise FollowError(400, "Cannot follow yourself", f"{handle} is this node's own actor")
        return await fed.fetcher.actor(uri, refresh=True)
    except ValueError as exc:
        raise FollowError(400, "Invalid handle", str(exc)) from None
    except PrivateAddressError as exc:
        # This node's policy, not the peer's bad moment: asking again cannot help (a 502 would say it might).
        raise FollowError(422, "Address not allowed", f"{exc} (federation.allow_private_addresses is off)") \
            from None
    except FetchError as exc:
        raise FollowError(502, "Remote actor unavailable", str(exc)) from None
    except FederationError as exc:
        raise FollowError(502, "Remote actor unavailable", str(exc)) from None


async def follow(fed: Federation, username: str, handle: str) -> Following:
    """Look the handle up, send Follow, record it as pending (an Accept marks it accepted)."""
    remote = await _remote(fed, handle)
    existing = await Following.get_or_none(actor_id=remote.id, local=username)
    if existing is not None and existing.state in ("pending", "accepted"):
        return existing
    doc = build_activity(fed.urls, username, uuid=new_uuid(), type_="Follow", obj=remote.uri, to=[remote.uri])
    if existing is None:
        row = await Following.create(actor_id=remote.id, local=username, state="pending",
                                     follow_activity_id=doc["id"])
    else:
        await Following.filter(id=existing.id).update(state="pending", follow_activity_id=doc["id"])
        row = await Following.get(id=existing.id)
    # Follow goes to the personal inbox: some servers do not take follows on the shared one.
    await enqueue(fed, username=username, activity=doc, inboxes=[remote.inbox])
    return row


async def unfollow(fed: Federation, username: str, handle: str) -> RemoteActor:
    """Send Undo{Follow} and forget the follow."""
    remote = await _remote(fed, handle)
    row = await Following.get_or_none(actor_id=remote.id, local=username)
    if row is None:
        raise FollowError(404, "Not following", f"{username} does not follow {handle}")
    follow_doc = {"id": row.follow_activity_id, "type": "Follow", "actor": fed.urls.actor(username),
                  "object": remote.uri}
    await send_activity(fed, username=username, type_="Undo", obj=follow_doc, inboxes=[remote.inbox],
                        to=[remote.uri])
    await row.delete()
    return remote


async def decide(fed: Federation, username: str, follower_id: int, approve: bool) -> Follower:
    """Approve or reject a pending (or accepted) follower; the follower is told with Accept or Reject."""
    row = await Follower.get_or_none(id=follower_id, local=username).prefetch_related("actor")
    if row is None:
        raise FollowError(404, "No such follower", f"no follower {follower_id}")
    follow_doc: dict[str, Any] = {"id": row.follow_activity_id, "type": "Follow", "actor": row.actor.uri,
                                  "object": fed.urls.actor(username)}
    await send_follow_answer(fed, username, "Accept" if approve else "Reject", follow_doc, row.actor.inbox)
    if approve:
        await Follower.filter(id=row.id).update(state="accepted")
        await row.refresh_from_db()
    else:
        await Follower.filter(id=row.id).delete()
    return row
