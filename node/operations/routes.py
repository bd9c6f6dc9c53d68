"""`GET /healthz` and `GET /metrics`, and `install`, which gives an app its metrics and hooks them in.

`/healthz` is public and cheap (one `SELECT 1`, no table scans): load balancers and supervisors poll it.
`/metrics` is answered as `[operations] metrics_access` says: "loopback" (the default: clients on a loopback
address, or anyone with the node token), "token" (only with the node token), or "public". Forwarded headers are
not trusted: behind a reverse proxy on the same host every client looks local, so use "token" there.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
from typing import Any, AsyncIterator

from aiohttp import web

from node import __version__
from node.config import hash_token
from node.operations.metrics import CONTENT_TYPE_LATEST, NodeMetrics
from node.web.api import json_response
from node.web.keys import NODE
from node.web.problems import ProblemError

__all__ = ["METRICS", "install", "metrics_allowed", "routes"]

METRICS: web.AppKey[NodeMetrics] = web.AppKey("metrics", NodeMetrics)
_DB_TIMEOUT = 2.0  # seconds: a database that takes longer than this to answer SELECT 1 is not healthy


def install(app: web.Application) -> None:
    """Give the app its own metrics registry and let the engine report to it once the node has started (call
    after the node's lifecycle is in `app.cleanup_ctx`). The app's middleware times its requests into it."""
    metrics = app[METRICS] = NodeMetrics()

    async def _observe(app: web.Application) -> AsyncIterator[None]:
        fed = app[NODE].fed
        if fed is not None:
            fed.observer = metrics
        yield

    app.cleanup_ctx.append(_observe)


async def _database_state(node: Any) -> str:
    if node.db is None:
        return "closed"
    try:
        await asyncio.wait_for(node.db.db().execute_query("SELECT 1"), _DB_TIMEOUT)
    except TimeoutError:
        return "timeout"
    except Exception as exc:  # any failure means "not answering"; its class says which, never a secret
        return f"unavailable ({type(exc).__name__})"
    return "ok"


async def healthz(request: web.Request) -> web.Response:
    """200 {"status": "ok"} when the database answers and no background worker has died; else 503 saying what."""
    node = request.app[NODE]
    database = await _database_state(node)
    dead = node.dead_workers()
    problems = ([f"database {database}"] if database != "ok" else []) + [f"worker {name} stopped" for name in dead]
    doc = {"status": "ok" if not problems else "unhealthy", "version": __version__, "database": database,
           "workers": {"running": node.running_workers(), "stopped": dead}}
    if problems:
        doc["problems"] = problems
    response = json_response(doc, status=200 if not problems else 503)
    response.headers["Cache-Control"] = "no-store"  # a cached "ok" would hide an outage
    return response


def metrics_allowed(request: web.Request) -> bool:
    """Whether this client may read /metrics under the configured `metrics_access`."""
    config = request.app[NODE].config
    access = config.operations.get("metrics_access", "loopback")
    if access == "public":
        return True
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    if token and config.api_token_sha256 and hmac.compare_digest(hash_token(token), config.api_token_sha256):
        return True
    if access == "loopback" and request.remote:
        try:
            return ipaddress.ip_address(request.remote.split("%", 1)[0]).is_loopback
        except ValueError:  # a Unix socket peer has no IP address: the operator chose who reaches it
            return request.remote == "unix"
    return False


async def metrics(request: web.Request) -> web.Response:
    """The Prometheus text format, queue depths read now; 403 to a client `metrics_access` does not allow."""
    if not metrics_allowed(request):
        raise ProblemError(403, "Metrics not available", "this node answers /metrics to loopback clients or with "
                           "the node token ([operations] metrics_access)")
    body = await request.app[METRICS].exposition()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def routes() -> list[web.RouteDef]:
    """The operations routes (outside /api/: they have their own access rules)."""
    return [web.get("/healthz", healthz), web.get("/metrics", metrics)]
