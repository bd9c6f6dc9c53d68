"""What follows a change of a wire story: its search index and thread, then whoever registered for such news.

The wire's inbox listeners call `story_changed` after their transaction committed, with the node's `Federation`
(several nodes may share a process: hooks are kept per federation, like `node.translation.jobs`' request hook).
The node registers its event hub here (`node.runtime`), so the desk's live pages hear of stories as they arrive;
the engine (`federation/`) knows nothing of it.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable

from node.wire.models import WireStory
from node.wire.search_index import index_story
from node.wire.threads import assign_thread

__all__ = ["KINDS", "forget", "on_change", "story_changed"]

log = logging.getLogger("agency_node.wire")

# stored: a new story; updated: a new version of one; killed: a kill (with its reason) or a plain delete.
KINDS = ("stored", "updated", "killed")
Hook = Callable[[str, WireStory], Awaitable[None] | None]
_HOOKS: dict[int, list[Hook]] = {}


def on_change(fed: Any, hook: Hook) -> None:
    """Call `hook(kind, story)` after each change of a wire story received by `fed`'s node."""
    _HOOKS.setdefault(id(fed), []).append(hook)


def forget(fed: Any) -> None:
    """Drop `fed`'s hooks (its node stopped)."""
    _HOOKS.pop(id(fed), None)


async def story_changed(fed: Any, kind: str, story: WireStory, *, current: bool = False) -> None:
    """Re-index the story, place it in its thread, and tell the hooks. A hook's failure is logged, never raised:
    the story is stored, and an inbox item must not be retried because a page could not be told. `current`: the
    caller's `story` is the row as it inserted it just now, indexed in the same transaction (not read back)."""
    fresh = story if current else await WireStory.get_or_none(id=story.id)
    if fresh is None:
        return
    if not current:
        await index_story(fresh)
    await assign_thread(fresh)
    for hook in _HOOKS.get(id(fed), ()):
        try:
            result = hook(kind, fresh)
            if result is not None:
                await result
        except Exception:
            log.exception("wire.hook_failed", extra={"kind": kind, "story": fresh.uri})
