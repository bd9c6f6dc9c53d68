"""Compose and edit: the form (headline, summary, Markdown body with its preview, language, IPTC topics,
urgency, embargo, lead image and other media from the stock or uploaded there and then), the item's stages, its
lock, spike, and publishing it. The workflow itself is `node.stories.drafts`."""

from __future__ import annotations

from typing import Any, Mapping

from aiohttp import web

from federation.sanitize import html_to_text, render_body
from node.accounts.audit import Principal
from node.accounts.guard import PRINCIPAL
from node.desk import compose_form, compose_upload
from node.desk.compose_form import FormError, draft_message
from node.desk.gate import DeskRefusal
from node.desk.paragraphs import paragraphs
from node.desk.factcheck_links import with_desk_links
from node.desk.factcheck_words import VERDICT_WORDS
from node.factchecks import check as check_text
from node.desk.render import locale_of, redirect, render, render_string
from node.media.models import MediaItem
from node.stories import drafts
from node.stories.draft_models import DeskItem
from node.stories.errors import StoryError
from node.stories.models import Story
from node.web.keys import NODE
from node.wire.models import WireStory
from schemas.mediatopics import topic_tree

__all__ = ["routes"]

_EDIT_ACTIONS = {"save": None, "preview": None, "review": "review", "ready": "ready", "draft": "draft"}


def _who(request: web.Request) -> Principal:
    return request[PRINCIPAL]


def _item_id(request: web.Request) -> int:
    raw = request.match_info["item_id"]
    if not raw.isdigit():
        raise web.HTTPNotFound()
    return int(raw)


def _values_of(item: DeskItem) -> dict[str, Any]:
    return {"headline": item.headline, "summary": item.summary, "body": item.body, "language": item.language,
            "subjects": list(item.subjects or []), "urgency": item.urgency or "",
            "embargoed_until": item.embargoed_until.strftime("%Y-%m-%dT%H:%M") if item.embargoed_until else "",
            "image": item.image or "", "media": list(item.media or []), "version": item.version}


def _values_posted(form: Mapping[str, Any], version: int) -> dict[str, Any]:
    getall = form.getall if hasattr(form, "getall") else (lambda k, d=(): d)  # type: ignore[attr-defined]
    return {"headline": str(form.get("headline", "")), "summary": str(form.get("summary", "")),
            "body": str(form.get("body", "")), "language": str(form.get("language", "")),
            "subjects": [str(s) for s in getall("subject", [])], "urgency": str(form.get("urgency", "")),
            "embargoed_until": str(form.get("embargoed_until", "")),
            "image": str(form.get("image", "")).lower(), "media": [str(m).lower() for m in getall("media", [])],
            "version": version,
            "alts": {k[4:]: str(v) for k, v in form.items() if k.startswith("alt.")},
            "captions": {k[8:]: str(v) for k, v in form.items() if k.startswith("caption.")}}


async def _mastodon_card(request: web.Request, values: Mapping[str, Any], story: Story | None) -> dict[str, Any]:
    """What a Mastodon reader sees of the story: its name, summary, link and lead image (never the body)."""
    node = request.app[NODE]
    image = None
    if values.get("image"):
        item = await MediaItem.get_or_none(sha256=values["image"])
        if item is not None:
            image = {"url": compose_form.thumb_url(node.config.base_url, item),
                     "alt": item.alt.get(values.get("language") or "") or next(iter(item.alt.values()), "")}
    return {"title": html_to_text(values.get("headline", "")), "summary": html_to_text(values.get("summary", "")),
            "link": node.urls.story(story.uuid) if story is not None else "", "image": image}


async def _page(request: web.Request, item: DeskItem | None, values: dict[str, Any], *, error: str = "",
                status: int = 200, from_wire: WireStory | None = None) -> web.Response:
    node = request.app[NODE]
    loc = locale_of(request)
    who = _who(request)
    holder = drafts.lock_holder(item) if item is not None else who.username
    editing = item is None or (holder == who.username and item.stage != "spiked")
    story = await Story.get_or_none(id=item.story_id) if item is not None and item.story_id else None
    chosen = [h for h in [values.get("image") or "", *values.get("media", [])] if h]
    followers, servers = await compose_form.audience(node.agency)
    thread_root = None
    if item is not None and item.thread_uri:
        thread_root = await Story.get_or_none(uuid=item.thread_uri.rstrip("/").rsplit("/", 1)[-1])
    return render(request, "compose.html", {
        "factchecks": await _factchecks(request, values), "verdict_words": VERDICT_WORDS,
        "item": item, "values": values, "error": error, "editing": editing, "holder": holder, "story": story,
        "agency_languages": list(node.config.agency.languages),
        "topics": topic_tree(loc.tag), "picker": await compose_form.picker_items(
            node.config.base_url, chosen, values.get("language") or node.config.agency.languages[0]),
        "preview_html": render_body(values.get("body", ""), _body_format(item)),
        "body_format": _body_format(item),
        "card": await _mastodon_card(request, values, story), "followers": followers, "servers": servers,
        "from_wire": from_wire, "thread_root": thread_root,
        "can_publish_here": item is not None and item.stage == "ready" and holder in ("", who.username),
    }, status=status)


