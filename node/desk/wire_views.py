"""The desk's Wire screen: stories from followed agencies, filtered and searched, one story with its body,
revisions and thread, read in my language, forwarded (Announce), saved searches and partner health."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import web
from tortoise.exceptions import IntegrityError

from federation.sanitize import sanitize_html
from node.accounts.audit import Principal
from node.accounts.guard import PRINCIPAL
from node.desk.i18n import DeskLocale
from node.desk.models import SavedSearch
from node.desk.render import locale_of, redirect, render, render_template
from node.desk.wire_events import wire_events
from node.desk.wire_present import TOPIC_WORDS, row_context, story_views, urgency_word
from node.translation.machine import ReadingError
from node.translation.mt import TranslationFailed
from node.web.keys import NODE
from node.wire import forwarding
from node.wire.health import partner_health
from node.wire.listing import FilterError, WireFilters, list_wire, parse_filters
from node.wire.models import WireRevision, WireStory, WireTopic
from node.wire.threads import thread_of

__all__ = ["routes", "saved_href"]


async def _page(request: web.Request, fragment: bool) -> web.Response:
    loc = locale_of(request)
    who: Principal = request[PRINCIPAL]
    error = ""
    try:
        filters = parse_filters(request.query)
    except FilterError as exc:
        filters, error = WireFilters(), loc.gettext("This filter cannot be used: %(detail)s", detail=str(exc))
    page = await list_wire(filters) if not error else None
    views = await story_views(page.stories) if page else []
    ctx: dict[str, Any] = {**row_context(loc, who.role), "views": views, "earlier": page.earlier if page else {},
                           "filters": filters, "next_before": page.next_before if page else None,
                           "query": filters.query(), "error": error}
    if fragment:
        return render_template("wire_rows.html", request, {**ctx, "csrf_token": who.csrf_token})
    node = request.app[NODE]
    idle_hours = float(node.config.desk.get("partner_idle_hours", 6.0))
    health = await partner_health(idle_hours)
    ctx.update({
        "health": health, "idle_hours": idle_hours,
        "saved": await SavedSearch.filter(user_id=who.user_id).order_by("name"),
        "agencies": sorted({(h.actor.handle, h.actor.name or h.actor.handle) for h in health}),
        "topics": await _topic_choices(loc), "wire_languages": await _languages(),
        "query_pairs": lambda f: parse_qsl(f.query()), "live": filters.before is None,
    })
    return render(request, "wire.html", ctx, status=422 if error else 200)


async def wire_page(request: web.Request) -> web.Response:
    """The wire, newest first, with filters, partner health and saved searches."""
    return await _page(request, fragment=False)


async def wire_rows(request: web.Request) -> web.Response:
    """Only the list of the wire page (the live page reloads it after a resynchronisation)."""
    return await _page(request, fragment=True)


async def _topic_choices(loc: DeskLocale) -> list[tuple[str, str]]:
    seen = {code: name for code, name in await WireTopic.all().distinct().limit(300).values_list("code", "name")}
    choices = {code: loc.gettext(msgid) for code, msgid in TOPIC_WORDS.items()}
    for code, name in seen.items():
        choices.setdefault(code, name or code)
    return sorted(choices.items(), key=lambda kv: kv[1].lower())


async def _languages() -> list[str]:
    # The stories' own languages, read from the language index (the translations' table has none; the filter
    # still finds a story by any language it carries).
    return sorted(set(await WireStory.all().distinct().limit(200).values_list("language", flat=True)) - {""})


async def _story(request: web.Request) -> WireStory:
    story = await WireStory.get_or_none(id=int(request.match_info["id"])).prefetch_related("actor")
    if story is None or story.state == "deleted":
        loc = locale_of(request)
        from node.desk.gate import DeskRefusal
        raise DeskRefusal(404, loc.gettext("No such wire story"),
                          loc.gettext("This story is not on the wire (its agency may have deleted it)."))
    return story


async def story_page(request: web.Request) -> web.Response:
    """One wire story: full sanitized body, verdicts, languages, media, revisions, kill, thread; `?lang=` reads it
    in another language (machine translation on demand, labelled)."""
    loc = locale_of(request)
    story = await _story(request)
    (view,) = await story_views([story])
    revisions = await WireRevision.filter(wire_story_id=story.id).order_by("-number")
    others = await thread_of(story)
    reading, reading_error = None, ""
    lang = request.query.get("lang", "").strip()
    node = request.app[NODE]
    if lang and story.state == "live":
        reading, reading_error = await _read(node, story, lang, loc)
    return render(request, "wire_story.html", {
        "v": view, "revisions": revisions, "thread": others, "reading": reading, "reading_error": reading_error,
        "read_lang": lang or loc.tag, "urgency_word": urgency_word, "can_translate": node.translation is not None,
        "body_html": story.content_html,  # sanitized when it was received (node/wire/listeners.py)
    })


async def _read(node: Any, story: WireStory, lang: str, loc: DeskLocale) -> tuple[dict[str, Any] | None, str]:
    if node.translation is None:
        return None, loc.gettext("No machine translation engine is configured on this node.")
    try:
        doc = await node.translation.read_wire(story.uri, lang)
    except ReadingError as exc:
        return None, exc.detail
    except TranslationFailed as exc:
        return None, loc.gettext("The translation engine could not translate this story: %(reason)s",
                                 reason=str(exc)[:300])
    # The engine's HTML is not ours: sanitize it like anything received before it reaches the page.
    doc["body_html"] = sanitize_html(doc.get("body_html") or "")
    return doc, ""


async def forward(request: web.Request) -> web.StreamResponse:
    """Forward (Announce) a wire story to our followers, the use-case behind POST /api/wire/announce."""
    loc = locale_of(request)
    story = await _story(request)
    node = request.app[NODE]
    try:
        await forwarding.announce(node.fed, node.agency, story.uri)
    except forwarding.ForwardError as exc:
        raise redirect(f"/desk/wire/{story.id}", loc.gettext("Not forwarded: %(reason)s", reason=exc.detail))
    raise redirect(f"/desk/wire/{story.id}", loc.gettext("Forwarded to our followers."))


async def save_search(request: web.Request) -> web.StreamResponse:
    """Save the current filters under a name (the same name again replaces them)."""
    loc = locale_of(request)
    who: Principal = request[PRINCIPAL]
    form = await request.post()
    name = str(form.get("name", "")).strip()
    try:
        filters = parse_filters({k: str(form.get(k, "")) for k in form if k not in ("name", "csrf_token", "before")})
    except FilterError as exc:
        raise redirect("/desk/wire", loc.gettext("This filter cannot be used: %(detail)s", detail=str(exc)))
    query = filters.query()
    if not name or len(name) > 100:
        raise redirect("/desk/wire?" + query, loc.gettext("Give the search a name (at most 100 characters)."))
    if not query:
        raise redirect("/desk/wire", loc.gettext("Choose at least one filter before saving a search."))
    try:
        await SavedSearch.create(user_id=who.user_id, name=name, query=query)
    except IntegrityError:
        await SavedSearch.filter(user_id=who.user_id, name=name).update(query=query)
    raise redirect("/desk/wire?" + query, loc.gettext("Search saved as “%(name)s”.", name=name))


async def delete_search(request: web.Request) -> web.StreamResponse:
    """Delete one of my saved searches."""
    loc = locale_of(request)
    who: Principal = request[PRINCIPAL]
    deleted = await SavedSearch.filter(id=int(request.match_info["id"]), user_id=who.user_id).delete()
    if not deleted:
        raise web.HTTPNotFound()
    raise redirect("/desk/wire", loc.gettext("Saved search deleted."))


def saved_href(search: SavedSearch) -> str:
    """The wire page with a saved search's filters (re-encoded: only what a filter may hold)."""
    return "/desk/wire?" + urlencode(parse_qsl(search.query))


def routes() -> list[web.RouteDef]:
    return [
        web.get("/desk/wire", wire_page),
        web.get("/desk/wire/rows", wire_rows),
        web.get("/desk/wire/events", wire_events),
        web.get(r"/desk/wire/{id:\d+}", story_page),
        web.post(r"/desk/wire/{id:\d+}/forward", forward),
        web.post("/desk/wire/searches", save_search),
        web.post(r"/desk/wire/searches/{id:\d+}/delete", delete_search),
    ]

