"""A short-lived cache of serialised ActivityPub documents (actors, stories) for busy GET routes.

Remote servers fetch an agency's actor and a fresh story many times at once (every follower's server, every
boost); building and serialising the same document for each costs more than serving it. Entries live `ttl`
seconds (one by default). Any write through the editor API in this process empties the cache at once, so an
editor's change is visible immediately; a change made by another process (the CLI, a second node process) shows
within `ttl`.
"""

from __future__ import annotations

import time
from typing import Awaitable, Callable, Hashable

from aiohttp import web

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class DocumentCache:
    """Serialised documents by key, each kept `ttl` seconds; at most `max_entries` (then emptied)."""

    def __init__(self, ttl: float = 1.0, max_entries: int = 4096) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, bytes]] = {}

    def get(self, key: Hashable) -> bytes | None:
        """The cached body for `key`, or None when absent or expired."""
        entry = self._entries.get(key)
        if entry is None or entry[0] <= time.monotonic():
            return None
        return entry[1]

    def put(self, key: Hashable, body: bytes) -> bytes:
        """Keep `body` for `ttl` seconds; returns it."""
        if self.ttl > 0:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()  # bounded: a flood of distinct keys cannot grow memory
            self._entries[key] = (time.monotonic() + self.ttl, body)
        return body

    def clear(self) -> None:
        """Forget everything (after a write that may change any document)."""
        self._entries.clear()


def cache_middleware(key: web.AppKey[DocumentCache]) -> Callable[..., Awaitable[web.StreamResponse]]:
    """A middleware that empties the app's `DocumentCache` after every editor API write."""

    @web.middleware
    async def _middleware(request: web.Request,
                          handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        if request.method in _SAFE_METHODS or not request.path.startswith("/api/"):
            return await handler(request)
        try:
            return await handler(request)
        finally:
            request.app[key].clear()

    return _middleware
