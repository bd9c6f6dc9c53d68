"""The wire's live stream: server-sent events (``GET /desk/wire/events``, ``text/event-stream``) telling an open wire
page of each story stored, updated or killed, as a row rendered on the server, only when it passes the page's
filters (the same query parameters as the page).

Each event is read from the database and rendered once per language and role for every desk listening (the
event's shared cache), not once per desk: 200 open desks cost one story load and a few renders. A comment line
every `KEEPALIVE_SECONDS` keeps proxies from closing an idle stream and re-checks the session (a logged-out or
disabled user's stream ends). A client that reconnects with ``Last-Event-ID`` gets what it missed from the hub's
recent events, or a ``resync`` event (reload the list) when they are gone.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson
from aiohttp import web

from node.accounts import sessions
from node.accounts.audit import Principal
from node.accounts.guard import PRINCIPAL, SESSION_COOKIE
from node.desk.render import environment, locale_of
from node.desk.wire_present import row_context, story_views
from node.events import Event
from node.web.keys import NODE
from node.wire import search_index
from node.wire.listing import FilterError, WireFilters, parse_filters, story_matches
from node.wire.models import WireStory
from node.wire.threads import thread_of

__all__ = ["KEEPALIVE_SECONDS", "wire_events"]

log = logging.getLogger("agency_node.desk")
KEEPALIVE_SECONDS = 15.0
RETRY_MS = 3000


async def _load(event: Event) -> dict[str, Any] | None:
    """What every listener of this event needs, loaded once (listeners share the future)."""
    story = await WireStory.get_or_none(id=int(event.data["story"])).prefetch_related("actor")
    if story is None:
        return None
    (view,) = await story_views([story])
    earlier = await thread_of(story) if story.thread else []
    return {"story": story, "view": view, "earlier": {story.thread: earlier},
            "document": search_index.document_of(story.headline, story.summary, story.content_html, story.object)}


async def _shared(event: Event) -> dict[str, Any] | None:
    future = event.cache.get("load")
    if future is None:
        future = event.cache["load"] = asyncio.ensure_future(_load(event))
    return await asyncio.shield(future)


def _row_html(request: web.Request, event: Event, loaded: dict[str, Any], who: Principal) -> str:
    loc = locale_of(request)
    key = ("html", loc.tag, who.role)
    html = event.cache.get(key)
    if html is None:
        env = environment(request.app)
        ctx = {**row_context(loc, who.role), "v": loaded["view"], "earlier": loaded["earlier"]}
        html = event.cache[key] = env.get_template("wire_row.html").render(ctx)
    return html


def _frame(event_type: str, data: dict[str, Any], event_id: str = "") -> bytes:
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {event_type}\ndata: ".encode() + orjson.dumps(data) + b"\n\n"


async def _message(request: web.Request, event: Event, filters: WireFilters, who: Principal) -> bytes | None:
    if not event.kind.startswith("wire."):
        return None
    loaded = await _shared(event)
    if loaded is None:
        return None
    story, view = loaded["story"], loaded["view"]
    kind = event.kind.removeprefix("wire.")
    shown = story_matches(filters, story, agency=view.agency, languages=view.language_tags, topics=view.topic_codes,
                          has_media=bool(view.media), document=loaded["document"])
    if not shown:
        # A story the page may show in an older version that no longer matches: the page drops it.
        return _frame("gone", {"id": story.id, "thread": story.thread}, event.id) if kind != "stored" else None
    return _frame("story", {
        "id": story.id, "thread": story.thread, "kind": kind, "urgency": story.urgency,
        "headline": story.headline[:300], "agency": view.agency_name,
        "alert": kind == "stored" and story.urgency in (1, 2) and story.state == "live",
        "html": _row_html(request, event, loaded, who)}, event.id)


async def _still_logged_in(request: web.Request) -> bool:
    raw = request.cookies.get(SESSION_COOKIE, "")
    return bool(raw) and await sessions.resolve_session(raw, request.app[NODE].config.accounts) is not None


async def wire_events(request: web.Request) -> web.StreamResponse:
    """The live stream of the wire for the filters in the query string (see the module docstring)."""
    who: Principal = request[PRINCIPAL]
    try:
        filters = parse_filters(request.query)
    except FilterError as exc:
        raise web.HTTPUnprocessableEntity(text=str(exc))
    hub = request.app[NODE].events
    last = request.headers.get("Last-Event-ID", "") or request.query.get("last", "")
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream; charset=utf-8",
                                           "Cache-Control": "no-store", "X-Accel-Buffering": "no"})
    with hub.subscribe(last[:64]) as sub:  # before the headers go: a page that sees the stream open misses nothing
        try:
            await response.prepare(request)
            await response.write(f"retry: {RETRY_MS}\n: connected {hub.epoch}\n\n".encode())
            while True:
                event = await sub.next(KEEPALIVE_SECONDS)
                if sub.closed:
                    break
                if sub.resync:
                    sub.reset()
                    await response.write(_frame("resync", {}))
                    continue
                if event is None:
                    if not await _still_logged_in(request):
                        await response.write(_frame("logout", {}))
                        break
                    await response.write(b": keep-alive\n\n")
                    continue
                frame = await _message(request, event, filters, who)
                if frame is not None:
                    await response.write(frame)
        except ConnectionResetError:
            pass  # the desk closed the page
    return response
