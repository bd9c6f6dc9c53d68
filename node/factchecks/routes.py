"""Fact-check routes: the editor API (/api/factchecks, /api/check) and the public fact-check documents (the page
with its ClaimReview JSON-LD, the ActivityPub object, the feeds)."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from federation.proofs import ServedProofCache
from node.accounts.guard import AUDIT_ACTION
from node.factchecks import (channel, endorsements, feeds, forwarding, matching, ninjs, page, publishing,
                             queries)
from node.factchecks.documents import factcheck_object, tombstone
from node.factchecks.errors import FactCheckError, get_factcheck
from node.factchecks.models import FactCheckTranslation
from node.web.api import json_response, load_input, problem_of, read_json
from node.web.keys import NODE
from node.web.negotiation import ap_response, wants_html
from node.web.problems import ProblemError
from schemas.factcheck import FactCheckInputSchema, TranslationInputSchema

_SERVED = ServedProofCache(512)


def _agency(request: web.Request) -> tuple[Any, str, str]:
    node = request.app[NODE]
    return node, node.agency, node.config.agency.name


async def _own(request: web.Request) -> Any:
    try:
        return await get_factcheck(request.match_info["uuid"])
    except FactCheckError as exc:
        raise problem_of(exc) from None


async def create_factcheck(request: web.Request) -> web.Response:
    node, username, name = _agency(request)
    data = load_input(FactCheckInputSchema(), await read_json(request))
    try:
        fc = await publishing.publish(node.fed, username, name, data)
    except FactCheckError as exc:
        raise problem_of(exc) from None
    return json_response(await queries.own_json(node.urls, fc), 201)


async def list_factchecks(request: web.Request) -> web.Response:
    node = request.app[NODE]
    q = request.query
    try:
        limit = min(int(q.get("limit", "50") or 50), 500)
    except ValueError:
        raise ProblemError(422, "Invalid input", "limit: must be a number") from None
    items = await queries.list_factchecks(node.urls, origin=q.get("origin") or "local", limit=limit,
                                          include_withdrawn=q.get("include_withdrawn", "") in ("1", "true"),
                                          urgent=q.get("urgent", "") in ("1", "true"))
    return json_response({"factchecks": items})


async def get_factcheck_json(request: web.Request) -> web.Response:
    node = request.app[NODE]
    return json_response(await queries.own_json(node.urls, await _own(request)))


def _current_input(fc: Any) -> dict[str, Any]:
    return {"claim": {"text": fc.claim_text, "language": fc.claim_language, "urls": fc.claim_urls,
                      "accounts": fc.claim_accounts, "first_seen": fc.claim_first_seen, "media": fc.claim_media},
            "verdict": fc.verdict, "explanation": fc.explanation, "language": fc.language, "evidence": fc.evidence,
            "urgency": fc.urgency, "urgent": fc.urgent}


async def correct_factcheck(request: web.Request) -> web.Response:
    """PATCH: the given fields change (`claim` as a whole), the rest stays; a new version goes out as an Update."""
    node, username, name = _agency(request)
    fc = await _own(request)
    raw = await read_json(request)
    changes = load_input(FactCheckInputSchema(), raw, partial=True)
    merged = {**_current_input(fc), **{k: v for k, v in changes.items() if k in raw}}
    if "explanation" in raw and "language" not in raw and fc.language not in merged["explanation"]:
        merged["language"] = next(iter(merged["explanation"]))
    if "verdict" in raw or changes.get("correction_note"):
        request[AUDIT_ACTION] = "factcheck.correct"
    try:
        fc = await publishing.correct(node.fed, username, name, fc.uuid, merged)
    except FactCheckError as exc:
        raise problem_of(exc) from None
    return json_response(await queries.own_json(node.urls, fc))


async def withdraw_factcheck(request: web.Request) -> web.Response:
    node, username, _ = _agency(request)
    data = await read_json(request) if request.can_read_body else {}
    reason = data.get("reason", "") if isinstance(data, dict) else ""
    if not isinstance(reason, str):
        raise ProblemError(422, "Invalid input", "reason: must be a string")
    try:
        fc = await publishing.withdraw(node.fed, username, request.match_info["uuid"], reason)
    except FactCheckError as exc:
        raise problem_of(exc) from None
    return json_response(await queries.own_json(node.urls, fc))


async def submit_translation(request: web.Request) -> web.Response:
    data = load_input(TranslationInputSchema(), await read_json(request))
    try:
        row = await publishing.submit_translation(request.match_info["uuid"], data["language"], data["claim"],
                                                  data["explanation"], data["translator"])
    except FactCheckError as exc:
        raise problem_of(exc) from None
    return json_response({"language": row.language, "status": row.status}, 201)


async def review_translation(request: web.Request) -> web.Response:
    node, username, name = _agency(request)
    try:
        row = await publishing.review_translation(node.fed, username, name, request.match_info["uuid"],
                                                  request.match_info["language"], request.match_info["decision"])
    except FactCheckError as exc:
        raise problem_of(exc) from None
    return json_response({"language": row.language, "status": row.status})


async def endorse(request: web.Request) -> web.Response:
    """Endorse a fact-check this node has: ``{"uri": ..., "comment": ...}``."""
    node, username, name = _agency(request)
    data = await read_json(request)
    uri = data.get("uri") if isinstance(data, dict) else None
    comment = data.get("comment", "") if isinstance(data, dict) else ""
    if not isinstance(uri, str) or not uri or not isinstance(comment, str):
        raise ProblemError(422, "Invalid input", "uri: the fact-check's id is required; comment: a string")
    try:
        row = await endorsements.endorse(node.fed, username, name, uri, comment)
    except FactCheckError as exc:
        raise problem_of(exc) from None
    return json_response({"factcheck": row.factcheck_uri, "activity": row.activity_id}, 202)


async def announce(request: web.Request) -> web.Response:
    """Forward a partner's fact-check to our followers: ``{"uri": ...}`` (an Announce with its signed copy)."""
    node, username, _ = _agency(request)
    data = await read_json(request)
    uri = data.get("uri") if isinstance(data, dict) else None
    if not isinstance(uri, str) or not uri:
        raise ProblemError(422, "Invalid input", "uri: the fact-check's id is required")
    try:
        row = await forwarding.announce(node.fed, username, uri)
    except FactCheckError as exc:
        raise problem_of(exc) from None
    return json_response({"factcheck": uri, "activity": row.activity_id}, 202)


