"""Read side of fact-checks for the API and the CLI: ours and partners', with verdicts and endorsements."""

from __future__ import annotations

from typing import Any

from federation.vocab import LocalUrls, iso
from node.factchecks.documents import factcheck_url, languages_of
from node.factchecks.endorsements import endorsements_of
from node.factchecks.models import FactCheck, FactCheckTranslation, WireFactCheck
from schemas.factcheck import VERDICTS, rating

__all__ = ["factcheck_json", "list_factchecks", "wire_factcheck_json"]


def factcheck_json(urls: LocalUrls, fc: FactCheck, translations: list[FactCheckTranslation],
                   endorsements: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """One of our fact-checks as the API shows it."""
    claims, explanations = languages_of(fc, translations)
    return {
        "id": fc.uuid, "url": factcheck_url(urls, fc.uuid), "origin": "local", "state": fc.state,
        "verdict": fc.verdict, "label": VERDICTS[fc.verdict].label, "rating": rating(fc.verdict),
        "claim": {"text": fc.claim_text, "language": fc.claim_language, "urls": fc.claim_urls,
                  "accounts": fc.claim_accounts,
                  "first_seen": fc.claim_first_seen.isoformat() if fc.claim_first_seen else None,
                  "media": fc.claim_media},
        "language": fc.language, "claims": claims, "explanation": explanations, "evidence": fc.evidence,
        "media": fc.media or [], "urgency": fc.urgency, "urgent": fc.urgent, "version": fc.version,
        "correction_note": fc.correction_note or None,
        "translations": [{"language": t.language, "status": t.status, "translator": t.translator,
                          "reviewer": t.reviewer or None} for t in translations],
        "published": iso(fc.published_at), "updated": iso(fc.updated_at) if fc.updated_at else None,
        "withdrawn": iso(fc.withdrawn_at) if fc.withdrawn_at else None, "withdraw_reason": fc.withdraw_reason,
        "endorsements": len(endorsements or []), "endorsed_by": endorsements or [],
    }


def wire_factcheck_json(row: WireFactCheck, endorsements: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A partner's fact-check as the API shows it."""
    verdict = VERDICTS.get(row.verdict)
    return {
        "id": row.uri, "url": row.url or row.uri, "origin": row.actor.uri, "agency": row.actor.handle,
        "agency_name": row.actor.name, "state": row.state, "verdict": row.verdict,
        "label": verdict.label if verdict else row.verdict, "headline": row.headline,
        "claim": {"text": row.claim_text, "language": row.claim_language, "urls": row.claim_urls},
        "claims": row.claims, "explanation": row.explanations, "urgency": row.urgency,
        "urgent": row.urgency is not None and row.urgency <= 2,
        "proof": {"status": row.proof_status or "unchecked", "key_id": row.proof_key_id or None},
        "revision": row.revision, "published": iso(row.published_at) if row.published_at else None,
        "updated": iso(row.updated_at) if row.updated_at else None, "received": iso(row.received_at),
        "withdrawn": iso(row.withdrawn_at) if row.withdrawn_at else None, "withdraw_reason": row.withdraw_reason,
        "endorsements": len(endorsements or []), "endorsed_by": endorsements or [],
    }


async def own_json(urls: LocalUrls, fc: FactCheck) -> dict[str, Any]:
    """One of our fact-checks with its translations and endorsements."""
    translations = list(await FactCheckTranslation.filter(factcheck_id=fc.id).order_by("language"))
    url = factcheck_url(urls, fc.uuid)
    return factcheck_json(urls, fc, translations, (await endorsements_of([url]))[url])


async def list_factchecks(urls: LocalUrls, *, origin: str = "local", limit: int = 50,
                          include_withdrawn: bool = False, urgent: bool = False) -> list[dict[str, Any]]:
    """Fact-checks newest first: ours (`origin` ``local``), every partner's (``wire``), one partner's (its actor
    URI or handle), or all of them (``all``); with `urgent`, only urgent ones (IPTC urgency 1 or 2, or marked
    urgent): the alerts a desk shows."""
    out: list[dict[str, Any]] = []
    if origin in ("local", "all"):
        query = FactCheck.all() if include_withdrawn else FactCheck.filter(state="published")
        if urgent:
            query = query.filter(urgent=True)
        own = list(await query.order_by("-id").limit(limit))
        translations: dict[int, list[FactCheckTranslation]] = {}
        for t in await FactCheckTranslation.filter(factcheck_id__in=[f.id for f in own]).order_by("language"):
            translations.setdefault(t.factcheck_id, []).append(t)  # type: ignore[attr-defined]
        endorsed = await endorsements_of([factcheck_url(urls, f.uuid) for f in own])
        out += [factcheck_json(urls, f, translations.get(f.id, []), endorsed[factcheck_url(urls, f.uuid)])
                for f in own]
    if origin != "local":
        query = WireFactCheck.all() if include_withdrawn else WireFactCheck.filter(state="live")
        if urgent:
            query = query.filter(urgency__lte=2)
        if origin.startswith("http"):
            query = query.filter(actor__uri=origin)
        elif origin not in ("wire", "all"):
            user, _, host = origin.lstrip("@").partition("@")
            query = query.filter(actor__preferred_username=user, **({"actor__host": host} if host else {}))
        rows = list(await query.prefetch_related("actor").order_by("-id").limit(limit))
        endorsed = await endorsements_of([r.uri for r in rows])
        out += [wire_factcheck_json(r, endorsed[r.uri]) for r in rows]
    return out[:limit] if origin != "all" else sorted(out, key=lambda d: d["published"] or "", reverse=True)[:limit]
