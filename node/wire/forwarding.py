"""Forwarding a story from the wire: Announce it to our followers, embedding the copy exactly as its origin signed it.

The embedded copy keeps its origin's object integrity proof, so a node that does not follow the origin (or
cannot reach it) can still check that the story is the origin's, unaltered. A story whose copy we could not
verify is announced by id only: receivers then fetch it from its origin.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from federation.context import Federation
from federation.outbox import enqueue, follower_inboxes, new_uuid
from federation.proofs import STORY_OBJECT_TYPES
from federation.vocab import PUBLIC, activity
from federation.store.models import OutboxActivity
from node.wire.models import WireProof, WireStory


class ForwardError(Exception):
    """The story cannot be forwarded (unknown, or killed)."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


async def announce(fed: Federation, username: str, uri: str) -> OutboxActivity:
    """Queue an Announce of the wire story `uri` for every follower of `username`."""
    story = await WireStory.get_or_none(uri=uri)
    if story is None:
        raise ForwardError(404, "No such wire story", f"no story {uri} on the wire")
    if story.state != "live":
        raise ForwardError(409, "Story deleted", f"story {uri} was deleted by its origin")
    proof = await WireProof.get_or_none(story_id=story.id)
    signed = proof.signed_object if proof is not None and proof.status == "verified" else None
    return await queue_announce(fed, username, uri, signed)


async def queue_announce(fed: Federation, username: str, uri: str, signed: Any = None) -> OutboxActivity:
    """Queue `username`'s Announce of the object `uri` for its followers: `signed` (the origin's copy whose proof
    we verified) is embedded verbatim, @context and proof included, when it is that object; else by id only.
    Shared by the wire's stories and the partners' fact-checks (node/factchecks/forwarding.py)."""
    doc = activity(fed.urls, username, uuid=new_uuid(), type_="Announce", obj=uri, to=[PUBLIC],
                   cc=[fed.urls.followers(username)], published=datetime.now(timezone.utc))
    if isinstance(signed, dict) and signed.get("id") == uri and signed.get("type") in STORY_OBJECT_TYPES:
        doc["object"] = signed
    return await enqueue(fed, username=username, activity=doc, inboxes=await follower_inboxes(username),
                         public=True)
