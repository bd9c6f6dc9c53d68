"""What every inbox handler shares: its signature, the Ignored outcome, and small lookups."""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from federation.context import Federation
from node.models import RemoteActor

# (federation, activity, how its request was signed) -> what was done, for the inbox row's note
Handler = Callable[[Federation, dict[str, Any], str], Awaitable[str]]

ACTOR_TYPES = frozenset({"Person", "Organization", "Service", "Application", "Group"})
STORY_TYPES = frozenset({"Article", "Note", "Page"})


class Ignored(Exception):
    """Nothing to do for this activity (with the reason recorded on the inbox row)."""


async def followed_actor(actor_uri: str) -> RemoteActor | None:
    """The remote actor if one of our actors follows it (accepted), else None."""
    return await RemoteActor.filter(uri=actor_uri, followed_by_us__state="accepted").first()
