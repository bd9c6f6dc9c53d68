"""ActivityPub documents (actors, collections, stories, activities) and the inboxes."""

from __future__ import annotations

import asyncio
import html
from datetime import datetime, timezone
from typing import Any

import orjson
from aiohttp import web

from federation.inbox import receive
from federation.observe import refusal_class
from federation.proofs import ServedProofCache
from federation.vocab import AS_CONTEXT, INSTANCE_ACTOR, actor_document, tombstone
from node.factchecks import channel as factcheck_channel
from node.translation import channels
from node.stories import kills, ninjs as ninjs_exchange, revisions
from federation.store.models import Follower, Following, OutboxActivity
from node.translation.models import OfferedTranslation
from node.stories.models import Story
from node.translation.offers import offered_object
from node.identity.proofkeys import assertion_methods
from node.runtime import Node
from node.stories.documents import channel_object, language_versions, story_document
from node.web.pages import actor_page, channel_actor_document
from node.web.public_pages import profile_response, story_response
from node.web.keys import DOCUMENTS, NODE
from node.web.limits import LIMITS, Limits, signing_key_of
from node.web.negotiation import ap_bytes_response, ap_response, wants_html
from node.web.problems import ProblemError, problem
from schemas import ninjs

PAGE_SIZE = 20
_SERVED_PROOFS = ServedProofCache()


def actor_document_of(node: Node, username: str) -> dict[str, Any]:
    """The served actor document of a local actor (also what Update(actor) carries after a key rotation)."""
    return _actor_doc(node, username)


def _actor_doc(node: Node, username: str) -> dict[str, Any]:
    key = node.keys[username]
    if username == INSTANCE_ACTOR:
        return actor_document(node.urls, username, type_="Application", name=node.config.agency.name + " (node)",
                              summary_html="", public_key_pem=key.public_key_pem,
                              manually_approves_followers=True, discoverable=False)
    agency = node.config.agency
    channel = node.fed.local_actors.get(username) if node.fed else None
    if channel is not None and channel.language:
        return channel_actor_document(node, username, channel.language, key)
    if channel is not None and username == factcheck_channel.channel_for(node.fed, node.agency):
        return factcheck_channel.channel_actor_document(node, username, key)
    return actor_document(
        node.urls, username, type_="Organization", name=agency.name, summary_html=html.escape(agency.summary),
        public_key_pem=key.public_key_pem, icon_url=agency.icon_url, url=agency.url,
        manually_approves_followers=agency.manually_approves_followers, discoverable=agency.discoverable,
        published=key.created_at,
        assertion_method=assertion_methods(node.urls, username, node.proof_keys.get(username, [])),
    )


def _local(request: web.Request) -> tuple[Node, str]:
    node = request.app[NODE]
    username = request.match_info.get("username", INSTANCE_ACTOR)
    if username != INSTANCE_ACTOR and (node.fed is None or username not in node.fed.local_actors):
        raise ProblemError(404, "No such actor", f"no actor {username} here")
    return node, username


async def actor(request: web.Request) -> web.Response:
    node, username = _local(request)
    html_wanted = wants_html(request)
    if not html_wanted:
        cache, key = request.app[DOCUMENTS], ("actor", username, node.key_generation)  # a rotation: a new entry
        body = cache.get(key)
        if body is None:
            body = cache.put(key, orjson.dumps(_actor_doc(node, username)))
        cache.keep_for_replay(request, key, body, node.key_generation)
        return ap_bytes_response(body)
    if username == node.agency:
        return await profile_response(request, node)
    doc = _actor_doc(node, username)  # a language channel, or the instance actor
    page = actor_page(doc["name"], doc["summary"], f"@{doc['preferredUsername']}@{node.config.host}",
                      (node.config.agency.languages or [""])[0])
    return web.Response(text=page, content_type="text/html", charset="utf-8", headers={"Vary": "Accept"})


async def instance_actor(request: web.Request) -> web.Response:
    cache, node = request.app[DOCUMENTS], request.app[NODE]
    key = ("actor", INSTANCE_ACTOR, node.key_generation)
    body = cache.get(key)
    if body is None:
        body = cache.put(key, orjson.dumps(_actor_doc(node, INSTANCE_ACTOR)))
    cache.keep_for_replay(request, key, body, node.key_generation)
    return ap_bytes_response(body)


def _page_number(request: web.Request) -> int | None:
    page = request.query.get("page")
    if page is None:
        return None
    if page == "true":
        return 1
    if not page.isdigit() or int(page) < 1:
        raise ProblemError(400, "Invalid page", "page must be a positive integer")
    return int(page)


def _collection(coll_id: str, total: int, page: int | None, items: list[Any] | None) -> dict[str, Any]:
    if page is None:
        return {"@context": AS_CONTEXT, "id": coll_id, "type": "OrderedCollection", "totalItems": total,
                "first": f"{coll_id}?page=1"}
    doc: dict[str, Any] = {"@context": AS_CONTEXT, "id": f"{coll_id}?page={page}", "type": "OrderedCollectionPage",
                           "partOf": coll_id, "totalItems": total, "orderedItems": items or []}
    if page * PAGE_SIZE < total:
        doc["next"] = f"{coll_id}?page={page + 1}"
    if page > 1:
        doc["prev"] = f"{coll_id}?page={page - 1}"
    return doc


