"""Serving the app on a listening socket, every connection passing the per-address connection limit first.

This is what aiohttp's `web.run_app` does (an `AppRunner`, a server on the socket, an orderly shutdown on SIGINT
or SIGTERM), except that the server's protocol factory is wrapped by the app's `ConnectionLimit`
(node/web/connections.py): aiohttp offers no hook between accepting a connection and starting its request handler.

The two requests peers send by the thousand are answered before the app's routing and middleware: a GET of a
document the cache keeps, and a POST to the shared inbox (`replaying`).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import time
from typing import Awaitable, Callable

from aiohttp import web

from node.operations.routes import METRICS
from node.runtime import freeze_startup_heap
from node.web.activitypub import receive_post
from node.web.app import answered
from node.web.keys import DOCUMENTS, NODE
from node.web.limits import LIMITS
from node.web.negotiation import ap_bytes_response

Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]

__all__ = ["listen", "replaying", "serve"]

BACKLOG = 128


async def listen(runner: web.AppRunner, sock: socket.socket) -> asyncio.AbstractServer:
    """Accept connections on `sock` for the runner's app (set up already), each through the app's connection
    limit, whose refusals are counted in the app's metrics. Close the returned server before `runner.cleanup()`."""
    app = runner.app
    limit = app[LIMITS].connections
    if METRICS in app:
        limit.on_refused = app[METRICS].connection_refused
    assert runner.server is not None, "runner.setup() first"
    # aiohttp's low-level Server hands each request to its `request_handler` (the app's, read by every new
    # connection): replays come first, everything else goes on to the app as before.
    runner.server.request_handler = replaying(app, runner.server.request_handler)
    loop = asyncio.get_running_loop()
    return await loop.create_server(limit.protocol_factory(runner.server), sock=sock, backlog=BACKLOG)


# The shared inboxes (the site's and the instance actor's), by raw path: where Mastodon, Misskey and Fedify deliver.
_SHARED_INBOXES = frozenset(("/inbox", "/actor/inbox"))


def replaying(app: web.Application, handle: Handler) -> Handler:
    """The server's request handler. A GET that the app's document cache keeps an answer for (see
    node/web/doccache.py) is answered from it at once; a POST to a shared inbox goes straight to the inbox
    (`receive_post`, what its route calls) through `answered`, as the app's middleware runs a routed request. Both
    are timed in the metrics under their route as any request. Everything else goes to `handle` (the app:
    routing, middlewares, the route), and so does an inbox POST that asks for ``Expect: 100-continue``, which the
    app's router answers before the body is sent."""
    cache, node, metrics = app[DOCUMENTS], app[NODE], app.get(METRICS)
    limits = app[LIMITS]
    clock = time.perf_counter

    async def _handler(request: web.BaseRequest) -> web.StreamResponse:
        method = request.method
        if method == "GET":
            started = clock()
            kept = cache.replay(request.raw_path, request.headers.get("Accept"), node.key_generation)
            if kept is not None:
                response = ap_bytes_response(kept[0])
                if metrics is not None:
                    metrics.observe("GET", kept[1], clock() - started)
                return response
        elif method == "POST" and request.raw_path in _SHARED_INBOXES and "Expect" not in request.headers:
            return await answered(request, node.db, metrics, request.raw_path,
                                  lambda: receive_post(node, limits, request, None))
        return await handle(request)  # type: ignore[arg-type]

    return _handler


async def serve(app: web.Application, sock: socket.socket, *, keepalive_timeout: float,
                access_log: logging.Logger | None) -> None:
    """Run `app` on `sock` until SIGINT or SIGTERM, then stop accepting, close the connections and run the app's
    cleanup (the node's workers stop there)."""
    runner = web.AppRunner(app, keepalive_timeout=keepalive_timeout, access_log=access_log)
    await runner.setup()
    freeze_startup_heap()  # the app and the node (started by its cleanup context) are built now
    try:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        server = await listen(runner, sock)
        try:
            await stop.wait()
        finally:
            server.close()
    finally:
        await runner.cleanup()
