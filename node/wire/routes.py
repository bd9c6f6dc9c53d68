"""Editor API for the wire: stories from followed agencies, forwarding one, and verifying any story."""

from __future__ import annotations


import orjson
from aiohttp import web

from node.stories import ninjs as ninjs_exchange
from node.wire import forwarding, verification
from node.wire import queries as wire_queries
from node.wire.models import WireStory
from node.web.api import json_response, problem_of, read_json
from node.web.keys import NODE
from node.web.problems import ProblemError


async def wire_story(request: web.Request) -> web.Response:
    """One wire story by its id (`?id=URI`), whatever its state, with the revisions this node has seen."""
    uri = request.query.get("id", "")
    if request.query.get("format") == "ninjs":
        row = await WireStory.get_or_none(uri=uri).prefetch_related("actor")
        if row is None:
            raise ProblemError(404, "No such wire story", f"no wire story {uri}")
        return web.Response(body=orjson.dumps(await ninjs_exchange.wire_ninjs(row)),
                            content_type="application/ninjs+json")
    doc = await wire_queries.wire_story(uri, base_url=request.app[NODE].config.base_url)
    if doc is None:
        raise ProblemError(404, "No such wire story", f"no wire story {uri}")
    return json_response(doc)


async def wire(request: web.Request) -> web.Response:
    q = request.query
    items = await wire_queries.wire(agency=q.get("agency") or None, language=q.get("language") or None,
                               limit=min(int(q.get("limit", "50") or 50), 500),
                               include_deleted=q.get("include_killed", "") in ("1", "true"),
                               base_url=request.app[NODE].config.base_url)
    return json_response({"stories": items})


async def announce_wire_story(request: web.Request) -> web.Response:
    """Forward a wire story to our followers (Announce, with the origin's signed copy embedded)."""
    node = request.app[NODE]
    data = await read_json(request)
    uri = data.get("uri") if isinstance(data, dict) else None
    if not isinstance(uri, str) or not uri:
        raise ProblemError(422, "Invalid input", "uri: the wire story's id is required")
    try:
        row = await forwarding.announce(node.fed, node.agency, uri)  # type: ignore[arg-type]
    except forwarding.ForwardError as exc:
        raise problem_of(exc) from None
    return json_response({"activity": row.activity_id, "story": uri}, 202)


async def verify(request: web.Request) -> web.Response:
    """Check a story's proof and origin: body ``{"url": ...}`` or ``{"document": {...}}``; see node/wire/verification."""
    node = request.app[NODE]
    data = await read_json(request)
    if not isinstance(data, dict) or (("url" in data) == ("document" in data)):
        raise ProblemError(422, "Invalid input", "send exactly one of url (a story URL) or document (a JSON object)")
    try:
        if "url" in data:
            if not isinstance(data["url"], str) or not data["url"].startswith(("http://", "https://")):
                raise ProblemError(422, "Invalid input", "url: must be an http(s) URL")
            report = await verification.verify_url(node, data["url"])
        else:
            if not isinstance(data["document"], dict):
                raise ProblemError(422, "Invalid input", "document: must be a JSON object")
            report = await verification.verify_document(node, data["document"], source="document")
    except verification.Unreadable as exc:
        raise ProblemError(502, "Story unreadable", str(exc)) from None
    return json_response(report)


def routes() -> list[web.RouteDef]:
    return [
        web.get("/api/wire", wire),
        web.get("/api/wire/story", wire_story),
        web.post("/api/wire/announce", announce_wire_story),
        web.post("/api/verify", verify),
    ]