async def outbox(request: web.Request) -> web.Response:
    node, username = _local(request)
    query = OutboxActivity.filter(actor=username, public=True)
    total = await query.count()
    page = _page_number(request)
    items = None
    if page is not None:
        rows = await query.order_by("-id").offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE).only("body")
        # A signed activity keeps its @context: its proof covers it, and must stay checkable from the page.
        items = [doc if "proof" in doc else {k: v for k, v in doc.items() if k != "@context"}
                 for doc in (orjson.loads(r.body) for r in rows)]
    return ap_response(_collection(node.urls.outbox(username), total, page, items))


async def followers(request: web.Request) -> web.Response:
    node, username = _local(request)
    query = Follower.filter(local=username, state="accepted")
    total = await query.count()
    page = _page_number(request)
    items = None
    if page is not None:
        rows = await query.order_by("id").offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE).prefetch_related("actor")
        items = [r.actor.uri for r in rows]
    return ap_response(_collection(node.urls.followers(username), total, page, items))


async def following(request: web.Request) -> web.Response:
    node, username = _local(request)
    query = Following.filter(local=username, state="accepted")
    total = await query.count()
    page = _page_number(request)
    items = None
    if page is not None:
        rows = await query.order_by("id").offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE).prefetch_related("actor")
        items = [r.actor.uri for r in rows]
    return ap_response(_collection(node.urls.following(username), total, page, items))


async def story(request: web.Request) -> web.Response:
    node = request.app[NODE]
    html_wanted = wants_html(request)
    # A peer's fetch has no query string: parsing one costs every fetch of a story a little.
    ninjs_wanted = (bool(request.query_string) and request.query.get("format") == "ninjs") \
        or ninjs.MEDIA_TYPE in request.headers.get("Accept", "")
    if not html_wanted and not ninjs_wanted:
        cache, key = request.app[DOCUMENTS], ("story", request.match_info["uuid"], node.key_generation)
        status, body = await cache.get_or_build(key, lambda: _story_json(node, request.match_info["uuid"]))
        if status == 200:
            cache.keep_for_replay(request, key, body, node.key_generation)
        return ap_bytes_response(body, status=status)
    row = await _servable_story(request.match_info["uuid"])
    if ninjs_wanted:
        doc = await ninjs_exchange.story_ninjs(node.fed, node.config.agency.name, row)  # type: ignore[arg-type]
        return ap_response(doc, status=410 if row.state == "deleted" else 200, content_type=ninjs.MEDIA_TYPE)
    return await story_response(request, node, row)  # a browser: the page, or the gone page after a kill


async def _servable_story(uuid: str) -> Story:
    """The story, or a 404 problem when there is none or it is under embargo (served to nobody before release)."""
    row = await Story.get_or_none(uuid=uuid)
    if row is None or row.state == "scheduled":
        raise ProblemError(404, "No such story", "")
    return row


async def _story_json(node: Node, uuid: str) -> tuple[int, bytes]:
    """(status, body) of a story's ActivityPub document: 200 with the signed Article, 410 with its Tombstone."""
    row = await _servable_story(uuid)
    if row.state == "deleted":
        return 410, orjson.dumps(kills.tombstone(node.fed, row))  # type: ignore[arg-type]
    versions = await language_versions(node.urls, node.agency, row)
    # Our lifecycle terms (node/revisions.py), then signed (FEP-8b32); the caller caches a 200 briefly
    # (node/web/doccache.py), never a 410.
    decorated = await revisions.decorate(node.fed, node.agency, row,  # type: ignore[arg-type]
                                         story_document(node.urls, node.agency, row, versions))
    return 200, orjson.dumps(_SERVED_PROOFS.sign(node.fed, node.agency, decorated))


async def channel_story(request: web.Request) -> web.Response:
    """A language channel's single-language object for a story (once that language is approved)."""
    node = request.app[NODE]
    row = await Story.get_or_none(uuid=request.match_info["uuid"])
    language = request.match_info["language"]
    if row is None or row.state == "scheduled" or channels.channel_for(  # type: ignore[arg-type]
            node.fed, node.agency, language) is None:
        raise ProblemError(404, "No such story", "")
    if row.state == "deleted":
        doc = tombstone(f"{node.urls.story(row.uuid)}/{language}", former_type="Article",
                        deleted=row.deleted_at or datetime.now(timezone.utc))
        return ap_response(doc, status=410)
    version = next((v for v in await language_versions(node.urls, node.agency, row) if v.language == language),
                   None)
    if version is None:
        raise ProblemError(404, "No such story", f"no approved {language} version of this story")
    return ap_response(channel_object(node.urls, node.agency, row, version, updated=row.updated_at))


