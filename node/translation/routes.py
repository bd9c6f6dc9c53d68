"""Editor API for languages, translations, reviews and translation offers (bearer token, under /api/)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from node.accounts.guard import acting_name
from node.translation import offers, review as translations
from node.stories.models import Story
from node.wire.models import WireStory
from node.translation.models import WireTranslation
from node.web.api import json_response, load_input, read_json
from node.web.keys import NODE
from node.web.problems import ProblemError
from schemas.languages import display_name, normalize_tag
from schemas.translation_input import (
    DecisionSchema, OfferDecisionSchema, OfferEditSchema, OfferInputSchema, TranslationEditSchema,
    TranslationInputSchema, TranslationRequestSchema,
)

STATUSES = ("draft", "pending_review", "approved", "rejected")


def _problem(exc: translations.TranslationError) -> ProblemError:
    return ProblemError(exc.status, exc.title, exc.detail)


def _locale(request: web.Request) -> str:
    """The viewer's language for display names: ?locale=, else the first Accept-Language tag, else en."""
    wanted = request.query.get("locale") or request.headers.get("Accept-Language", "").split(",")[0].split(";")[0]
    try:
        return normalize_tag(wanted) if wanted.strip() else "en"
    except ValueError:
        if request.query.get("locale"):
            raise ProblemError(422, "Invalid locale", f"{wanted!r} is not a language tag babel knows") from None
        return "en"


async def _out(request: web.Request, row: Any, status: int = 200) -> web.Response:
    story = await Story.get(id=row.story_id)
    return json_response(translations.translation_json(row, story.uuid, _locale(request), story), status)


def _int(value: str, what: str) -> int:
    if not value.isdigit():
        raise ProblemError(404, f"No such {what}", f"no {what} {value}")
    return int(value)


async def languages(request: web.Request) -> web.Response:
    """The languages this agency publishes in and its language channels, named in the viewer's language."""
    node = request.app[NODE]
    locale = _locale(request)
    tags = list(dict.fromkeys(normalize_tag(t) for t in node.config.agency.languages))
    channels = [{"language": actor.language, "name": display_name(actor.language, locale), "actor": name,
                 "handle": f"{name}@{node.config.host}", "url": node.urls.actor(name)}
                for name, actor in node.fed.local_actors.items() if actor.language]  # type: ignore[union-attr]
    return json_response({"locale": locale,
                  "languages": [{"language": t, "name": display_name(t, locale), "native_name": display_name(t, t)}
                                for t in tags],
                  "channels": channels})


async def submit(request: web.Request) -> web.Response:
    node = request.app[NODE]
    data = load_input(TranslationInputSchema(), await read_json(request))
    try:
        row = await translations.submit_translation(
            node.fed, node.agency, request.match_info["uuid"], language=data["language"],  # type: ignore[arg-type]
            headline=data["headline"], summary=data["summary"], body=data["body"], body_format=data["body_format"],
            translator=data["translator"])
    except translations.TranslationError as exc:
        raise _problem(exc) from None
    return await _out(request, row, 201)


async def request_machine(request: web.Request) -> web.Response:
    node = request.app[NODE]
    data = load_input(TranslationRequestSchema(), await read_json(request))
    try:
        jobs = await translations.request_machine_translations(
            node.fed, node.agency, request.match_info["uuid"], data["languages"])  # type: ignore[arg-type]
    except translations.TranslationError as exc:
        raise _problem(exc) from None
    return json_response({"jobs": jobs}, 202)


async def list_for_story(request: web.Request) -> web.Response:
    try:
        await translations.get_translation_story(request.match_info["uuid"])
    except translations.TranslationError as exc:
        raise _problem(exc) from None
    return json_response({"translations": await translations.list_translations(
        story_uuid=request.match_info["uuid"], locale=_locale(request))})


async def review_queue(request: web.Request) -> web.Response:
    status = request.query.get("status") or None
    if status is not None and status not in STATUSES:
        raise ProblemError(422, "Invalid status", f"status must be one of {', '.join(STATUSES)}")
    return json_response({"translations": await translations.list_translations(status=status, locale=_locale(request))})


async def show(request: web.Request) -> web.Response:
    try:
        story, row = await translations.get_translation(request.match_info["uuid"], request.match_info["language"])
    except translations.TranslationError as exc:
        raise _problem(exc) from None
    return json_response(translations.translation_json(row, story.uuid, _locale(request), story))


async def edit(request: web.Request) -> web.Response:
    node = request.app[NODE]
    data = load_input(TranslationEditSchema(), await read_json(request))
    try:
        row = await translations.edit_translation(
            node.fed, node.agency, request.match_info["uuid"], request.match_info["language"],  # type: ignore[arg-type]
            headline=data.get("headline"), summary=data.get("summary"), body=data.get("body"),
            body_format=data["body_format"], editor=acting_name(request, data["editor"]))
    except translations.TranslationError as exc:
        raise _problem(exc) from None
    return await _out(request, row)


async def decide(request: web.Request) -> web.Response:
    node = request.app[NODE]
    raw = await read_json(request) if request.can_read_body else {}
    data = load_input(DecisionSchema(), raw)
    fn = translations.approve if request.match_info["decision"] == "approve" else translations.reject
    try:
        row = await fn(node.fed, node.agency, request.match_info["uuid"],  # type: ignore[arg-type]
                       request.match_info["language"], acting_name(request, data["reviewer"]), data["note"])
    except translations.TranslationError as exc:
        raise _problem(exc) from None
    return await _out(request, row)


async def decision_log(request: web.Request) -> web.Response:
    q = request.query
    try:
        rows = await translations.decisions(story_uuid=q.get("story") or None, language=q.get("language") or None)
    except translations.TranslationError as exc:
        raise _problem(exc) from None
    return json_response({"decisions": rows})


