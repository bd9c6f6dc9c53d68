"""The editor API described as an OpenAPI 3.1 document, served at `GET /api/openapi.json` (public: it holds the
API's shape, no data, and a client needs it before it has credentials).

The document is data in code, one module per part of the desk (`newsroom.py`, `desk.py`); request bodies are made
from the same marshmallow schemas the routes load. `tests/node/web/test_openapi.py` validates it and checks that
it and the app's router list exactly the same /api/ routes.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import orjson
from aiohttp import web

from node import __version__
from node.web.openapi import desk, factchecks, newsroom
from node.web.openapi.components import components

__all__ = ["document", "routes"]

_TAGS = ("stories", "wire", "verify", "factchecks", "translations", "jobs", "media", "network", "accounts", "operations")


@lru_cache(maxsize=1)
def _document() -> bytes:
    paths: dict[str, dict[str, Any]] = {}
    for method, path, operation in newsroom.operations() + factchecks.operations() + desk.operations():
        if method in paths.setdefault(path, {}):
            raise ValueError(f"{method.upper()} {path} is described twice")
        paths[path][method] = operation
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "Agency Node editor API", "version": __version__,
                 "description": "The JSON API of a news agency's node: publish and manage stories, read the wire "
                                "of followed agencies, translations, the media stock, the network and the desk's "
                                "accounts. Errors are RFC 9457 problem documents (application/problem+json). "
                                "Authenticate with a bearer token (the node token or a user's) or the session "
                                "cookie; with the cookie, every change carries the X-CSRF-Token header."},
        "servers": [{"url": "/"}],
        "tags": [{"name": name} for name in _TAGS],
        "security": [{"bearerToken": []}, {"sessionCookie": []}],
        "paths": dict(sorted(paths.items())),
        "components": components(),
    }
    return orjson.dumps(doc)


def document() -> dict[str, Any]:
    """The OpenAPI document (a fresh copy: callers may change it)."""
    return orjson.loads(_document())


async def openapi_json(request: web.Request) -> web.Response:
    """The OpenAPI 3.1 document of the editor API."""
    return web.Response(body=_document(), content_type="application/json",
                        headers={"Cache-Control": "public, max-age=300"})


def routes() -> list[web.RouteDef]:
    """`GET /api/openapi.json`."""
    return [web.get("/api/openapi.json", openapi_json)]
