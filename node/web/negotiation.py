"""Content negotiation and JSON responses for ActivityPub documents."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

AP_JSON = "application/activity+json"


def wants_html(request: web.Request) -> bool:
    """True when the client prefers a web page (a browser), False for ActivityPub and JSON clients."""
    accept = request.headers.get("Accept", "")
    if any(t in accept for t in ("application/activity+json", "application/ld+json", "application/json")):
        return False
    return "text/html" in accept


def ap_response(doc: Any, *, status: int = 200, content_type: str = AP_JSON) -> web.Response:
    """Serialise an ActivityPub document with its media type (and a short public cache)."""
    # aiohttp's content_type argument takes no parameters (NodeInfo's profile is one): set the header.
    return web.Response(status=status, body=orjson.dumps(doc),
                        headers={"Content-Type": content_type, "Vary": "Accept"})


def ap_bytes_response(body: bytes, *, status: int = 200, content_type: str = AP_JSON) -> web.Response:
    """An already serialised ActivityPub document, with the same headers as `ap_response`."""
    return web.Response(status=status, body=body, headers={"Content-Type": content_type, "Vary": "Accept"})