async def list_offers(request: web.Request) -> web.Response:
    state = request.query.get("state") or None
    if state is not None and state not in ("offered", "accepted", "declined", "withdrawn"):
        raise ProblemError(422, "Invalid state", "state must be offered, accepted, declined or withdrawn")
    return json_response({"offers": await offers.list_offers(state, _locale(request))})


async def decide_offer(request: web.Request) -> web.Response:
    node = request.app[NODE]
    offer_id = _int(request.match_info["id"], "offer")
    data = load_input(OfferDecisionSchema(), await read_json(request) if request.can_read_body else {})
    try:
        if request.match_info["decision"] == "accept":
            row = await offers.accept_offer(node.fed, node.agency, offer_id,  # type: ignore[arg-type]
                                            acting_name(request, data["editor"]))
            return await _out(request, row)
        offer = await offers.decline_offer(node.fed, node.agency, offer_id,  # type: ignore[arg-type]
                                           acting_name(request, data["editor"]), data["reason"])
    except translations.TranslationError as exc:
        raise _problem(exc) from None
    return json_response(offers.offer_json(offer, _locale(request)))


async def offer(request: web.Request) -> web.Response:
    node = request.app[NODE]
    data = load_input(OfferInputSchema(), await read_json(request))
    try:
        row = await offers.offer_translation(
            node.fed, node.agency, data["story"], language=data["language"],  # type: ignore[arg-type]
            headline=data["headline"], summary=data["summary"], body=data["body"],
            body_format=data["body_format"], translator=data["translator"])
    except translations.TranslationError as exc:
        raise _problem(exc) from None
    return json_response({"id": row.id, "object": node.urls.offered_translation(row.uuid),
                  "story": data["story"], "language": row.language, "state": row.state}, 202)


async def sent_offers(request: web.Request) -> web.Response:
    return json_response({"offers": await offers.list_sent_offers(request.app[NODE].fed)})  # type: ignore[arg-type]


async def change_sent_offer(request: web.Request) -> web.Response:
    """PATCH: edit an offer we made (the origin gets an Update); DELETE: withdraw it (the origin gets a Delete).
    Only while the origin has not decided: 409 after."""
    node = request.app[NODE]
    offer_id = _int(request.match_info["id"], "offer")
    try:
        if request.method == "DELETE":
            row = await offers.withdraw_offer(node.fed, node.agency, offer_id)  # type: ignore[arg-type]
        else:
            data = load_input(OfferEditSchema(), await read_json(request))
            if not set(data) - {"body_format"}:
                raise ProblemError(422, "Nothing to change", "give headline, summary, body or translator")
            row = await offers.edit_offer(node.fed, node.agency, offer_id,  # type: ignore[arg-type]
                                          headline=data.get("headline"), summary=data.get("summary"),
                                          body=data.get("body"), body_format=data["body_format"],
                                          translator=data.get("translator"))
    except translations.TranslationError as exc:
        raise _problem(exc) from None
    return json_response({"id": row.id, "object": node.urls.offered_translation(row.uuid),
                  "story": row.wire_story.uri, "language": row.language, "headline": row.headline,
                  "state": row.state}, 202)


async def wire_languages(request: web.Request) -> web.Response:
    """Every language of one wire story with its provenance; `language=` picks one with its text."""
    uri = request.query.get("story", "")
    story = await WireStory.get_or_none(uri=uri).prefetch_related("actor")
    if story is None:
        raise ProblemError(404, "No such wire story", f"no wire story {uri!r}")
    locale = _locale(request)
    rows = await WireTranslation.filter(story_id=story.id).order_by("id")
    wanted = request.query.get("language")
    if wanted is not None:
        try:
            wanted = normalize_tag(wanted)
        except ValueError as exc:
            raise ProblemError(422, "Invalid language tag", str(exc)) from None
    out: list[dict[str, Any]] = []
    for r in rows:
        item = {"language": r.language, "name": display_name(r.language, locale), "kind": r.kind,
                "source_language": r.source_language or None, "method": r.method or None,
                "engine": r.engine or None, "translated_by": r.translated_by or None,
                "translator": r.translator or None, "reviewed_by": r.reviewed_by or None,
                "updated": r.updated.isoformat() if r.updated else None, "headline": r.headline}
        if wanted is None or r.language == wanted:
            item.update(summary=r.summary, content_html=r.content_html)
        out.append(item)
    if wanted is not None and wanted not in {r.language for r in rows}:
        raise ProblemError(404, "Language not available", f"{uri} has no {wanted} version on this node")
    return json_response({"story": story.uri, "agency": story.actor.handle, "original_language": story.language,
                  "state": story.state, "languages": out})


def routes() -> list[web.RouteDef]:
    return [
        web.get("/api/languages", languages),
        web.get("/api/translations", review_queue),
        web.get("/api/translations/decisions", decision_log),
        web.get("/api/stories/{uuid}/translations", list_for_story),
        web.post("/api/stories/{uuid}/translations", submit),
        web.post("/api/stories/{uuid}/translations/request", request_machine),
        web.get("/api/stories/{uuid}/translations/{language}", show),
        web.patch("/api/stories/{uuid}/translations/{language}", edit),
        web.post(r"/api/stories/{uuid}/translations/{language}/{decision:approve|reject}", decide),
        web.get("/api/offers", list_offers),
        web.post(r"/api/offers/{id}/{decision:accept|decline}", decide_offer),
        web.get("/api/wire/offers", sent_offers),
        web.post("/api/wire/offers", offer),
        web.patch(r"/api/wire/offers/{id}", change_sent_offer),
        web.delete(r"/api/wire/offers/{id}", change_sent_offer),
        web.get("/api/wire/languages", wire_languages),
    ]
