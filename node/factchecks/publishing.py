"""Publishing our fact-checks: publish, correct, withdraw, translate; each stored first, then sent as Create,
Update or Delete (signed with the agency's object proof like a story, `federation.proofs`, at enqueue).

An urgent fact-check goes to trusted partners first: their deliveries are due before everyone else's, so the
delivery worker (which claims rows by due time) sends to them first (node/stories/audience.py names partners).
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Mapping

from tortoise.transactions import in_transaction

from federation.context import Federation
from federation.outbox import enqueue, follower_inboxes, new_uuid
from federation.store.models import Delivery, Follower
from federation.vocab import PUBLIC, activity
from node.factchecks import channel, index_registry
from node.factchecks.documents import factcheck_object, factcheck_url, tombstone
from node.factchecks.errors import FactCheckError, get_factcheck
from node.factchecks.matching import rematch_recent
from node.factchecks.models import FactCheck, FactCheckActivity, FactCheckTranslation
from node.media import stock
from node.network.trust import is_partner
from node.stories.kills import cancel_deliveries
from schemas.languages import normalize_tag

__all__ = ["correct", "publish", "review_translation", "send", "submit_translation", "withdraw"]

MAX_REASON = 2000


async def _evidence_media(fed: Federation, shas: list[str]) -> list[dict[str, Any]] | None:
    try:
        return await stock.story_media(None, shas, url_of=lambda sha: stock.file_url(fed.urls.base_url, sha)) or None
    except stock.MediaError as exc:
        raise FactCheckError(exc.status, exc.title, exc.detail) from None


def _tag(language: str) -> str:
    try:
        return normalize_tag(language)
    except (ValueError, TypeError) as exc:
        raise FactCheckError(422, "Invalid language tag", str(exc)) from None


def _values(data: Mapping[str, Any]) -> dict[str, Any]:
    """Stored columns from validated input (`schemas.factcheck.FactCheckInputSchema`)."""
    claim = data["claim"]
    explanation = {normalize_tag(k): v.strip() for k, v in data["explanation"].items() if v.strip()}
    if not explanation:
        raise FactCheckError(422, "Invalid input", "explanation: give the explanation in at least one language")
    if not claim["text"].strip():
        raise FactCheckError(422, "Invalid input", "claim.text: the claim is empty")
    language = normalize_tag(data.get("language") or next(iter(explanation)))
    first_seen = claim.get("first_seen")
    if isinstance(first_seen, str):
        first_seen = date.fromisoformat(first_seen)
    return dict(claim_text=claim["text"].strip(), claim_language=normalize_tag(claim["language"]),
                claim_urls=list(claim.get("urls") or []), claim_accounts=list(claim.get("accounts") or []),
                claim_first_seen=first_seen, claim_media=[s.lower() for s in claim.get("media") or []],
                verdict=data["verdict"], language=language,
                explanation={language: explanation[language], **explanation},
                evidence=list(data.get("evidence") or []), urgency=data.get("urgency"),
                urgent=bool(data.get("urgent")) or (data.get("urgency") is not None and data["urgency"] <= 2))


async def _check_claim_media(shas: list[str]) -> None:
    from node.media.models import MediaItem

    found = set(await MediaItem.filter(sha256__in=shas).values_list("sha256", flat=True)) if shas else set()
    missing = [s for s in shas if s not in found]
    if missing:
        raise FactCheckError(422, "No such media item", f"no media item {missing[0]} in the stock (upload it first)")


async def _partner_first(fed: Federation, username: str, activity_row: Any, conn: Any) -> None:
    followers = await Follower.filter(local=username, state="accepted", actor__deleted_at=None).using_db(
        conn).prefetch_related("actor")
    inboxes = set()
    for f in followers:
        if await is_partner(fed, f.actor.uri):
            inboxes.update({f.actor.inbox, f.actor.shared_inbox or f.actor.inbox})
    if inboxes:
        earlier = datetime(2000, 1, 1, tzinfo=timezone.utc)
        await Delivery.filter(activity_id=activity_row.id, inbox__in=sorted(inboxes)).using_db(conn).update(
            next_attempt_at=earlier)


async def send(fed: Federation, username: str, agency_name: str, fc: FactCheck, type_: str, conn: Any, *,
               obj: Any = None, extra: Mapping[str, Any] | None = None) -> None:
    """Queue Create/Update/Delete of a fact-check for every follower (partners first when it is urgent), and the
    same on the fact-check channel for its followers when this node runs one (node/factchecks/channel.py)."""
    if obj is None:
        translations = await FactCheckTranslation.filter(factcheck_id=fc.id).using_db(conn)
        obj = factcheck_object(fed.urls, username, agency_name, fc, list(translations))
    if type_ == "Delete":
        await channel.retract(fed, username, fc, fc.withdraw_reason or "", conn)
    else:
        await channel.post(fed, username, fc, type_, obj, conn)  # social readers following the channel, if any
    doc = activity(fed.urls, username, uuid=new_uuid(), type_=type_, obj=obj, to=[PUBLIC],
                   cc=[fed.urls.followers(username)], published=datetime.now(timezone.utc))
    doc["@context"] = obj["@context"] if isinstance(obj, dict) else doc["@context"]
    doc.update(extra or {})
    row = await enqueue(fed, username=username, activity=doc, inboxes=await follower_inboxes(username),
                        public=True, connection=conn)
    await FactCheckActivity.create(factcheck_id=fc.id, activity_id=row.id, using_db=conn)
    if fc.urgent:
        await _partner_first(fed, username, row, conn)


async def publish(fed: Federation, username: str, agency_name: str, data: Mapping[str, Any]) -> FactCheck:
    """Store a new fact-check and queue its Create; it joins this node's claim index."""
    values = _values(data)
    await _check_claim_media(values["claim_media"])
    values["media"] = await _evidence_media(fed, list(data.get("media") or []))
    async with in_transaction() as conn:
        fc = await FactCheck.create(uuid=new_uuid(), published_at=datetime.now(timezone.utc), using_db=conn,
                                    **values)
        await send(fed, username, agency_name, fc, "Create", conn)
    await index_registry.changed(fed.urls, factcheck_url(fed.urls, fc.uuid))
    await rematch_recent(fed.urls, factcheck_url(fed.urls, fc.uuid))
    return fc