async def unendorse(request: web.Request) -> web.Response:
    """Take back our endorsement: ``{"uri": ...}`` (an Undo goes out)."""
    node, username, _ = _agency(request)
    data = await read_json(request)
    uri = data.get("uri") if isinstance(data, dict) else None
    if not isinstance(uri, str) or not uri:
        raise ProblemError(422, "Invalid input", "uri: the fact-check's id is required")
    try:
        row = await endorsements.withdraw_endorsement(node.fed, username, uri)
    except FactCheckError as exc:
        raise problem_of(exc) from None
    return json_response({"factcheck": row.factcheck_uri, "withdrawn": row.activity_id}, 202)


async def check(request: web.Request) -> web.Response:
    """Has anyone in our network checked this? ``{"url": ...}`` or ``{"text": ...}``."""
    node = request.app[NODE]
    data = await read_json(request)
    if not isinstance(data, dict) or (("url" in data) == ("text" in data)):
        raise ProblemError(422, "Invalid input", "send exactly one of url or text")
    value = data.get("url", data.get("text"))
    if not isinstance(value, str) or not value.strip() or len(value) > 500_000:
        raise ProblemError(422, "Invalid input", "url/text: a non-empty string (at most 500,000 characters)")
    if "url" in data and not value.strip().startswith(("http://", "https://")):
        raise ProblemError(422, "Invalid input", "url: must be an http(s) URL")
    return json_response(await matching.check(node.urls, value))


