"""Editor API for our own stories: publish, list, read, correct, kill, revisions, deliveries, ninjs in and out."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from node.accounts.guard import AUDIT_ACTION
from node.factchecks import story_matches
from node.stories import kills, ninjs as ninjs_exchange, publishing, queries, revisions
from node.stories.models import Story
from node.web.api import json_response, load_input, problem_of, read_json
from node.web.keys import NODE
from node.web.problems import ProblemError
from schemas.editor import KillInputSchema, StoryInputSchema


def _story_input(data: dict[str, Any]) -> publishing.StoryInput:
    return publishing.StoryInput(headline=data["headline"], body=data["body"], language=data["language"],
                                 summary=data.get("summary", ""), body_format=data.get("body_format", "html"),
                                 hashtags=tuple(data.get("hashtags", [])), canonical_url=data.get("canonical_url"),
                                 urgency=data.get("urgency"), subjects=tuple(data.get("subjects") or ()),
                                 embargoed_until=data.get("embargoed_until"),
                                 correction_note=data.get("correction_note") or {},
                                 image=data.get("image"),
                                 media=tuple(data["media"]) if data.get("media") is not None else None)


async def _story(request: web.Request) -> Story:
    """The story the route's `{uuid}` names, or its problem (404)."""
    try:
        return await publishing.get_story(request.match_info["uuid"])
    except publishing.StoryError as exc:
        raise problem_of(exc) from None


async def create_story(request: web.Request) -> web.Response:
    node = request.app[NODE]
    data = load_input(StoryInputSchema(), await read_json(request))
    try:
        story = await publishing.publish(node.fed, node.agency, _story_input(data),  # type: ignore[arg-type]
                                         hooks=node.story_hooks)
    except publishing.StoryError as exc:
        raise problem_of(exc) from None
    return json_response(queries.story_json(story, node.urls.story(story.uuid)), 201)


async def list_stories(request: web.Request) -> web.Response:
    node = request.app[NODE]
    rows = await queries.list_stories(limit=min(int(request.query.get("limit", "50") or 50), 500))
    return json_response({"stories": [queries.story_json(s, node.urls.story(s.uuid), d) for s, d in rows]})


async def _story_document(node: Any, story: Story) -> dict[str, Any]:
    """A story as the API answers it: its fields, delivery counts, and the fact-checks it matched when written."""
    summary = await queries.delivery_summary([story.id])
    doc = queries.story_json(story, node.urls.story(story.uuid), summary.get(story.id, {}))
    doc["factchecks"] = await story_matches.matches_for_story(node.urls, story)
    return doc


async def get_story(request: web.Request) -> web.Response:
    node = request.app[NODE]
    story = await _story(request)
    return json_response(await _story_document(node, story))


async def update_story(request: web.Request) -> web.Response:
    node = request.app[NODE]
    try:
        story = await publishing.get_story(request.match_info["uuid"])
        changes = load_input(StoryInputSchema(), await read_json(request), partial=True)
        current = {"headline": story.headline, "summary": story.summary, "body": story.body_html,
                   "body_format": "html", "language": story.language, "hashtags": story.hashtags,
                   "canonical_url": story.canonical_url, "urgency": story.urgency, "subjects": story.subjects,
                   "embargoed_until": story.embargoed_until}
        explicit = (await read_json(request)).keys()
        merged = {**current, **{k: v for k, v in changes.items() if k in explicit}}
        if changes.get("correction_note"):
            request[AUDIT_ACTION] = "story.correct"  # the audit trail tells corrections from plain updates
        if "image" in explicit or "media" in explicit:
            # One of them changes the story's media: the other keeps what the story has.
            stored = story.media or []
            merged.setdefault("image", next((m["sha256"] for m in stored if m.get("lead")), None))
            if "media" not in explicit:
                merged["media"] = [m["sha256"] for m in stored if not m.get("lead")]
            merged["media"] = merged.get("media") or []
        story = await publishing.update(node.fed, node.agency, story.uuid,  # type: ignore[arg-type]
                                        _story_input(merged), hooks=node.story_hooks)
    except publishing.StoryError as exc:
        raise problem_of(exc) from None
    return json_response(queries.story_json(story, node.urls.story(story.uuid)))


async def delete_story(request: web.Request) -> web.Response:
    """DELETE (optionally with `{reason}`) and POST .../kill `{reason}`: retract the story (see node/stories/kills.py)."""
    node = request.app[NODE]
    data = load_input(KillInputSchema(), await read_json(request)) if request.can_read_body else {"reason": ""}
    try:
        story = await kills.kill(node.fed, node.agency, request.match_info["uuid"],  # type: ignore[arg-type]
                                 data["reason"])
    except publishing.StoryError as exc:
        raise problem_of(exc) from None
    return json_response(await _story_document(node, story))


async def story_revisions(request: web.Request) -> web.Response:
    story = await _story(request)
    return json_response({"story": story.uuid, "revisions": await revisions.story_revisions(story)})


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
    doc = await read_json(request)
    try:
        story, action, notes = await ninjs_exchange.import_ninjs(  # type: ignore[arg-type]
            node.fed, node.agency, doc, default_language=node.config.agency.languages[0], hooks=node.story_hooks,
            media=node.media_fetcher)
    except ninjs_exchange.NinjsError as exc:
        raise ProblemError(422, "Invalid ninjs", str(exc)) from None
    except publishing.StoryError as exc:
        raise problem_of(exc) from None
    return json_response({**queries.story_json(story, node.urls.story(story.uuid)), "action": action, "notes": notes},
                 201 if action == "created" else 200)


async def story_deliveries(request: web.Request) -> web.Response:
    story = await _story(request)
    return json_response({"story": story.uuid, "deliveries": await queries.story_deliveries(story)})


def routes() -> list[web.RouteDef]:
    return [
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
    ]
