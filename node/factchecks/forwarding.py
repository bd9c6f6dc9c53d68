"""Forwarding a partner's fact-check: Announce it to our followers, so a partner amplifies a debunk.

As for a wire story (node/wire/forwarding.py), the Announce carries the fact-check by id with the checking
agency's signed copy embedded: a node that follows only us checks that copy's proof against the checking agency's
key and stores it as that agency's fact-check (node/factchecks/listeners.py, `_forwarded`), never as ours. The
copy is embedded only when its proof still verifies against the checking agency as we hold it; otherwise the
Announce names the fact-check by id and receivers fetch it from its agency.
"""

from __future__ import annotations

from typing import Any

from federation import provenance
from federation.context import Federation
from federation.store.models import OutboxActivity
from node.factchecks.documents import factcheck_url
from node.factchecks.errors import FactCheckError
from node.factchecks.models import WireFactCheck
from node.wire.forwarding import queue_announce

__all__ = ["announce"]


async def _signed_copy(fed: Federation, row: WireFactCheck, checker: str) -> dict[str, Any] | None:
    """The copy we hold when its proof verifies against the checking agency's key now, else None."""
    if row.proof_status != provenance.VERIFIED or not isinstance(row.object, dict):
        return None
    verdict = await provenance.check(fed, row.object)
    return row.object if verdict.verified and verdict.origin == checker else None


async def announce(fed: Federation, username: str, uri: str) -> OutboxActivity:
    """Queue `username`'s Announce of the partner's fact-check `uri` for its followers; FactCheckError 404 when
    the node has no such fact-check, 409 when it is ours (our followers already have it) or withdrawn."""
    if uri.startswith(factcheck_url(fed.urls, "")):
        raise FactCheckError(409, "Our own fact-check", f"{uri} is ours: our followers already receive it")
    row = await WireFactCheck.get_or_none(uri=uri).prefetch_related("actor")
    if row is None:
        raise FactCheckError(404, "No such fact-check", f"this node has no fact-check {uri}")
    if row.state != "live":
        raise FactCheckError(409, "Fact-check withdrawn", f"{uri} was withdrawn by its agency")
    return await queue_announce(fed, username, uri, await _signed_copy(fed, row, row.actor.uri))
