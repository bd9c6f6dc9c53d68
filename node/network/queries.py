"""Read-side queries of the network for the editor API and the CLI: who follows us, whom we follow."""

from __future__ import annotations

from typing import Any

from federation.store.models import Follower, Following
from federation.vocab import iso


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