def _body_format(item: DeskItem | None) -> str:
    return item.body_format if item is not None and item.body_format in ("markdown", "html") else "markdown"


async def _wire_prefill(request: web.Request, wire_id: str) -> tuple[dict[str, Any], WireStory | None]:
    """The form filled from a wire story: headline, summary, its body quoted with the source credited and
    linked, and its language when it is one of ours."""
    node = request.app[NODE]
    loc = locale_of(request)
    languages = list(node.config.agency.languages)
    wire = await WireStory.get_or_none(id=int(wire_id)).prefetch_related("actor") if wire_id.isdigit() else None
    if wire is None:
        raise DeskRefusal(404, loc.gettext("Page not found"), loc.gettext("There is no such wire story."))
    source = wire.actor.name or wire.actor.preferred_username or wire.actor.host
    link = wire.url or wire.uri
    quoted = "\n>\n".join("> " + p.replace("\n", " ") for p in paragraphs(wire.content_html))
    credit = loc.gettext("Source: %(agency)s", agency=source)
    body = f"{quoted}\n\n— {credit} <{link}>\n" if quoted else f"— {credit} <{link}>\n"
    values = {"headline": wire.headline, "summary": wire.summary, "body": body,
              "language": wire.language if wire.language in languages else languages[0], "subjects": [],
              "urgency": wire.urgency or "", "embargoed_until": "", "image": "", "media": [], "version": 0}
    return values, wire


async def compose(request: web.Request) -> web.Response:
    """A new story's form (from a wire story with `?from_wire=<id>`)."""
    node = request.app[NODE]
    wire_id = request.query.get("from_wire", "")
    if wire_id:
        values, wire = await _wire_prefill(request, wire_id)
        return await _page(request, None, values, from_wire=wire)
    values = {"headline": "", "summary": "", "body": "", "language": node.config.agency.languages[0],
              "subjects": [], "urgency": "", "embargoed_until": "", "image": "", "media": [], "version": 0}
    return await _page(request, None, values)


async def create(request: web.Request) -> web.StreamResponse:
    """Store the new form as a draft (locked for its author) and open it."""
    node = request.app[NODE]
    loc = locale_of(request)
    form = await request.post()
    wire_id = str(form.get("from_wire", ""))
    try:
        fields = compose_form.item_fields(form, list(node.config.agency.languages), loc)
        fields = await compose_upload.attach_upload(request, form, fields)
        await compose_form.apply_alt_texts(form, fields, loc)
    except FormError as exc:
        return await _page(request, None, _values_posted(form, 0), error=str(exc), status=422)
    item = await drafts.create(_who(request).username, fields,
                               from_wire=int(wire_id) if wire_id.isdigit() else None)
    raise redirect(f"/desk/items/{item.id}", loc.gettext("Draft saved."))


async def item_page(request: web.Request) -> web.Response:
    """An item: its form when I hold its lock, else what it says, who is editing it, and its actions."""
    try:
        item = await drafts.get(_item_id(request))
    except drafts.DraftError:
        raise web.HTTPNotFound() from None
    return await _page(request, item, _values_of(item))


async def save(request: web.Request) -> web.StreamResponse:
    """Save the form as the next version (and move the stage when asked); a stale or locked save changes nothing
    and shows the editor's text back with the reason."""
    node = request.app[NODE]
    loc = locale_of(request)
    item_id = _item_id(request)
    form = await request.post()
    action = str(form.get("action", "save"))
    version = int(str(form.get("version", "0")) or 0) if str(form.get("version", "0")).isdigit() else 0
    try:
        item = await drafts.get(item_id)
    except drafts.DraftError:
        raise web.HTTPNotFound() from None
    try:
        fields = compose_form.item_fields(form, list(node.config.agency.languages), loc)
        if item.stage == "spiked":
            raise drafts.DraftError(409, "spiked")
        holder = drafts.lock_holder(item)
        if holder not in ("", _who(request).username):
            raise drafts.DraftError(409, "locked", user=holder, since=item.locked_at)
        if item.version != version:
            raise drafts.DraftError(409, "stale", yours=version, current=item.version, user=item.changed_by,
                                    at=item.changed_at)
        fields = await compose_upload.attach_upload(request, form, fields)
        await compose_form.apply_alt_texts(form, fields, loc)
        item = await drafts.save(item_id, _who(request).username, version, fields)
        stage = _EDIT_ACTIONS.get(action)
        if stage and stage != item.stage:
            item = await drafts.set_stage(item_id, _who(request).username, stage)
    except FormError as exc:
        return await _page(request, item, _values_posted(form, version), error=str(exc), status=422)
    except drafts.DraftError as exc:
        return await _page(request, item, _values_posted(form, version), error=draft_message(exc, loc),
                           status=exc.status)
    message = {"review": loc.gettext("Saved and sent to review."), "ready": loc.gettext("Saved and marked ready."),
               "draft": loc.gettext("Saved and moved back to draft.")}.get(action, loc.gettext("Saved."))
    raise redirect(f"/desk/items/{item.id}" + ("#preview" if action == "preview" else ""), message)


