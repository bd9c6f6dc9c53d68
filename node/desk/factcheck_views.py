"""The desk's Fact-checks screen: the fact-checks partners sent us (newest first, withdrawn ones marked), one of
them with its claim, verdict, explanations, proof and endorsements, and beside it the other agencies' checks of
the same claim that reached another verdict (issue 14 item 5: side by side, never merged). From it an editor
forwards the check to our followers (Announce, the use-case behind POST /api/factchecks/announce) and endorses
it or takes the endorsement back (the signed Endorse and its Undo, the use-cases behind POST and DELETE
/api/factchecks/endorse)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from node.desk.factcheck_links import with_desk_links
from node.desk.render import locale_of, redirect, render
from node.desk.wire_present import PROOF_WORDS
from node.factchecks import endorsements, forwarding, matching
from node.factchecks.endorsements import endorsements_of
from node.factchecks.errors import FactCheckError
from node.factchecks.models import WireFactCheck
from node.web.keys import NODE

__all__ = ["routes"]

LIST_SIZE = 200


async def _factcheck(request: web.Request) -> WireFactCheck:
    row = await WireFactCheck.get_or_none(id=int(request.match_info["id"])).prefetch_related("actor")
    if row is None:
        raise web.HTTPNotFound(text="No such fact-check")
    return row


def _view(row: WireFactCheck, endorsed: list[dict[str, Any]], us: str = "") -> dict[str, Any]:
    """What the templates show of a partner's fact-check; `us` is our actor's URI (marks our own endorsement)."""
    words, tone = PROOF_WORDS.get(row.proof_status, PROOF_WORDS[""])
    actor = row.actor
    return {"row": row, "agency": actor.name or actor.handle, "handle": actor.handle, "proof_words": words,
            "proof_tone": tone, "endorsements": [{**e, "ours": e["agency"] == us} for e in endorsed],
            "endorsed_by_us": any(e["agency"] == us for e in endorsed),
            "when": row.updated_at or row.published_at or row.received_at}


async def disagreeing(request: web.Request, row: WireFactCheck) -> list[dict[str, Any]]:
    """Other agencies' live checks of the same claim with another verdict, found as POST /api/check finds them
    (node.factchecks.matching.check: the claim's text and each URL where it appeared), each with its desk link."""
    urls = request.app[NODE].urls
    found: dict[str, dict[str, Any]] = {}
    for query in [row.claim_text, *row.claim_urls]:
        if not isinstance(query, str) or not query.strip():
            continue
        for m in (await matching.check(urls, query))["matches"]:
            found.setdefault(m["factcheck"], m)
    others = [m for m in found.values()
              if m["factcheck"] != row.uri and m["agency"] != row.actor.uri and m["verdict"] != row.verdict]
    return await with_desk_links(others)


async def list_page(request: web.Request) -> web.Response:
    """Partners' fact-checks, the newest first."""
    rows = await WireFactCheck.all().order_by("-received_at", "-id").limit(LIST_SIZE).prefetch_related("actor")
    endorsed = await endorsements_of([r.uri for r in rows])
    us = request.app[NODE].urls.actor(request.app[NODE].agency)
    return render(request, "factchecks.html", {"items": [_view(r, endorsed.get(r.uri, []), us) for r in rows]})


async def factcheck_page(request: web.Request) -> web.Response:
    """One partner's fact-check: claim, verdict, where the claim appeared, explanations, proof, endorsements (ours
    marked), and other agencies' checks of the same claim with another verdict."""
    row = await _factcheck(request)
    endorsed = (await endorsements_of([row.uri]))[row.uri]
    node = request.app[NODE]
    return render(request, "factcheck.html", {"f": _view(row, endorsed, node.urls.actor(node.agency)),
                                               "others": await disagreeing(request, row)})


async def forward(request: web.Request) -> web.StreamResponse:
    """Forward (Announce) a partner's fact-check to our followers, the use-case behind POST
    /api/factchecks/announce."""
    loc = locale_of(request)
    row = await _factcheck(request)
    node = request.app[NODE]
    try:
        await forwarding.announce(node.fed, node.agency, row.uri)
    except FactCheckError as exc:
        raise redirect(f"/desk/factchecks/{row.id}", loc.gettext("Not forwarded: %(reason)s", reason=exc.detail))
    raise redirect(f"/desk/factchecks/{row.id}", loc.gettext("Forwarded to our followers."))


async def endorse(request: web.Request) -> web.StreamResponse:
    """Endorse a partner's fact-check in our agency's name (with an optional comment): the signed Endorse of POST
    /api/factchecks/endorse goes to our followers and the checking agency. A second endorsement is refused."""
    loc = locale_of(request)
    row = await _factcheck(request)
    node = request.app[NODE]
    comment = (await request.post()).get("comment", "")
    try:
        await endorsements.endorse(node.fed, node.agency, node.config.agency.name, row.uri,
                                   comment if isinstance(comment, str) else "")
    except FactCheckError as exc:
        raise redirect(f"/desk/factchecks/{row.id}", loc.gettext("Not endorsed: %(reason)s", reason=exc.detail))
    raise redirect(f"/desk/factchecks/{row.id}", loc.gettext("Endorsed in our agency's name."))


async def unendorse(request: web.Request) -> web.StreamResponse:
    """Take back our endorsement: the Undo of DELETE /api/factchecks/endorse goes where the Endorse went."""
    loc = locale_of(request)
    row = await _factcheck(request)
    node = request.app[NODE]
    try:
        await endorsements.withdraw_endorsement(node.fed, node.agency, row.uri)
    except FactCheckError as exc:
        raise redirect(f"/desk/factchecks/{row.id}",
                       loc.gettext("Endorsement not withdrawn: %(reason)s", reason=exc.detail))
    raise redirect(f"/desk/factchecks/{row.id}", loc.gettext("Our endorsement is withdrawn."))


def routes() -> list[web.RouteDef]:
    return [
        web.get("/desk/factchecks", list_page),
        web.get(r"/desk/factchecks/{id:\d+}", factcheck_page),
        web.post(r"/desk/factchecks/{id:\d+}/forward", forward),
        web.post(r"/desk/factchecks/{id:\d+}/endorse", endorse),
        web.post(r"/desk/factchecks/{id:\d+}/unendorse", unendorse),
    ]
