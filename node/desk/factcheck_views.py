"""The desk's Fact-checks screen: the fact-checks partners sent us (newest first, withdrawn ones marked), one of
them with its claim, verdict, explanations, proof and endorsements, and forwarding it to our followers (Announce,
the use-case behind POST /api/factchecks/announce) so we amplify a partner's debunk."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from node.desk.render import locale_of, redirect, render
from node.desk.wire_present import PROOF_WORDS
from node.factchecks import forwarding
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


def _view(row: WireFactCheck, endorsed: list[dict[str, Any]]) -> dict[str, Any]:
    """What the templates show of a partner's fact-check."""
    words, tone = PROOF_WORDS.get(row.proof_status, PROOF_WORDS[""])
    actor = row.actor
    return {"row": row, "agency": actor.name or actor.handle, "handle": actor.handle, "proof_words": words,
            "proof_tone": tone, "endorsements": endorsed,
            "when": row.updated_at or row.published_at or row.received_at}


async def list_page(request: web.Request) -> web.Response:
    """Partners' fact-checks, the newest first."""
    rows = await WireFactCheck.all().order_by("-received_at", "-id").limit(LIST_SIZE).prefetch_related("actor")
    endorsed = await endorsements_of([r.uri for r in rows])
    return render(request, "factchecks.html", {"items": [_view(r, endorsed.get(r.uri, [])) for r in rows]})


async def factcheck_page(request: web.Request) -> web.Response:
    """One partner's fact-check: claim, verdict, where the claim appeared, explanations, proof, endorsements."""
    row = await _factcheck(request)
    endorsed = (await endorsements_of([row.uri]))[row.uri]
    return render(request, "factcheck.html", {"f": _view(row, endorsed)})


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


def routes() -> list[web.RouteDef]:
    return [
        web.get("/desk/factchecks", list_page),
        web.get(r"/desk/factchecks/{id:\d+}", factcheck_page),
        web.post(r"/desk/factchecks/{id:\d+}/forward", forward),
    ]