async def correct(fed: Federation, username: str, agency_name: str, uuid: str, data: Mapping[str, Any]
                  ) -> FactCheck:
    """Change a fact-check (its verdict, claim, explanation...): the next version, sent as an Update with
    `updated` set (Mastodon then shows it as an edit). `data` is the whole fact-check as it now reads."""
    fc = await get_factcheck(uuid)
    if fc.state == "withdrawn":
        raise FactCheckError(409, "Fact-check withdrawn", f"fact-check {uuid} was withdrawn and cannot change")
    values = _values(data)
    await _check_claim_media(values["claim_media"])
    if "media" in data:
        values["media"] = await _evidence_media(fed, list(data.get("media") or []))
    note = str(data.get("correction_note") or "").strip()[:MAX_REASON]
    now = datetime.now(timezone.utc)
    async with in_transaction() as conn:
        await FactCheck.filter(id=fc.id).using_db(conn).update(updated_at=now, version=fc.version + 1,
                                                               correction_note=note, **values)
        fc = await FactCheck.get(id=fc.id).using_db(conn)
        await send(fed, username, agency_name, fc, "Update", conn)
    await index_registry.changed(fed.urls, factcheck_url(fed.urls, fc.uuid))
    await rematch_recent(fed.urls, factcheck_url(fed.urls, fc.uuid))  # the corrected claim may match others
    return fc


