"""Fact-checks arriving from partner agencies: the inbox listeners for Create, Update and Delete of a fact-check
Article, and for `Endorse`.

A fact-check is an Article with a `claimReview` (schemas/factcheck.py). Its listeners come before the wire's, and
return None for anything else, so stories go on to the wire. Like a story, it is taken only from an agency we
follow, on that agency's host, and its object proof is checked against that agency's key (an invalid proof is
refused; the verdict is kept with it). A fact-check the wire itself obtained (sent by id, or forwarded by an
Announce) comes here through the wire's claim hook (`on_wire_object`): a forwarded one is believed for its
checking agency, on its proof against that agency's key or fetched from that agency's host.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from federation import provenance
from federation.context import Federation
from federation.handlers.base import followed_actor
from federation.listeners import Ignored
from federation.payload import ref
from federation.sanitize import html_to_text, sanitize_html
from node.factchecks import index_registry
from node.factchecks.endorsements import receive_endorsement, receive_undo
from node.factchecks.matching import rematch_recent
from node.factchecks.models import WireFactCheck
from schemas.activitystreams import object_id, same_origin
from schemas.factcheck import VERDICTS
from schemas.lifecycle import kill_reason, parse_time

__all__ = ["is_factcheck", "on_create", "on_delete", "on_endorse", "on_undo", "on_update", "on_wire_object"]

_LABELS = {v.label.casefold(): v.code for v in VERDICTS.values()}


def is_factcheck(obj: Any) -> bool:
    """Whether an object is a fact-check (an Article carrying a claim review)."""
    return isinstance(obj, dict) and obj.get("type") == "Article" and isinstance(obj.get("claimReview"), dict)


def verdict_of(review: dict[str, Any]) -> str:
    """The verdict code of a received claim review (ours, or the rating's plain-word name); Ignored if unknown."""
    rating = review.get("reviewRating") if isinstance(review.get("reviewRating"), dict) else {}
    for candidate in (review.get("verdict"), rating.get("verdict")):
        if isinstance(candidate, str) and candidate in VERDICTS:
            return candidate
    name = rating.get("alternateName")
    if isinstance(name, str) and name.casefold() in _LABELS:
        return _LABELS[name.casefold()]
    raise Ignored("fact-check with an unknown verdict")


def _texts(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k)[:35]: html_to_text(str(v))[:50_000] for k, v in value.items() if isinstance(v, str) and v.strip()}


def _fields(obj: dict[str, Any]) -> dict[str, Any]:
    review = obj["claimReview"]
    verdict = verdict_of(review)
    claim = html_to_text(str(review.get("claimReviewed") or ""))[:5000]
    if not claim:
        raise Ignored("fact-check without a claim")
    item = review.get("itemReviewed") if isinstance(review.get("itemReviewed"), dict) else {}
    appearances = item.get("appearance") or []
    urls = [object_id(a.get("url") if isinstance(a, dict) else a) or "" for a in
            (appearances if isinstance(appearances, list) else [appearances])]
    language = str(item.get("inLanguage") or "")[:35]
    claims = _texts(review.get("claimMap")) or ({language: claim} if language else {})
    clean = dict(obj)
    for key in ("content", "summary"):
        if isinstance(clean.get(key), str):
            clean[key] = sanitize_html(clean[key])
        if isinstance(clean.get(key + "Map"), dict):
            clean[key + "Map"] = {k: sanitize_html(str(v)) for k, v in clean[key + "Map"].items()}
    urgency = obj.get("urgency")
    return dict(verdict=verdict, claim_text=claim, claim_language=language, claims=claims,
                explanations=_texts(review.get("explanationMap")), claim_urls=[u for u in urls if u][:50],
                headline=html_to_text(str(obj.get("name") or ""))[:1000], url=str(object_id(obj.get("url")) or "")[:1024],
                urgency=urgency if isinstance(urgency, int) and 1 <= urgency <= 9 else None, object=clean,
                revision=obj.get("revision") if isinstance(obj.get("revision"), int) else None,
                published_at=parse_time(obj.get("published")), updated_at=parse_time(obj.get("updated")))


async def _store(fed: Federation, activity: dict[str, Any], obj: dict[str, Any]) -> str:
    """A fact-check its agency sent us (embedded, or fetched by its id from where it lives)."""
    actor = await followed_actor(activity["actor"])
    if actor is None:
        raise Ignored(f"fact-check from {activity['actor']}, whom we do not follow")
    uri = ref(obj, "fact-check", required=True) or ""
    if not same_origin(uri, actor.uri) or (object_id(obj.get("attributedTo")) or actor.uri) != actor.uri:
        raise Ignored("fact-check is not its sender's")
    return await _save(fed, actor, uri, obj, await provenance.check(fed, obj, activity=activity))


