"""The desk's Verify screen: paste a story's URL or its JSON and read the provenance report in words (the use-case
behind POST /api/verify, node/wire/verification.py). Checking changes nothing, so a viewer may use it."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from federation.store.models import RemoteActor
from node.desk.render import locale_of, render
from node.desk.verify_words import report_words, story_facts
from node.web.keys import NODE
from node.wire import verification

__all__ = ["routes"]

_MAX_DOCUMENT = 1_000_000  # characters: a story with every language and its proof is far smaller


async def verify_form(request: web.Request, *, error: str = "", status: int = 200, url: str = "",
                      document: str = "", result: dict[str, Any] | None = None) -> web.Response:
    """The form (and, after a check, the report under it)."""
    return render(request, "verify.html", {"error": error, "url": url, "document": document, "result": result},
                  status=status)


async def _signer(node: Any, origin: str) -> str:
    """The origin agency as the editor knows it: its name and handle when we know the actor, else its URI."""
    if not origin:
        return "?"
    if origin == node.urls.actor(node.agency):
        return f"{node.config.agency.name} (@{node.agency}@{node.config.host})"
    actor = await RemoteActor.get_or_none(uri=origin)
    if actor is None:
        return origin
    return f"{actor.name} (@{actor.handle})" if actor.name else f"@{actor.handle}"


async def verify(request: web.Request) -> web.Response:
    """Check the pasted URL or document and show the report."""
    loc = locale_of(request)
    node = request.app[NODE]
    form = await request.post()
    url, document = str(form.get("url", "")).strip(), str(form.get("document", "")).strip()
    if bool(url) == bool(document):
        return await verify_form(request, status=422, url=url, document=document[:_MAX_DOCUMENT], error=loc.gettext(
            "Give either the story's URL or its JSON document, not both."))
    try:
        if url:
            if not url.startswith(("http://", "https://")):
                return await verify_form(request, status=422, url=url,
                                         error=loc.gettext("The URL must start with http:// or https://."))
            report, doc = await verification.verify_url_with_document(node, url)
        else:
            if len(document) > _MAX_DOCUMENT:
                return await verify_form(request, status=413, error=loc.gettext("The document is too large."))
            try:
                doc = orjson.loads(document)
            except orjson.JSONDecodeError as exc:
                return await verify_form(request, status=422, document=document, error=loc.gettext(
                    "This is not valid JSON: %(error)s", error=str(exc)))
            if not isinstance(doc, dict):
                return await verify_form(request, status=422, document=document,
                                         error=loc.gettext("The document must be a JSON object (a story)."))
            report = await verification.verify_document(node, doc, source="document")
    except verification.Unreadable as exc:
        return await verify_form(request, status=502, url=url, document=document,
                                 error=loc.gettext("The story could not be read: %(error)s", error=str(exc)))
    origin = report.get("origin") or ""
    signer = await _signer(node, origin)
    result = {"report": report, **report_words(loc, report, signer),
              "facts": story_facts(loc, doc, names={origin: signer} if origin else None)}
    return await verify_form(request, url=url, document=document, result=result)


def routes() -> list[web.RouteDef]:
    return [web.get("/desk/verify", verify_form), web.post("/desk/verify", verify)]