async def _change(request: web.Request, action: str) -> web.StreamResponse:
    loc = locale_of(request)
    item_id = _item_id(request)
    username = _who(request).username
    try:
        if action == "lock":
            await drafts.lock(item_id, username)
            message = loc.gettext("You are editing this item; others see it locked by you.")
        elif action == "take_over":
            await drafts.take_over(item_id, username)
            message = loc.gettext("You took the item over; the editor who had it cannot save over your work.")
        elif action == "unlock":
            await drafts.unlock(item_id, username)
            message = loc.gettext("Lock released.")
        elif action == "spike":
            await drafts.spike(item_id, username)
            message = loc.gettext("Spiked. It stays in the spike until you unspike it.")
        else:
            await drafts.unspike(item_id, username)
            message = loc.gettext("Unspiked: the item is back in its stage.")
    except drafts.DraftError as exc:
        if exc.code == "not_found":
            raise web.HTTPNotFound() from None
        raise redirect(f"/desk/items/{item_id}", draft_message(exc, loc)) from None
    raise redirect(f"/desk/items/{item_id}", message)


async def lock(request: web.Request) -> web.StreamResponse:
    """Open the item for editing (take its lock)."""
    return await _change(request, "lock")


async def take_over(request: web.Request) -> web.StreamResponse:
    """Take the item from the editor who holds its lock."""
    return await _change(request, "take_over")


async def unlock(request: web.Request) -> web.StreamResponse:
    """Stop editing (give the lock back)."""
    return await _change(request, "unlock")


async def spike(request: web.Request) -> web.StreamResponse:
    """Spike an unpublished item (reversible)."""
    return await _change(request, "spike")


async def unspike(request: web.Request) -> web.StreamResponse:
    """Bring a spiked item back."""
    return await _change(request, "unspike")


async def publish(request: web.Request) -> web.StreamResponse:
    """Publish a ready item, or send a published story's working copy as its correction (with the note)."""
    node = request.app[NODE]
    loc = locale_of(request)
    item_id = _item_id(request)
    form = await request.post()
    note = str(form.get("correction_note", "")).strip()
    try:
        item = await drafts.get(item_id)
        if item.stage == "published" and not note:
            raise FormError(loc.gettext("Write the correction note: followers see it under the story."))
        story = await drafts.publish(node.fed, node.agency, item_id, _who(request).username,
                                     hooks=node.story_hooks, correction_note=note)
    except FormError as exc:
        raise redirect(f"/desk/items/{item_id}", str(exc)) from None
    except drafts.DraftError as exc:
        if exc.code == "not_found":
            raise web.HTTPNotFound() from None
        raise redirect(f"/desk/items/{item_id}", draft_message(exc, loc)) from None
    except StoryError as exc:
        raise redirect(f"/desk/items/{item_id}", loc.gettext("Not published: %(reason)s",
                                                             reason=exc.detail or exc.title)) from None
    done = loc.gettext("Correction sent.") if note else (
        loc.gettext("Scheduled: it goes out when the embargo ends.") if story.state == "scheduled"
        else loc.gettext("Published."))
    raise redirect(f"/desk/stories/{story.uuid}", done)


async def preview(request: web.Request) -> web.Response:
    """The body as publishing renders it (sanitized HTML), for the form's live preview, and the fact-checks of
    our network that the headline, summary and body match (rendered as the page shows them)."""
    form = await request.post()
    fmt = "html" if form.get("body_format") == "html" else "markdown"
    values = {k: str(form.get(k, "")) for k in ("headline", "summary", "body")}
    matches = render_string("_factchecks.html", request, {
        "loc": locale_of(request), "factchecks": await _factchecks(request, values),
        "verdict_words": VERDICT_WORDS})
    return web.json_response({"html": render_body(values["body"], fmt), "factchecks_html": matches},
                             headers={"Cache-Control": "no-store"})


async def _factchecks(request: web.Request, values: dict[str, Any]) -> list[dict[str, Any]]:
    """What the text being written matches in our network's fact-checks (issue: every story an editor is
    composing is checked against the index)."""
    text = "\n".join(str(values.get(k) or "") for k in ("headline", "summary", "body")).strip()
    if not text:
        return []
    return await with_desk_links((await check_text(request.app[NODE].urls, text))["matches"])


def routes() -> list[web.RouteDef]:
    return [
        web.get("/desk/compose", compose), web.post("/desk/compose", create),
        web.post("/desk/preview", preview),
        web.get("/desk/items/{item_id}", item_page), web.post("/desk/items/{item_id}", save),
        web.post("/desk/items/{item_id}/lock", lock), web.post("/desk/items/{item_id}/unlock", unlock),
        web.post("/desk/items/{item_id}/take-over", take_over),
        web.post("/desk/items/{item_id}/spike", spike), web.post("/desk/items/{item_id}/unspike", unspike),
        web.post("/desk/items/{item_id}/publish", publish),
    ]