async def offered_translation(request: web.Request) -> web.Response:
    """Our translation of a partner's story, offered to its origin (an object of ours, FEP-e232 linked)."""
    node = request.app[NODE]
    row = await OfferedTranslation.get_or_none(uuid=request.match_info["uuid"]).prefetch_related(
        "wire_story__actor")
    if row is None:
        raise ProblemError(404, "No such translation", "")
    if row.state == "withdrawn":  # taken back before the origin decided: gone, as a deleted story is
        return ap_response(tombstone(node.urls.offered_translation(row.uuid), former_type="Article",
                                     deleted=row.decided_at or datetime.now(timezone.utc)), status=410)
    return ap_response(offered_object(node.fed, node.agency, row, row.wire_story.uri,  # type: ignore[arg-type]
                                      row.wire_story.actor.uri))


async def story_revisions(request: web.Request) -> web.Response:
    """The revision history of a story (also of a killed one: the record stays)."""
    node = request.app[NODE]
    row = await Story.get_or_none(uuid=request.match_info["uuid"])
    if row is None or row.state == "scheduled":
        raise ProblemError(404, "No such story", "")
    items = await revisions.story_revisions(row)
    return ap_response(revisions.revisions_collection(node.urls.story(row.uuid) + "/revisions", items))


async def activity(request: web.Request) -> web.Response:
    row = await OutboxActivity.get_or_none(uuid=request.match_info["uuid"], public=True)
    if row is None:
        raise ProblemError(404, "No such activity", "")
    return web.Response(body=row.body.encode("utf-8"), headers={"Content-Type": "application/activity+json"})


async def _read_capped(request: web.BaseRequest, limit: int) -> bytes | None:
    """The whole body, or None once it grows past `limit` (also for chunked bodies with no Content-Length, and
    counted after aiohttp undid a Content-Encoding, so a small gzip of a huge body is refused too)."""
    # StreamReader.read(n) returns what is buffered so far (at most n bytes), not n bytes: loop until EOF.
    body = bytearray()
    try:
        while chunk := await request.content.read(limit + 1 - len(body)):
            body += chunk
            if len(body) > limit:
                return None
    except web.RequestPayloadError:
        # A body labelled gzip that is not, or a chunked body cut short: the sender's fault, not a crash of ours.
        raise ProblemError(400, "Unreadable body", "the body could not be read or decoded as labelled") from None
    return bytes(body)


async def inbox(request: web.Request) -> web.Response:
    """Personal and shared inbox, routed: see `receive_post` (the shared inbox is usually answered before routing,
    node/web/serve.py)."""
    return await receive_post(request.app[NODE], request.app[LIMITS], request, request.match_info.get("username"))


async def receive_post(node: Node, limits: Limits, request: web.BaseRequest, username: str | None) -> web.Response:
    """An inbox POST (`username`'s, or the shared inbox for None): verify, dedupe, store, 202. Unverifiable: 401
    (never 202). Needs only the plain request, so the server can answer it without the app's routing."""
    if username is not None and username not in node.fed.local_actors:  # type: ignore[union-attr]
        raise ProblemError(404, "No such actor", f"no actor {username} here")
    wait = limits.inbox_wait(signing_key_of(request.headers),
                             node.fed.trust.is_partner_host)  # type: ignore[union-attr]
    if wait:
        node.fed.observer.inbox("refused", refusal_class(429))  # type: ignore[union-attr]
        return problem(429, "Too many requests", f"this host or key sends faster than this node accepts: retry "
                       f"in {wait} seconds", retry_after=wait)
    limit = int(node.config.federation["max_body_bytes"])
    body = None
    if request.content_length is None or request.content_length <= limit:
        try:
            if request.content.is_eof():  # the whole body came with the headers (most POSTs): nothing to time
                body = await _read_capped(request, limit)
            else:
                async with asyncio.timeout(float(node.config.federation.get("inbox_body_timeout_seconds", 30.0))):
                    body = await _read_capped(request, limit)
        except TimeoutError:  # a body trickling in: the connection is not ours to hold
            node.fed.observer.inbox("refused", refusal_class(408))  # type: ignore[union-attr]
            return problem(408, "Request timeout", "the body did not arrive in time")
    if body is None:
        node.fed.observer.inbox("refused", refusal_class(413))  # type: ignore[union-attr]  # never reaches receive
        return problem(413, "Payload too large", f"the limit is {limit} bytes")
    verdict = await receive(node.fed, method=request.method, raw_path=request.raw_path,  # type: ignore[arg-type]
                            headers=request.headers, body=body, local_username=username)
    if verdict.ok:
        return web.Response(status=verdict.status)
    return problem(verdict.status, verdict.title, verdict.detail, **verdict.extra)


def routes() -> list[web.RouteDef]:
    return [
        web.get("/actor", instance_actor),
        web.get("/actors/{username}", actor),
        web.get("/actors/{username}/outbox", outbox),
        web.get("/actors/{username}/followers", followers),
        web.get("/actors/{username}/following", following),
        web.post("/actors/{username}/inbox", inbox),
        web.post("/actor/inbox", inbox),
        web.post("/inbox", inbox),
        web.get("/stories/{uuid}", story),
        web.get("/stories/{uuid}/revisions", story_revisions),
        web.get("/stories/{uuid}/{language}", channel_story),
        web.get("/activities/{uuid}", activity),
        web.get("/translations/{uuid}", offered_translation),
    ]