async def factcheck_ninjs(request: web.Request) -> web.Response:
    node, username, name = _agency(request)
    fc = await _own(request)
    doc = await ninjs.export(node.urls, username, name, fc)
    return web.Response(body=orjson.dumps(doc), content_type="application/ninjs+json")


async def import_factcheck(request: web.Request) -> web.Response:
    node, username, name = _agency(request)
    try:
        fc, action = await ninjs.import_ninjs(node.fed, username, name, await read_json(request))
    except ninjs.NinjsError as exc:
        raise ProblemError(422, "Invalid ninjs", str(exc)) from None
    except FactCheckError as exc:
        raise problem_of(exc) from None
    return json_response({**await queries.own_json(node.urls, fc), "action": action},
                         201 if action == "created" else 200)


# -- public ----------------------------------------------------------------------------------------------------------

async def public_factcheck(request: web.Request) -> web.Response:
    """The fact-check's page (a browser) or its Article (ActivityPub); 410 with a Tombstone once withdrawn."""
    node, username, name = _agency(request)
    try:
        fc = await get_factcheck(request.match_info["uuid"])
    except FactCheckError:
        raise web.HTTPNotFound() from None
    translations = list(await FactCheckTranslation.filter(factcheck_id=fc.id, status="approved"))
    if wants_html(request):
        if fc.state == "withdrawn":
            return web.Response(status=410, text=page.withdrawn_page(fc), content_type="text/html")
        return web.Response(text=page.factcheck_page(node.urls, username, name, fc, translations,
                                                     language=request.query.get("lang", "")),
                            content_type="text/html")
    if fc.state == "withdrawn":
        return ap_response(tombstone(node.urls, fc), status=410)
    obj = factcheck_object(node.urls, username, name, fc, translations)
    return ap_response(_SERVED.sign(node.fed, username, obj))  # type: ignore[arg-type]


async def channel_factcheck(request: web.Request) -> web.Response:
    """The fact-check channel's post of a fact-check (node/factchecks/channel.py); 410 with a Tombstone once
    withdrawn, 404 when this node runs no channel."""
    node, username, name = _agency(request)
    if channel.channel_for(node.fed, username) is None:
        raise web.HTTPNotFound()
    try:
        fc = await get_factcheck(request.match_info["uuid"])
    except FactCheckError:
        raise web.HTTPNotFound() from None
    if fc.state == "withdrawn":
        return ap_response({**tombstone(node.urls, fc), "id": channel.channel_object_url(node.urls, fc.uuid)},
                           status=410)
    translations = list(await FactCheckTranslation.filter(factcheck_id=fc.id, status="approved"))
    obj = channel.channel_object(node.urls, username, factcheck_object(node.urls, username, name, fc, translations))
    return ap_response(_SERVED.sign(node.fed, channel.channel_username(username), obj))  # type: ignore[arg-type]


def routes() -> list[web.RouteDef]:
    return [
        web.post("/api/factchecks", create_factcheck),
        web.get("/api/factchecks", list_factchecks),
        web.post("/api/factchecks/endorse", endorse),
        web.delete("/api/factchecks/endorse", unendorse),
        web.post("/api/factchecks/announce", announce),
        web.post("/api/factchecks/import", import_factcheck),
        web.get("/api/factchecks/{uuid}", get_factcheck_json),
        web.patch("/api/factchecks/{uuid}", correct_factcheck),
        web.delete("/api/factchecks/{uuid}", withdraw_factcheck),
        web.post("/api/factchecks/{uuid}/withdraw", withdraw_factcheck),
        web.get("/api/factchecks/{uuid}/ninjs", factcheck_ninjs),
        web.post("/api/factchecks/{uuid}/translations", submit_translation),
        web.post("/api/factchecks/{uuid}/translations/{language}/{decision}", review_translation),
        web.post("/api/check", check),
        web.get("/factchecks/{uuid}", public_factcheck),
        web.get("/factchecks/{uuid}/channel", channel_factcheck),
        *feeds.routes(),
    ]
