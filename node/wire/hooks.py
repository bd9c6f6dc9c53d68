"""What other domains do with wire stories, without the wire knowing them: hooks run after a wire story is stored
or edited, and extra members they add to a wire story's API document.

Registered once per process (node/inbox.py registers the fact-check matcher); a hook works on the node whose
database is active. A hook that fails does not undo the story: it is logged, and the story stays stored.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable

from node.wire.models import WireStory

__all__ = ["Claim", "Extra", "Stored", "add_claim", "add_extra", "add_stored", "claimed", "extras", "stored"]

log = logging.getLogger("agency_node.wire")

# (the node's Federation, the stored wire story) -> None
Stored = Callable[[Any, WireStory], Awaitable[None]]
# (the wire story, the node's base URL) -> members to add to its API document
Extra = Callable[[WireStory, str], Awaitable[dict[str, Any]]]

# (the node's Federation, the activity, the object the wire obtained, whether it was forwarded) -> what was done
# with it, or None when it is not that domain's (then the wire takes it as a story)
Claim = Callable[[Any, dict[str, Any], dict[str, Any], bool], Awaitable["str | None"]]

_CLAIMS: list[Claim] = []
_STORED: list[Stored] = []
_EXTRAS: list[Extra] = []


def add_stored(hook: Stored) -> None:
    """Run `hook` after every wire story is stored or edited (once, however often it is registered)."""
    if hook not in _STORED:
        _STORED.append(hook)


def add_claim(claim: Claim) -> None:
    """Let `claim` take objects the wire obtained itself (fetched by id, or forwarded in an Announce) before they
    are stored as stories: a fact-check is an Article too (once, however often it is registered)."""
    if claim not in _CLAIMS:
        _CLAIMS.append(claim)


async def claimed(fed: Any, activity: dict[str, Any], obj: dict[str, Any], forwarded: bool) -> str | None:
    """The note of the first claim hook that took the object, or None when none did. A hook that refuses the
    object raises `federation.listeners.Ignored` (the activity is then recorded as ignored with its reason)."""
    for claim in _CLAIMS:
        done = await claim(fed, activity, obj, forwarded)
        if done is not None:
            return done
    return None


def add_extra(extra: Extra) -> None:
    """Let `extra` add members to every wire story's API document (once, however often it is registered)."""
    if extra not in _EXTRAS:
        _EXTRAS.append(extra)


async def stored(fed: Any, story: WireStory) -> None:
    """Run the stored-story hooks."""
    for hook in _STORED:
        try:
            await hook(fed, story)
        except Exception:  # the story is stored; what a hook adds to it can be done again on its next edit
            log.exception("wire.hook_failed", extra={"story": story.uri})


async def extras(story: WireStory, base_url: str) -> dict[str, Any]:
    """The members every extra adds to a wire story's API document."""
    out: dict[str, Any] = {}
    for extra in _EXTRAS:
        out.update(await extra(story, base_url))
    return out
