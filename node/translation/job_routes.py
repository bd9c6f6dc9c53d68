"""Editor API for machine translation: translation jobs of our stories, and wire stories read in another
language on demand (locally, nothing published).

    GET  /api/stories/{uuid}/translation-jobs      the story's jobs: language, state, attempts, last error
    POST /api/stories/{uuid}/translation-jobs      {"languages": ["ru", "tr"]}: queue (or re-queue) jobs
    GET  /api/translation-jobs?state=&story=       all jobs, newest first
    GET  /api/wire/read?id=<story URI>&lang=ru     a wire story in `lang` (machine-translated, cached)
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from node.translation.mt import TranslationFailed
from node.translation.states import TranslationJobState
from node.stories import publishing
from node.translation.machine import ReadingError
from node.translation.jobs import RequestRefused, list_jobs
from node.translation.review import no_engine
from node.translation.jobs import request_jobs as queue_requested
from node.web.keys import NODE
from node.web.problems import ProblemError
from schemas.languages import normalize_tag


def _json(doc: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(doc), content_type="application/json")


def _no_engine() -> ProblemError:
    exc = no_engine()
    return ProblemError(exc.status, exc.title, exc.detail)


async def _story(uuid: str) -> Any:
    try:
        return await publishing.get_story(uuid)
    except publishing.StoryError as exc:
        raise ProblemError(exc.status, exc.title, exc.detail) from None


async def story_jobs(request: web.Request) -> web.Response:
    story = await _story(request.match_info["uuid"])
    return _json({"story": story.uuid, "language": story.language, "jobs": await list_jobs(story.uuid)})


async def request_jobs(request: web.Request) -> web.Response:
    node = request.app[NODE]
    story = await _story(request.match_info["uuid"])
    if node.translation is None:
        raise _no_engine()
    if request.content_type != "application/json":
        raise ProblemError(415, "Unsupported media type", "send application/json")
    try:
        data = orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        raise ProblemError(400, "Malformed JSON", "the body is not valid JSON") from None
    languages = data.get("languages") if isinstance(data, dict) else None
    if not isinstance(languages, list) or not languages or not all(isinstance(x, str) for x in languages):
        raise ProblemError(422, "Invalid input", "languages: a non-empty list of BCP 47 tags")
    try:
        tags = [normalize_tag(x) for x in languages]
    except ValueError as exc:
        raise ProblemError(422, "Invalid language", str(exc)) from None
    if story.state != "published":
        raise ProblemError(409, "Story deleted", f"story {story.uuid} was deleted")
    try:
        await queue_requested(node.translation, node.translation_worker, story, tags)
    except RequestRefused as exc:
        raise ProblemError(exc.status, exc.title, exc.detail) from None
    return _json({"story": story.uuid, "jobs": await list_jobs(story.uuid)}, 202)


async def all_jobs(request: web.Request) -> web.Response:
    state = request.query.get("state") or None
    if state and state not in TranslationJobState.__members__.values():
        raise ProblemError(400, "Invalid state", f"state must be one of {', '.join(TranslationJobState)}")
    try:
        limit = min(int(request.query.get("limit", "100")), 1000)
    except ValueError:
        raise ProblemError(400, "Invalid limit", "limit must be a number") from None
    return _json({"jobs": await list_jobs(request.query.get("story") or None, state, limit)})


async def read_wire(request: web.Request) -> web.Response:
    node = request.app[NODE]
    uri, lang = request.query.get("id", ""), request.query.get("lang", "")
    if not uri or not lang:
        raise ProblemError(400, "Missing parameter", "give id (the wire story's URI) and lang (a BCP 47 tag)")
    if node.translation is None:
        raise _no_engine()
    try:
        return _json(await node.translation.read_wire(uri, lang))
    except ReadingError as exc:
        raise ProblemError(exc.status, exc.title, exc.detail) from None
    except TranslationFailed as exc:
        if not exc.retryable:
            raise ProblemError(422, "Cannot translate", str(exc)) from None
        wait = int(exc.retry_after or 30)
        raise ProblemError(503, "Translation engine unavailable", str(exc), retry_after=wait) from None


def routes() -> list[web.RouteDef]:
    return [
        web.get("/api/stories/{uuid}/translation-jobs", story_jobs),
        web.post("/api/stories/{uuid}/translation-jobs", request_jobs),
        web.get("/api/translation-jobs", all_jobs),
        web.get("/api/wire/read", read_wire),
    ]
