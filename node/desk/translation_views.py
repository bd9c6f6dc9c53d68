"""The desk's Translations screen: the review queue, one translation beside its original (edit, approve, reject),
the translations partners offered us (accept, decline), and machine translation asked for from here.

Every change calls the use-case the editor API calls (node/translation/routes.py, job_routes.py): review.py for
edits and decisions, offers.py for offers, review.request_machine_translations for the job machinery.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from federation.store.models import RemoteActor
from node.accounts.audit import Principal
from node.accounts.guard import PRINCIPAL
from node.desk.i18n import DESK_LOCALES
from node.desk.provenance import provenance_words
from node.desk.render import locale_of, redirect, render
from node.stories.queries import list_stories
from node.translation import offers, review
from node.translation.jobs import list_jobs
from node.web.keys import NODE
from schemas.languages import normalize_tag

__all__ = ["routes"]

STATUSES = ("pending_review", "approved", "rejected", "draft")


def _when(value: str | None) -> datetime | None:
    """An ISO timestamp of the use-cases' JSON as a datetime, for the locale's date filters."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _who(request: web.Request) -> str:
    who: Principal = request[PRINCIPAL]
    return who.username


def _words(request: web.Request, item: dict[str, Any], names: dict[str, str] | None = None) -> list[str]:
    node = request.app[NODE]
    return provenance_words(locale_of(request), item, own_actor=node.urls.actor(node.agency),
                            agency_name=node.config.agency.name, names=names)


def _target_languages(request: web.Request) -> list[str]:
    """Languages worth offering in the machine-translation form: the engine's targets, the agency's languages
    and the desk's, without duplicates."""
    node = request.app[NODE]
    targets = tuple(node.translation.settings.targets) if node.translation is not None else ()
    out: list[str] = []
    for tag in (*targets, *node.config.agency.languages, *DESK_LOCALES):
        try:
            tag = normalize_tag(tag)
        except ValueError:
            continue
        if tag not in out:
            out.append(tag)
    return out


async def queue(request: web.Request, *, error: str = "", status: int = 200) -> web.Response:
    """The review queue (pending by default; ?status= another), offers, jobs and the machine request form."""
    loc = locale_of(request)
    node = request.app[NODE]
    wanted = request.query.get("status", "pending_review")
    if wanted not in STATUSES:
        wanted = "pending_review"
    items = await review.list_translations(status=wanted, locale=loc.tag)
    for item in items:
        item["words"], item["updated_at"] = _words(request, item), _when(item["updated"])
    offered = await offers.list_offers(None, loc.tag, limit=50)
    for item in offered:
        item["words"] = _words(request, {**item, "translated_by": item["agency"], "status": ""},
                               names={item["agency"]: "@" + item["agency_handle"]})
    stories = [s for s, _ in await list_stories(limit=50) if s.state == "published"]
    headlines = {s.uuid: s.headline for s in stories}
    jobs = await list_jobs(limit=20)
    for job in jobs:
        job["headline"] = headlines.get(job["story"], job["story"])
    return render(request, "translations.html", {
        "items": items, "status": wanted, "statuses": STATUSES, "offers": offered, "jobs": jobs,
        "stories": stories, "targets": _target_languages(request), "engine": node.translation is not None,
        "engine_name": node.translation.engine.name if node.translation is not None else "",
        "review_machine": node.fed.translation_policy.review_machine, "error": error}, status=status)


async def _review_context(request: web.Request, uuid: str, language: str) -> dict[str, Any]:
    loc = locale_of(request)
    story, row = await review.get_translation(uuid, language)
    item = review.translation_json(row, story.uuid, loc.tag, story)
    # A partner's translation (an accepted offer) names its agency by handle, as the offers list does.
    partner = await RemoteActor.get_or_none(uri=row.translated_by) if row.translated_by else None
    names = {partner.uri: "@" + partner.handle} if partner is not None else None
    return {"story": story, "item": item, "words": _words(request, item, names),
            "decisions": [{**d, "at": _when(d["at"])}
                          for d in await review.decisions(story_uuid=story.uuid, language=row.language)]}


def _refused(exc: review.TranslationError) -> str:
    return f"{exc.title}: {exc.detail}"


