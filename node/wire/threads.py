"""Story threads on the wire: an agency's updates and rewrites of a developing story, from the first alert to the
latest version, grouped as one thread.

The contract between nodes: a rewrite's object carries AS2 `context` = the URI of the thread's first story (our
compose screen sends it); a story whose `context` names another story joins that story's thread, and one whose
`context` equals another's `context` shares it too. Only a `context` on the story's own host counts, so no agency
can graft its stories onto another's thread. A story's `thread` column holds the thread's key: the first story's
URI (or the shared `context`), its own URI when it starts a thread.
"""

from __future__ import annotations

from typing import Any

from node.wire.models import WireStory
from schemas.activitystreams import object_id, same_origin

__all__ = ["context_of", "assign_thread", "thread_of"]


def context_of(obj: Any, story_uri: str) -> str:
    """The thread an object names (its AS2 `context`, an http(s) URI on the story's own host), or ""."""
    if not isinstance(obj, dict):
        return ""
    ctx = object_id(obj.get("context")) or ""
    if not isinstance(ctx, str) or ctx == story_uri or not ctx.startswith(("http://", "https://")):
        return ""
    return ctx[:512] if same_origin(ctx, story_uri) else ""


async def assign_thread(story: WireStory) -> str:
    """Set (and return) the story's thread key from its object; stories that arrived before their thread's first
    story, naming it, move into the first story's thread."""
    ctx = context_of(story.object, story.uri)
    key = story.uri
    if ctx:
        named = await WireStory.filter(uri=ctx).only("id", "thread", "uri").first()
        key = (named.thread or named.uri) if named is not None else ctx
    if story.thread != key:
        await WireStory.filter(id=story.id).update(thread=key)
        story.thread = key
    if key != story.uri:
        # Early arrivals named this story as their thread: they join ours.
        await WireStory.filter(thread=story.uri).exclude(id=story.id).update(thread=key)
    return key


async def thread_of(story: WireStory) -> list[WireStory]:
    """Every other story of `story`'s thread, newest first (the story itself excluded)."""
    if not story.thread:
        return []
    return await WireStory.filter(thread=story.thread).exclude(id=story.id).exclude(state="deleted").order_by("-id")
