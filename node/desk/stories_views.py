"""My stories: our items on the desk and our published stories with their state, delivery progress (by host),
revisions with a diff between any two, translations and their review state, the thread of a developing story;
and the actions on a published story: correct, write an update, kill."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from node.accounts.guard import PRINCIPAL
from node.desk import compose_form
from node.desk.compose_form import draft_message
from node.desk.diffs import revision_diff
from node.desk.factcheck_links import with_desk_links
from node.desk.factcheck_words import VERDICT_WORDS
from node.desk.render import locale_of, redirect, render
from node.factchecks import story_matches
from node.stories import drafts, queries
from node.stories.draft_models import DeskItem
from node.stories.errors import StoryError
from node.stories.models import Story, StoryRevision
from node.translation.models import StoryTranslation
from node.web.keys import NODE

__all__ = ["routes"]

# Delivery rows by what the editor wants to know: gone out, still trying, given up, withdrawn.
_PROGRESS = {"delivered": "delivered", "queued": "pending", "sending": "pending", "dead": "failed",
             "cancelled": "cancelled"}
_STATE = {"published": "published", "scheduled": "scheduled", "deleted": "killed"}


def _progress(counts: dict[str, int]) -> dict[str, int]:
    out: Counter[str] = Counter()
    for state, n in counts.items():
        out[_PROGRESS.get(state, state)] += n
    return dict(out)


async def _story(request: web.Request) -> Story:
    story = await Story.get_or_none(uuid=request.match_info["uuid"])
    if story is None:
        raise web.HTTPNotFound()
    return story


async def stories(request: web.Request) -> web.Response:
    """Items on the desk (draft, review, ready; the spike with ?spiked=1) and our stories, newest first."""
    show_spiked = request.query.get("spiked") == "1"
    stages = ["spiked"] if show_spiked else ["draft", "review", "ready"]
    items = await DeskItem.filter(stage__in=stages).order_by("-changed_at").limit(200)
    rows = await Story.all().order_by("-id").limit(100).only("id", "uuid", "headline", "state", "published_at",
                                                            "context_uri")
    summary = await queries.delivery_summary([s.id for s in rows])
    matched = await story_matches.match_counts(request.app[NODE].urls, [s.id for s in rows])
    roots = {s.context_uri for s in rows if s.context_uri}
    root_stories = {request.app[NODE].urls.story(s.uuid): s
                    for s in await Story.filter(uuid__in=[u.rstrip("/").rsplit("/", 1)[-1] for u in roots])}
    return render(request, "stories.html", {
        "items": items, "show_spiked": show_spiked,
        "stories": [{"story": s, "state": _STATE.get(s.state, s.state), "progress": _progress(summary.get(s.id, {})),
                     "thread": root_stories.get(s.context_uri), "factchecks": matched.get(s.id, 0)} for s in rows],
        "holder": drafts.lock_holder,
    })


async def _deliveries_by_host(story: Story) -> list[dict[str, Any]]:
    hosts: dict[str, Counter[str]] = defaultdict(Counter)
    errors: dict[str, str] = {}
    for row in await queries.story_deliveries(story):
        host = urlsplit(row["inbox"]).netloc or row["inbox"]
        hosts[host][_PROGRESS.get(row["state"], row["state"])] += 1
        if row["last_error"] and row["state"] != "delivered":
            errors[host] = row["last_error"]
    return [{"host": h, "counts": dict(c), "error": errors.get(h, "")} for h, c in sorted(hosts.items())]


async def _thread(request: web.Request, story: Story) -> list[Story]:
    root_uri = story.context_uri or request.app[NODE].urls.story(story.uuid)
    root_uuid = root_uri.rstrip("/").rsplit("/", 1)[-1]
    members = await Story.filter(context_uri=root_uri).order_by("published_at")
    root = await Story.get_or_none(uuid=root_uuid)
    return ([root] if root is not None else []) + list(members) if members or story.context_uri else []


async def story_page(request: web.Request) -> web.Response:
    """One of our stories: state, actions, deliveries by host, revisions, translations, thread."""
    node = request.app[NODE]
    story = await _story(request)
    summary = await queries.delivery_summary([story.id])
    revs = await StoryRevision.filter(story_id=story.id).order_by("number")
    followers, servers = await compose_form.audience(node.agency)
    return render(request, "story.html", {
        "story": story, "state": _STATE.get(story.state, story.state), "url": node.urls.story(story.uuid),
        "progress": _progress(summary.get(story.id, {})), "hosts": await _deliveries_by_host(story),
        "revisions": revs, "translations": await StoryTranslation.filter(story_id=story.id).order_by("language"),
        "thread": await _thread(request, story), "followers": followers, "servers": servers,
        "items": await DeskItem.filter(story_id=story.id).order_by("-id"),
        "factchecks": await with_desk_links(await story_matches.matches_for_story(node.urls, story)),
        "verdict_words": VERDICT_WORDS,
    })


async def revisions_page(request: web.Request) -> web.Response:
    """Two revisions side by side (?a=1&b=3, default: the last two), changes marked as removed and added."""
    story = await _story(request)
    revs = await StoryRevision.filter(story_id=story.id).order_by("number")
    numbers = [r.number for r in revs]

    def pick(name: str, default: int) -> int:
        raw = request.query.get(name, "")
        return int(raw) if raw.isdigit() and int(raw) in numbers else default
    b = pick("b", numbers[-1] if numbers else 0)
    a = pick("a", numbers[-2] if len(numbers) > 1 else b)
    by_number = {r.number: r for r in revs}
    rows = revision_diff(by_number[a].snapshot, by_number[b].snapshot) if a in by_number and b in by_number else []
    return render(request, "revisions.html", {"story": story, "revisions": revs, "a": a, "b": b, "rows": rows,
                                              "rev_a": by_number.get(a), "rev_b": by_number.get(b)})


async def correct(request: web.Request) -> web.StreamResponse:
    """Open the story's working copy for a correction (locked for me)."""
    loc = locale_of(request)
    story = await _story(request)
    if story.state == "deleted":
        raise redirect(f"/desk/stories/{story.uuid}", loc.gettext("A killed story cannot be corrected."))
    try:
        item = await drafts.edit_published(story, request[PRINCIPAL].username)
    except drafts.DraftError as exc:
        raise redirect(f"/desk/stories/{story.uuid}", draft_message(exc, loc)) from None
    raise redirect(f"/desk/items/{item.id}", loc.gettext("Make the correction, save, then send it with a note."))


