"""The aiohttp application factory: routes, middlewares, and the node's lifecycle in a cleanup context."""

from __future__ import annotations

import time
from typing import Any, AsyncIterator, Awaitable, Callable

from aiohttp import web

from node.accounts import guard as accounts_guard, routes as accounts_routes
from node.config import Config
from node.db import activate
from node.runtime import Node
from node.identity import routes as identity_routes
from node.factchecks import routes as factcheck_routes
from node.media import routes as media_routes
from node.network import routes as network_routes
from node import desk, operations
from node.operations.metrics import NodeMetrics
from node.operations.routes import METRICS
from node.stories import routes as story_routes
from node.translation import job_routes, routes as translation_routes
from node.web import activitypub, api, feeds, openapi, wellknown
from node.wire import routes as wire_routes
from node.web.doccache import DocumentCache, cache_middleware
from node.web.keys import DOCUMENTS, NODE
from node.web.problems import problem_for
from node.web.limits import LIMITS, Limits


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_DOCUMENTS_CLEARED = cache_middleware(DOCUMENTS)


async def answered(request: web.BaseRequest, db: Any, metrics: NodeMetrics | None, route: str,
                   respond: Callable[[], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    """`respond()` in the node's database `db` (several nodes may share a process), any failure answered with its
    problem document (node/web/problems.py), the whole timed in `metrics` under `route`. The app's middleware runs
    every routed request through it, and the server the shared inbox's POSTs, which it answers before routing
    (node/web/serve.py)."""
    started = time.perf_counter()
    try:
        activate(db)
        return await respond()
    except Exception as exc:
        return problem_for(request, exc)
    finally:
        if metrics is not None:
            metrics.observe(request.method, route, time.perf_counter() - started)


def _node_middleware(metrics: NodeMetrics) -> Callable[..., Awaitable[web.StreamResponse]]:
    """The app's one middleware (each middleware layer costs every request a call, and peers fetch documents and
    post to the inbox by the thousand), doing in this order what would be separate layers:

    - time the request under its route template, answer every failure with a problem document, work in the
      request's node's database (`answered`);
    - for the desk and the editor API only: the desk's gate, the API's gate and the document cache's emptying
      after a write. Every other path (ActivityPub documents, the inbox, public pages) passes none of the three,
      each of which would let it through untouched.
    """

    @web.middleware
    async def _middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        resource = request.match_info.route.resource
        route = (resource.canonical if resource is not None else "") or "unmatched"
        path = request.path
        if path.startswith(("/api/", "/desk/")) or path == "/desk":
            return await answered(request, request.app[NODE].db, metrics, route, lambda: desk.desk_middleware(
                request, lambda r: api.auth_middleware(r, lambda r2: _DOCUMENTS_CLEARED(r2, handler))))
        return await answered(request, request.app[NODE].db, metrics, route, lambda: handler(request))

    return _middleware


def create_app(config: Config, *, run_workers: bool = True, node: Node | None = None) -> web.Application:
    """A ready-to-run application. With `run_workers`, delivery and inbox workers run in the same process."""
    app = web.Application(client_max_size=int(config.federation["max_body_bytes"]) + 1)
    app[NODE] = node or Node(config)
    app[DOCUMENTS] = DocumentCache()
    accounts_guard.install(app)
    app[LIMITS] = Limits.from_config(config)
    desk.install(app)

    async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
        the_node = app[NODE]
        await the_node.start()
        if run_workers:
            the_node.start_workers()
        else:
            the_node.start_key_watch()  # a web-only process serves the actor document: it must follow rotations
        yield
        await the_node.stop()

    app.cleanup_ctx.append(_lifecycle)
    operations.install(app)  # after the lifecycle: the engine's observer is set once the node has started
    app.middlewares.append(_node_middleware(app[METRICS]))
    app.add_routes(wellknown.routes() + activitypub.routes() + feeds.routes() + operations.routes() + openapi.routes())
    # Each domain's routes: the editor API (/api/, auth_middleware guards them all) and public files (/media/).
    for domain in (job_routes, story_routes, wire_routes, identity_routes, network_routes, translation_routes,
                   media_routes, accounts_routes, factcheck_routes, desk):
        app.add_routes(domain.routes())
    return app