async def review_page(request: web.Request, *, error: str = "", status: int = 200,
                      form: dict[str, str] | None = None) -> web.Response:
    """One translation beside its original, with the form to edit it and the buttons to decide."""
    try:
        ctx = await _review_context(request, request.match_info["uuid"], request.match_info["language"])
    except review.TranslationError as exc:
        loc = locale_of(request)
        return render(request, "error.html", {"status": exc.status, "title": loc.gettext("No such translation"),
                                              "detail": _refused(exc)}, status=exc.status)
    return render(request, "translation.html", {**ctx, "error": error, "form": form or {}}, status=status)


async def edit(request: web.Request) -> web.StreamResponse:
    """Save the editor's changes to a translation (a machine one becomes machine+human)."""
    loc = locale_of(request)
    node = request.app[NODE]
    form = await request.post()
    values = {k: str(form.get(k, "")) for k in ("headline", "summary", "body_html")}
    uuid, language = request.match_info["uuid"], request.match_info["language"]
    try:
        row = await review.edit_translation(node.fed, node.agency, uuid, language, headline=values["headline"],
                                            summary=values["summary"], body=values["body_html"],
                                            body_format="html", editor=_who(request))
    except review.TranslationError as exc:
        return await review_page(request, error=_refused(exc), status=exc.status, form=values)
    raise redirect(f"/desk/translations/{uuid}/{row.language}", loc.gettext("The translation was saved."))


async def decide(request: web.Request) -> web.StreamResponse:
    """Approve (it goes out to followers at once) or reject a translation, with an optional note."""
    loc = locale_of(request)
    node = request.app[NODE]
    form = await request.post()
    uuid, language = request.match_info["uuid"], request.match_info["language"]
    fn = review.approve if request.match_info["decision"] == "approve" else review.reject
    try:
        row = await fn(node.fed, node.agency, uuid, language, _who(request), str(form.get("note", ""))[:1000])
    except review.TranslationError as exc:
        return await review_page(request, error=_refused(exc), status=exc.status)
    message = (loc.gettext("Approved: the %(language)s translation goes out to followers now.",
                           language=loc.language_name(row.language)) if row.status == "approved"
               else loc.gettext("Rejected: the %(language)s translation does not go out.",
                                language=loc.language_name(row.language)))
    raise redirect(f"/desk/translations/{uuid}/{row.language}", message)


async def decide_offer(request: web.Request) -> web.StreamResponse:
    """Accept a partner's offered translation (it becomes an approved one, credited to them) or decline it."""
    loc = locale_of(request)
    node = request.app[NODE]
    form = await request.post()
    offer_id = request.match_info["id"]
    if not offer_id.isdigit():
        raise web.HTTPNotFound()
    try:
        if request.match_info["decision"] == "accept":
            await offers.accept_offer(node.fed, node.agency, int(offer_id), _who(request))
            message = loc.gettext("Offer accepted: the translation goes out to followers now.")
        else:
            await offers.decline_offer(node.fed, node.agency, int(offer_id), _who(request),
                                       str(form.get("reason", ""))[:500])
            message = loc.gettext("Offer declined; the agency that offered it is told.")
    except review.TranslationError as exc:
        return await queue(request, error=_refused(exc), status=exc.status)
    raise redirect("/desk/translations", message)


async def request_machine(request: web.Request) -> web.StreamResponse:
    """Ask the engine for a translation of one of our stories into one language (a job; the result waits for
    review unless the node approves machine output itself)."""
    loc = locale_of(request)
    node = request.app[NODE]
    form = await request.post()
    story, language = str(form.get("story", "")), str(form.get("language", ""))
    if not story or not language:
        return await queue(request, error=loc.gettext("Choose a story and a language."), status=422)
    try:
        await review.request_machine_translations(node.fed, node.agency, story, [language])
    except review.TranslationError as exc:
        return await queue(request, error=_refused(exc), status=exc.status)
    raise redirect("/desk/translations", loc.gettext(
        "Machine translation into %(language)s requested. It appears in the queue when the engine has answered.",
        language=loc.language_name(language)))


def routes() -> list[web.RouteDef]:
    return [
        web.get("/desk/translations", queue),
        web.post("/desk/translations/request", request_machine),
        web.post(r"/desk/translations/offers/{id}/{decision:accept|decline}", decide_offer),
        web.get("/desk/translations/{uuid}/{language}", review_page),
        web.post("/desk/translations/{uuid}/{language}", edit),
        web.post(r"/desk/translations/{uuid}/{language}/{decision:approve|reject}", decide),
    ]