async def write_update(request: web.Request) -> web.StreamResponse:
    """A new draft in this story's thread."""
    loc = locale_of(request)
    story = await _story(request)
    item = await drafts.start_update(request.app[NODE].fed, story, request[PRINCIPAL].username)
    raise redirect(f"/desk/items/{item.id}", loc.gettext("A new update in the story's thread: write what is new."))


async def kill(request: web.Request) -> web.StreamResponse:
    """Kill the story with the reason followers will see."""
    node = request.app[NODE]
    loc = locale_of(request)
    story = await _story(request)
    form = await request.post()
    try:
        await drafts.kill(node.fed, node.agency, story, request[PRINCIPAL].username, str(form.get("reason", "")))
    except drafts.DraftError as exc:
        raise redirect(f"/desk/stories/{story.uuid}", draft_message(exc, loc)) from None
    except StoryError as exc:
        raise redirect(f"/desk/stories/{story.uuid}", loc.gettext("Not killed: %(reason)s",
                                                                  reason=exc.detail or exc.title)) from None
    raise redirect(f"/desk/stories/{story.uuid}", loc.gettext("Killed. Followers' copies are being replaced by "
                                                              "a notice with your reason."))


def routes() -> list[web.RouteDef]:
    return [
        web.get("/desk/stories", stories),
        web.get("/desk/stories/{uuid}", story_page),
        web.get("/desk/stories/{uuid}/revisions", revisions_page),
        web.post("/desk/stories/{uuid}/correct", correct),
        web.post("/desk/stories/{uuid}/update", write_update),
        web.post("/desk/stories/{uuid}/kill", kill),
    ]


