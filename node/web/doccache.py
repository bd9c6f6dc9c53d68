"""A short-lived cache of serialised ActivityPub documents (actors, stories) for busy GET routes.

Remote servers fetch an agency's actor and a fresh story many times at once (every follower's server, every
boost); building and serialising the same document for each costs more than serving it. Entries live `ttl`
seconds (one by default). Any write through the editor API in this process empties the cache at once, so an
editor's change is visible immediately; a change made by another process (the CLI, a second node process) shows
within `ttl`.

A document whose building awaits the database (a story) is built once however many requests ask for it while it
expires (`get_or_build`): without that, the 64 connections of a busy peer all miss at the same moment and each
rebuilds and re-signs the same story.

A route that serves a cached document to a GET may also keep it for replay (`keep_for_replay`): the next GETs of
the same raw path with the same Accept header, while that document stays cached, are answered with it by the
server before any routing or middleware (`replay`, called from node/web/serve.py). The route's own code decided
the representation once (content negotiation included); a replay gives the very same answer. Peers fetch an actor
or a fresh story thousands of times a second, and routing plus the middleware layers cost each fetch more than the
document itself.
"""

from __future__ import annotations

import asyncio
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
        self._building: dict[Hashable, asyncio.Future[tuple[int, bytes]]] = {}
        self._generation = 0  # bumped by clear(): a build started before a write is not kept after it
        # (raw path, Accept header) -> (the document's entry, its key generation, the route template)
        self._replays: dict[tuple[str, str | None], tuple[tuple[float, bytes], int, str]] = {}

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

    async def get_or_build(self, key: Hashable,
                           build: Callable[[], Awaitable[tuple[int, bytes]]]) -> tuple[int, bytes]:
        """(status, body) for `key`: from the cache, else from `build()`, run once for all concurrent callers.

        Only a 200 is kept. An exception from `build()` reaches every caller waiting on it.
        """
        body = self.get(key)
        if body is not None:
            return 200, body
        pending = self._building.get(key)
        if pending is not None:
            try:
                return await asyncio.shield(pending)
            except asyncio.CancelledError:
                if not pending.cancelled():
                    raise  # this request itself was cancelled
                return await self.get_or_build(key, build)  # the one building was cancelled: build here
        future: asyncio.Future[tuple[int, bytes]] = asyncio.get_running_loop().create_future()
        self._building[key] = future
        generation = self._generation
        try:
            status, body = await build()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here, so a build with no other waiters logs nothing
            raise
        finally:
            if self._building.get(key) is future:
                del self._building[key]
        if status == 200 and generation == self._generation:
            self.put(key, body)
        future.set_result((status, body))
        return status, body

    def keep_for_replay(self, request: web.Request, key: Hashable, body: bytes, generation: int) -> None:
        """Let later GETs of `request`'s raw path with its Accept header be answered with `body` (an ActivityPub
        document, 200) for as long as the cache holds it under `key` and the node's key generation is still
        `generation`. Does nothing when `body` is not what the cache holds under `key` (a write emptied the cache
        while it was built) or `request` is not a GET."""
        entry = self._entries.get(key)
        if entry is None or entry[1] is not body or request.method != "GET":
            return
        if len(self._replays) >= self.max_entries:
            self._replays.clear()
        route = request.match_info.route.resource
        self._replays[(request.raw_path, request.headers.get("Accept"))] = (
            entry, generation, (route.canonical if route is not None else "") or "unmatched")

    def replay(self, raw_path: str, accept: str | None, generation: int) -> tuple[bytes, str] | None:
        """(body, route template) kept for a GET of `raw_path` with this Accept header, or None."""
        found = self._replays.get((raw_path, accept))
        if found is None:
            return None
        entry, kept_generation, route = found
        if kept_generation != generation or entry[0] <= time.monotonic():
            return None
        return entry[1], route

    def clear(self) -> None:
        """Forget everything (after a write that may change any document)."""
        self._entries.clear()
        self._replays.clear()
        self._building.clear()  # requests after the write start a fresh build
        self._generation += 1


def cache_middleware(key: web.AppKey[DocumentCache]) -> Callable[..., Awaitable[web.StreamResponse]]:
    """A middleware that empties the app's `DocumentCache` after every editor API or desk write."""

    @web.middleware
    async def _middleware(request: web.Request,
                          handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        if request.method in _SAFE_METHODS or not request.path.startswith(("/api/", "/desk/")):
            return await handler(request)
        try:
            return await handler(request)
        finally:
            request.app[key].clear()

    return _middleware