async def _forwarded(fed: Federation, activity: dict[str, Any], obj: dict[str, Any]) -> str:
    """A fact-check someone we follow forwarded (Announce): believed for its checking agency, never for the
    forwarder. Its proof must not fail against the agency's key, and it must live on the agency's host."""
    if await followed_actor(activity["actor"]) is None:
        raise Ignored(f"Announce from {activity['actor']}, whom we do not follow")
    uri = ref(obj, "fact-check", required=True) or ""
    author_uri = object_id(obj.get("attributedTo")) or ""
    if uri != ref(activity.get("object"), "announced object") or not same_origin(uri, author_uri):
        raise Ignored("forwarded fact-check is not on its agency's host")
    verdict = await provenance.check(fed, obj)
    if verdict.status == provenance.INVALID:
        raise Ignored(f"forwarded fact-check refused, proof invalid ({verdict.code}): {verdict.reason}")
    if verdict.verified and verdict.origin != author_uri:
        raise Ignored("forwarded fact-check is signed by another agency than its own")
    return await _save(fed, await fed.fetcher.actor(author_uri), uri, obj, verdict)


async def _save(fed: Federation, actor: Any, uri: str, obj: dict[str, Any], verdict: Any) -> str:
    """Store (or refresh) a partner's fact-check whose origin is settled, and index its claim."""
    values = _fields(obj)
    if verdict.status == provenance.INVALID:
        raise Ignored(f"fact-check refused, proof invalid ({verdict.code}): {verdict.reason}")
    values.update(proof_status=verdict.status, proof_key_id=verdict.key_id[:512])
    row = await WireFactCheck.get_or_none(uri=uri)
    if row is None:
        await WireFactCheck.create(uri=uri, actor_id=actor.id, **values)
        done = "stored"
    else:
        if row.state != "live":
            raise Ignored(f"fact-check {uri} was withdrawn")
        if row.actor_id != actor.id:  # type: ignore[attr-defined]
            raise Ignored("fact-check is not its sender's")
        incoming, known = values["updated_at"] or values["published_at"], row.updated_at or row.published_at
        if incoming is not None and known is not None and incoming < known:
            raise Ignored(f"stale version of fact-check {uri}")
        await WireFactCheck.filter(id=row.id).update(**values)
        done = "updated"
    await index_registry.changed(fed.urls, uri)
    await rematch_recent(fed.urls, uri)  # stories already on the wire that repeat the claim
    return f"fact-check {uri} {done} ({values['verdict']}, proof {verdict.status})"


async def on_wire_object(fed: Federation, activity: dict[str, Any], obj: dict[str, Any], forwarded: bool
                         ) -> str | None:
    """The wire's claim hook (node/wire/hooks.py): a fact-check the wire fetched by its id (a Create by reference)
    or got forwarded (an Announce, embedded or fetched) lands here, never on the wire as a story."""
    if not is_factcheck(obj):
        return None
    return await (_forwarded(fed, activity, obj) if forwarded else _store(fed, activity, obj))


async def on_create(fed: Federation, activity: dict[str, Any], signature: str = "") -> str | None:
    """Create of a fact-check from an agency we follow: store it and index its claim. Anything else passes on."""
    obj = activity.get("object")
    if not is_factcheck(obj):
        return None
    return await _store(fed, activity, obj)  # type: ignore[arg-type]


async def on_update(fed: Federation, activity: dict[str, Any], signature: str = "") -> str | None:
    """Update of a fact-check (a correction, a new language): the newer version replaces ours."""
    return await on_create(fed, activity, signature)


async def on_delete(fed: Federation, activity: dict[str, Any], signature: str = "") -> str | None:
    """Delete of a fact-check by its agency: it is withdrawn here too (kept, marked, out of the index)."""
    target = ref(activity.get("object"), "deleted object") or ""
    row = await WireFactCheck.get_or_none(uri=target, actor__uri=activity["actor"])
    if row is None:
        return None
    reason = kill_reason(activity)
    done = await WireFactCheck.filter(id=row.id, state="live").update(
        state="withdrawn", withdrawn_at=datetime.now(timezone.utc), withdraw_reason=reason)
    await index_registry.changed(fed.urls, target)
    return f"fact-check {target} withdrawn" if done else f"fact-check {target} was already withdrawn"


async def on_endorse(fed: Federation, activity: dict[str, Any], signature: str = "") -> str | None:
    """A partner vouches for a fact-check we have: kept when its proof is the partner's (else refused)."""
    return await receive_endorsement(fed, activity)


async def on_undo(fed: Federation, activity: dict[str, Any], signature: str = "") -> str | None:
    """An agency takes back its endorsement; any other Undo passes on."""
    return await receive_undo(activity)
