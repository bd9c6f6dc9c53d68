"""The editors' desk: server-rendered pages (Jinja2) under /desk/, in the editor's language,
behind the session login of `node.accounts`. `install(app)` sets it up; each screen keeps its own views module."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from node.desk import (compose_views, factcheck_views, network_views, operations_views, render, stories_views,
                       translation_views, verify_views, views_auth, wire_views)
from node.desk.gate import desk_middleware
from node.web.keys import NODE

__all__ = ["desk_middleware", "install", "routes"]

STATIC = Path(__file__).parent / "static"


def install(app: web.Application) -> None:
    """The desk's template environment on `app` (its middleware is listed in `create_app`)."""
    render.setup(app)

    async def _close_streams(app: web.Application) -> None:
        # Live pages hold their event streams open: end them, or the server waits for them when it stops.
        app[NODE].events.close()

    app.on_shutdown.append(_close_streams)


def routes() -> list[web.AbstractRouteDef]:
    """Every desk route: the static files and each screen's views."""
    return [web.static("/desk/static", STATIC, append_version=False), *views_auth.routes(),
            *wire_views.routes(), *factcheck_views.routes(), *compose_views.routes(), *stories_views.routes(),
            # the Translations, Network, Verify and Operations screens
            *translation_views.routes(), *network_views.routes(), *verify_views.routes(),
            *operations_views.routes()]