async def withdraw(fed: Federation, username: str, uuid: str, reason: str = "") -> FactCheck:
    """Withdraw a fact-check: its URL answers 410 with a Tombstone and a Delete with the reason goes out."""
    fc = await get_factcheck(uuid)
    if fc.state == "withdrawn":
        raise FactCheckError(409, "Fact-check already withdrawn", f"fact-check {uuid} is already withdrawn")
    reason = (reason or "").strip()[:MAX_REASON]
    async with in_transaction() as conn:
        done = await FactCheck.filter(id=fc.id, state="published").using_db(conn).update(
            state="withdrawn", withdrawn_at=datetime.now(timezone.utc), withdraw_reason=reason or None)
        if not done:
            raise FactCheckError(409, "Fact-check changed", f"fact-check {uuid} changed meanwhile; try again")
        fc = await FactCheck.get(id=fc.id).using_db(conn)
        # What has not gone out yet never will: a reader must not get the check after its withdrawal (as kills).
        sent = await FactCheckActivity.filter(factcheck_id=fc.id).using_db(conn).values_list("activity_id", flat=True)
        await cancel_deliveries(list(sent), "fact-check withdrawn", conn)
        extra = {"summary": reason, "killReason": reason} if reason else {}
        await send(fed, username, "", fc, "Delete", conn, obj=tombstone(fed.urls, fc), extra=extra)
    await index_registry.changed(fed.urls, factcheck_url(fed.urls, fc.uuid))
    return fc


async def submit_translation(uuid: str, language: str, claim: str, explanation: str, translator: str = ""
                             ) -> FactCheckTranslation:
    """Store (or replace) a translation of a fact-check, pending review; it is not sent until approved."""
    fc = await get_factcheck(uuid)
    if fc.state == "withdrawn":
        raise FactCheckError(409, "Fact-check withdrawn", f"fact-check {uuid} was withdrawn")
    language = _tag(language)
    if language == fc.language:
        raise FactCheckError(409, "Original language", f"{language} is the fact-check's own language")
    row, created = await FactCheckTranslation.get_or_create(
        factcheck_id=fc.id, language=language,
        defaults={"claim_text": claim.strip(), "explanation": explanation.strip(), "translator": translator})
    if not created:
        await FactCheckTranslation.filter(id=row.id).update(claim_text=claim.strip(), explanation=explanation.strip(),
                                                            translator=translator, status="pending", reviewer="")
        await row.refresh_from_db()
    return row


async def review_translation(fed: Federation, username: str, agency_name: str, uuid: str, language: str,
                             decision: str, reviewer: str = "") -> FactCheckTranslation:
    """Approve (the fact-check goes out again with the language, and the claim index learns it) or reject a
    pending translation."""
    if decision not in ("approve", "reject"):
        raise FactCheckError(404, "No such decision", f"{decision!r}: approve or reject")
    fc = await get_factcheck(uuid)
    row = await FactCheckTranslation.get_or_none(factcheck_id=fc.id, language=_tag(language))
    if row is None:
        raise FactCheckError(404, "No such translation", f"fact-check {uuid} has no {language} translation")
    if row.status != "pending":
        raise FactCheckError(409, "Already reviewed", f"the {language} translation is {row.status}")
    status = "approved" if decision == "approve" else "rejected"
    async with in_transaction() as conn:
        await FactCheckTranslation.filter(id=row.id).using_db(conn).update(status=status, reviewer=reviewer)
        if status == "approved" and fc.state == "published":
            now = datetime.now(timezone.utc)
            await FactCheck.filter(id=fc.id).using_db(conn).update(updated_at=now, version=fc.version + 1)
            fc = await FactCheck.get(id=fc.id).using_db(conn)
            await send(fed, username, agency_name, fc, "Update", conn)
    await row.refresh_from_db()
    await index_registry.changed(fed.urls, factcheck_url(fed.urls, fc.uuid))
    if status == "approved":
        await rematch_recent(fed.urls, factcheck_url(fed.urls, fc.uuid))  # the new language may match stories
    return row
