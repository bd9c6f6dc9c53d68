"""Endorsements: an agency vouching for a fact-check, by a signed `Endorse` activity (our type, defined inline in
the context: Mastodon and other servers ignore an activity type they do not know, which is what we want).

The activity carries an object integrity proof by the endorsing agency's key (eddsa-jcs-2022, as our stories),
so a node that receives it, directly or forwarded, can check who vouched. It goes to the endorsing agency's
followers and to the checking agency. An endorsement is kept only for a fact-check the node has, and only when
its proof verifies against the endorser's key.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from federation import provenance
from federation.context import Federation
from federation.listeners import Ignored
from federation.outbox import enqueue, follower_inboxes, new_uuid
from federation.payload import ref
from federation.proofs import sign_object
from federation.store.models import RemoteActor
from federation.vocab import PUBLIC, iso
from node.factchecks.documents import factcheck_context, factcheck_url
from node.factchecks.errors import FactCheckError
from node.factchecks.models import Endorsement, FactCheck, WireFactCheck

__all__ = ["endorse", "endorsements_of", "receive_endorsement", "receive_undo", "withdraw_endorsement"]

MAX_COMMENT = 2000


async def _known(fed: Federation, uri: str) -> tuple[bool, str]:
    """Whether the node has this fact-check (live), and the actor of the agency that checked it."""
    own = factcheck_url(fed.urls, "")
    if uri.startswith(own):
        fc = await FactCheck.get_or_none(uuid=uri[len(own):], state="published")
        return fc is not None, ""
    row = await WireFactCheck.get_or_none(uri=uri, state="live").prefetch_related("actor")
    return (row is not None, row.actor.uri if row is not None else "")


async def endorse(fed: Federation, username: str, agency_name: str, uri: str, comment: str = "") -> Endorsement:
    """Endorse a fact-check this node has (a partner's, usually): store it and send the signed Endorse."""
    known, checker = await _known(fed, uri)
    if not known:
        raise FactCheckError(404, "No such fact-check", f"this node has no live fact-check {uri}")
    actor = fed.urls.actor(username)
    if await Endorsement.filter(factcheck_uri=uri, actor_uri=actor).exists():
        raise FactCheckError(409, "Already endorsed", f"{uri} is already endorsed by this agency")
    comment = comment.strip()[:MAX_COMMENT]
    doc: dict[str, Any] = {"@context": factcheck_context(), "id": fed.urls.activity(new_uuid()), "type": "Endorse",
                           "actor": actor, "object": uri, "to": [PUBLIC],
                           "cc": [fed.urls.followers(username)] + ([checker] if checker else []),
                           "published": iso(datetime.now(timezone.utc))}
    if comment:
        doc["content"] = comment
    # Not one of the types the outbox signs itself (federation.proofs): the endorsement is signed here.
    doc = sign_object(fed, username, doc)
    inboxes = await follower_inboxes(username)
    if checker:
        remote = await RemoteActor.get_or_none(uri=checker)
        if remote is not None:
            inboxes.append(remote.inbox)
    row = await Endorsement.create(activity_id=doc["id"], factcheck_uri=uri, actor_uri=actor, actor_name=agency_name,
                                   comment=comment, proof_key_id=str((doc.get("proof") or {}).get(
                                       "verificationMethod", ""))[:512])
    await enqueue(fed, username=username, activity=doc, inboxes=inboxes, public=True)
    return row


async def withdraw_endorsement(fed: Federation, username: str, uri: str) -> Endorsement:
    """Take back our endorsement of a fact-check: an Undo of the Endorse goes where the Endorse went."""
    actor = fed.urls.actor(username)
    row = await Endorsement.get_or_none(factcheck_uri=uri, actor_uri=actor)
    if row is None:
        raise FactCheckError(404, "Not endorsed", f"this agency has not endorsed {uri}")
    _, checker = await _known(fed, uri)
    doc: dict[str, Any] = {"@context": factcheck_context(), "id": fed.urls.activity(new_uuid()), "type": "Undo",
                           "actor": actor, "object": {"id": row.activity_id, "type": "Endorse", "actor": actor,
                                                      "object": uri},
                           "to": [PUBLIC], "cc": [fed.urls.followers(username)] + ([checker] if checker else [])}
    inboxes = await follower_inboxes(username)
    if checker:
        remote = await RemoteActor.get_or_none(uri=checker)
        if remote is not None:
            inboxes.append(remote.inbox)
    await Endorsement.filter(id=row.id).delete()
    await enqueue(fed, username=username, activity=doc, inboxes=inboxes, public=True)
    return row


async def receive_undo(activity: dict[str, Any]) -> str | None:
    """An Undo of an Endorse: that agency's endorsement is dropped (only its own). Other Undos pass on (None)."""
    inner = activity.get("object")
    if not isinstance(inner, dict) or inner.get("type") != "Endorse":
        return None
    gone = await Endorsement.filter(activity_id=str(inner.get("id") or ""), actor_uri=activity["actor"]).delete()
    return f"endorsement {inner.get('id')} withdrawn" if gone else f"endorsement {inner.get('id')} was not kept"


async def receive_endorsement(fed: Federation, activity: dict[str, Any]) -> str:
    """Keep a partner's endorsement (see the module docstring); Ignored with the reason otherwise."""
    uri = ref(activity.get("object"), "endorsed fact-check") or ""
    known, _ = await _known(fed, uri)
    if not known:
        raise Ignored(f"endorsement of a fact-check this node does not have: {uri}")
    verdict = await provenance.check(fed, activity)
    if not verdict.verified:
        raise Ignored(f"endorsement refused, proof {verdict.status} ({verdict.code}): {verdict.reason}")
    actor = await RemoteActor.get_or_none(uri=activity["actor"])
    name = (actor.name or actor.handle) if actor is not None else activity["actor"]
    content = activity.get("content")
    _, created = await Endorsement.get_or_create(
        factcheck_uri=uri, actor_uri=activity["actor"],
        defaults={"activity_id": activity["id"], "actor_name": name[:300], "proof_key_id": verdict.key_id[:512],
                  "comment": content.strip()[:MAX_COMMENT] if isinstance(content, str) else ""})
    return f"endorsement of {uri} by {activity['actor']}" + ("" if created else " (already kept)")


async def endorsements_of(uris: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The endorsements of these fact-checks, by fact-check, oldest first."""
    out: dict[str, list[dict[str, Any]]] = {u: [] for u in uris}
    for e in await Endorsement.filter(factcheck_uri__in=uris).order_by("id"):
        out.setdefault(e.factcheck_uri, []).append({"agency": e.actor_uri, "agency_name": e.actor_name,
                                                    "comment": e.comment, "at": iso(e.created_at),
                                                    "key_id": e.proof_key_id or None})
    return out
