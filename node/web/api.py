"""The editor API (JSON, bearer token): stories, delivery status, the wire, follows and followers."""

from __future__ import annotations

import hmac
from typing import Any, Awaitable, Callable

import orjson
from aiohttp import web
from marshmallow import ValidationError

from node.wire import forwarding, verification
from node.identity import rotation
from node.network import following as follow_uc
from node.stories import kills, ninjs as ninjs_exchange, publishing, queries, revisions
from node.config import hash_token
from node.stories.models import Story
from node.wire.models import WireStory
from node.web.keys import NODE
from node.web.problems import ProblemError
from schemas.editor import FollowInputSchema, KillInputSchema, StoryInputSchema


def _json(doc: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(doc), content_type="application/json")


@web.middleware
async def auth_middleware(request: web.Request,
                          handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    """Every /api/ route needs `Authorization: Bearer <token>`; the config keeps only the token's hash."""
    if request.path.startswith("/api/"):
        expected = request.app[NODE].config.api_token_sha256
        if not expected:
            raise ProblemError(403, "Editor API disabled", "no API token is configured (agency-node init makes one)")
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        if not token or not hmac.compare_digest(hash_token(token), expected):
            raise ProblemError(401, "Unauthorized", "a valid bearer token is required",
                               )
    return await handler(request)


async def _body(request: web.Request) -> Any:
    if request.content_type not in ("application/json", "application/ninjs+json"):
        raise ProblemError(415, "Unsupported media type", "send application/json")
    raw = await request.read()
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ProblemError(400, "Malformed JSON", "the body is not valid JSON") from None


def _load(schema: Any, data: Any, **kw: Any) -> dict[str, Any]:
    try:
        return schema.load(data, **kw)
    except ValidationError as exc:
        raise ProblemError(422, "Invalid input", "; ".join(f"{k}: {v}" for k, v in exc.messages.items())
                           if isinstance(exc.messages, dict) else str(exc.messages), errors=exc.messages) from None


def _story_input(data: dict[str, Any]) -> publishing.StoryInput:
    return publishing.StoryInput(headline=data["headline"], body=data["body"], language=data["language"],
                                 summary=data.get("summary", ""), body_format=data.get("body_format", "html"),
                                 hashtags=tuple(data.get("hashtags", [])), canonical_url=data.get("canonical_url"),
                                 urgency=data.get("urgency"), subjects=tuple(data.get("subjects") or ()),
                                 embargoed_until=data.get("embargoed_until"),
                                 correction_note=data.get("correction_note") or {})


def _guard(exc: Exception) -> ProblemError:
    return ProblemError(exc.status, exc.title, exc.detail)  # type: ignore[attr-defined]


async def _story(request: web.Request) -> Story:
    """The story the route's `{uuid}` names, or its problem (404)."""
    try:
        return await publishing.get_story(request.match_info["uuid"])
    except publishing.StoryError as exc:
        raise _guard(exc) from None


async def create_story(request: web.Request) -> web.Response:
    node = request.app[NODE]
    data = _load(StoryInputSchema(), await _body(request))
    try:
        story = await publishing.publish(node.fed, node.agency, _story_input(data),  # type: ignore[arg-type]
                                         hooks=node.story_hooks)
    except publishing.StoryError as exc:
        raise _guard(exc) from None
    return _json(queries.story_json(story, node.urls.story(story.uuid)), 201)


async def list_stories(request: web.Request) -> web.Response:
    node = request.app[NODE]
    rows = await queries.list_stories(limit=min(int(request.query.get("limit", "50") or 50), 500))
    return _json({"stories": [queries.story_json(s, node.urls.story(s.uuid), d) for s, d in rows]})


async def get_story(request: web.Request) -> web.Response:
    node = request.app[NODE]
    story = await _story(request)
    summary = await queries.delivery_summary([story.id])
    return _json(queries.story_json(story, node.urls.story(story.uuid), summary.get(story.id, {})))


async def update_story(request: web.Request) -> web.Response:
    node = request.app[NODE]
    try:
        story = await publishing.get_story(request.match_info["uuid"])
        changes = _load(StoryInputSchema(), await _body(request), partial=True)
        current = {"headline": story.headline, "summary": story.summary, "body": story.body_html,
                   "body_format": "html", "language": story.language, "hashtags": story.hashtags,
                   "canonical_url": story.canonical_url, "urgency": story.urgency, "subjects": story.subjects,
                   "embargoed_until": story.embargoed_until}
        explicit = (await _body(request)).keys()
        merged = {**current, **{k: v for k, v in changes.items() if k in explicit}}
        story = await publishing.update(node.fed, node.agency, story.uuid,  # type: ignore[arg-type]
                                        _story_input(merged), hooks=node.story_hooks)
    except publishing.StoryError as exc:
        raise _guard(exc) from None
    return _json(queries.story_json(story, node.urls.story(story.uuid)))


async def delete_story(request: web.Request) -> web.Response:
    """DELETE (optionally with `{reason}`) and POST .../kill `{reason}`: retract the story (see node.kills)."""
    node = request.app[NODE]
    data = _load(KillInputSchema(), await _body(request)) if request.can_read_body else {"reason": ""}
    try:
        story = await kills.kill(node.fed, node.agency, request.match_info["uuid"],  # type: ignore[arg-type]
                                 data["reason"])
    except publishing.StoryError as exc:
        raise _guard(exc) from None
    summary = await queries.delivery_summary([story.id])
    return _json(queries.story_json(story, node.urls.story(story.uuid), summary.get(story.id, {})))


async def story_revisions(request: web.Request) -> web.Response:
    story = await _story(request)
    return _json({"story": story.uuid, "revisions": await revisions.story_revisions(story)})


async def story_ninjs(request: web.Request) -> web.Response:
    """Any of our stories as IPTC ninjs 3.x (also scheduled and killed ones: editors see everything)."""
    node = request.app[NODE]
    story = await _story(request)
    doc = await ninjs_exchange.story_ninjs(node.fed, node.config.agency.name, story)  # type: ignore[arg-type]
    return web.Response(body=orjson.dumps(doc), content_type="application/ninjs+json")


async def import_story(request: web.Request) -> web.Response:
    """A ninjs 3.x or 2.x document from a newsroom CMS: a new item is published (201), one imported before is
    updated, corrected or, with pubStatus canceled, killed (200); 422 naming the problem if it is not valid."""
    node = request.app[NODE]
    doc = await _body(request)
    try:
        story, action, notes = await ninjs_exchange.import_ninjs(  # type: ignore[arg-type]
            node.fed, node.agency, doc, default_language=node.config.agency.languages[0], hooks=node.story_hooks)
    except ninjs_exchange.NinjsError as exc:
        raise ProblemError(422, "Invalid ninjs", str(exc)) from None
    except publishing.StoryError as exc:
        raise _guard(exc) from None
    return _json({**queries.story_json(story, node.urls.story(story.uuid)), "action": action, "notes": notes},
                 201 if action == "created" else 200)


async def wire_story(request: web.Request) -> web.Response:
    """One wire story by its id (`?id=URI`), whatever its state, with the revisions this node has seen."""
    uri = request.query.get("id", "")
    if request.query.get("format") == "ninjs":
        row = await WireStory.get_or_none(uri=uri).prefetch_related("actor")
        if row is None:
            raise ProblemError(404, "No such wire story", f"no wire story {uri}")
        return web.Response(body=orjson.dumps(await ninjs_exchange.wire_ninjs(row)),
                            content_type="application/ninjs+json")
    doc = await queries.wire_story(uri)
    if doc is None:
        raise ProblemError(404, "No such wire story", f"no wire story {uri}")
    return _json(doc)


async def story_deliveries(request: web.Request) -> web.Response:
    story = await _story(request)
    return _json({"story": story.uuid, "deliveries": await queries.story_deliveries(story)})


async def wire(request: web.Request) -> web.Response:
    q = request.query
    items = await queries.wire(agency=q.get("agency") or None, language=q.get("language") or None,
                               limit=min(int(q.get("limit", "50") or 50), 500),
                               include_deleted=q.get("include_killed", "") in ("1", "true"))
    return _json({"stories": items})


async def announce_wire_story(request: web.Request) -> web.Response:
    """Forward a wire story to our followers (Announce, with the origin's signed copy embedded)."""
    node = request.app[NODE]
    data = await _body(request)
    uri = data.get("uri") if isinstance(data, dict) else None
    if not isinstance(uri, str) or not uri:
        raise ProblemError(422, "Invalid input", "uri: the wire story's id is required")
    try:
        row = await forwarding.announce(node.fed, node.agency, uri)  # type: ignore[arg-type]
    except forwarding.ForwardError as exc:
        raise _guard(exc) from None
    return _json({"activity": row.activity_id, "story": uri}, 202)


async def verify(request: web.Request) -> web.Response:
    """Check a story's proof and origin: body ``{"url": ...}`` or ``{"document": {...}}``; see node/verification."""
    node = request.app[NODE]
    data = await _body(request)
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
    return _json(report)


async def rotate_keys(request: web.Request) -> web.Response:
    """Rotate the agency's RSA and Ed25519 keys in the running node and send Update(actor) to followers."""
    return _json(await rotation.rotate_keys(request.app[NODE]), 201)


async def list_following(request: web.Request) -> web.Response:
    return _json({"following": await queries.following(request.app[NODE].agency)})


async def follow(request: web.Request) -> web.Response:
    node = request.app[NODE]
    data = _load(FollowInputSchema(), await _body(request))
    try:
        row = await follow_uc.follow(node.fed, node.agency, data["handle"])  # type: ignore[arg-type]
    except follow_uc.FollowError as exc:
        raise _guard(exc) from None
    await row.fetch_related("actor")
    return _json({"id": row.id, "actor": row.actor.uri, "handle": row.actor.handle, "state": row.state}, 202)


async def unfollow(request: web.Request) -> web.Response:
    node = request.app[NODE]
    data = _load(FollowInputSchema(), await _body(request))
    try:
        remote = await follow_uc.unfollow(node.fed, node.agency, data["handle"])  # type: ignore[arg-type]
    except follow_uc.FollowError as exc:
        raise _guard(exc) from None
    return _json({"actor": remote.uri, "state": "unfollowed"})


async def list_followers(request: web.Request) -> web.Response:
    node = request.app[NODE]
    return _json({"followers": await queries.followers(node.agency, request.query.get("state") or None)})


async def decide_follower(request: web.Request) -> web.Response:
    node = request.app[NODE]
    fid = request.match_info["id"]
    if not fid.isdigit():
        raise ProblemError(404, "No such follower", f"no follower {fid}")
    approve = request.match_info["decision"] == "approve"
    try:
        row = await follow_uc.decide(node.fed, node.agency, int(fid), approve)  # type: ignore[arg-type]
    except follow_uc.FollowError as exc:
        raise _guard(exc) from None
    return _json({"id": row.id, "state": "accepted" if approve else "rejected"})


def routes() -> list[web.RouteDef]:
    from node.translation import job_routes as translation_api

    return translation_api.routes() + [
        web.post("/api/stories", create_story),
        web.get("/api/stories", list_stories),
        web.get("/api/stories/{uuid}", get_story),
        web.patch("/api/stories/{uuid}", update_story),
        web.delete("/api/stories/{uuid}", delete_story),
        web.get("/api/stories/{uuid}/deliveries", story_deliveries),
        web.get("/api/stories/{uuid}/revisions", story_revisions),
        web.post("/api/stories/{uuid}/kill", delete_story),
        web.get("/api/stories/{uuid}/ninjs", story_ninjs),
        web.post("/api/import", import_story),
        web.get("/api/wire", wire),
        web.get("/api/wire/story", wire_story),
        web.post("/api/wire/announce", announce_wire_story),
        web.post("/api/verify", verify),
        web.post("/api/keys/rotate", rotate_keys),
        web.get("/api/following", list_following),
        web.post("/api/following", follow),
        web.post("/api/following/unfollow", unfollow),
        web.get("/api/followers", list_followers),
        web.post(r"/api/followers/{id}/{decision:approve|reject}", decide_follower),
    ]
