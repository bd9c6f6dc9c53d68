"""The documents one of our fact-checks becomes: the Article partners and social readers get (with the schema.org
ClaimReview inside, `schemas.factcheck`), and its Tombstone once withdrawn."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from federation.vocab import AS_CONTEXT, LocalUrls, article, iso
from node.factchecks.models import FactCheck, FactCheckTranslation
from node.media import stock
from node.stories.documents import iso_ms, wire_context
from schemas.factcheck import (
    FACTCHECK_TERMS, claim_review, content_html, verdict_summary, verdict_title,
)
from schemas.lifecycle import TERMS

__all__ = ["factcheck_context", "factcheck_object", "factcheck_url", "languages_of", "tombstone"]


def factcheck_url(urls: LocalUrls, uuid: str) -> str:
    """Where one of our fact-checks lives (its id and its public page)."""
    return f"{urls.base_url}/factchecks/{uuid}"


def factcheck_context() -> list[Any]:
    """The story object context plus the fact-check terms, all inline (nothing to fetch)."""
    base, inline = wire_context()
    return [base, {**inline, **FACTCHECK_TERMS}]


def languages_of(fc: FactCheck, translations: list[FactCheckTranslation]) -> tuple[dict[str, str], dict[str, str]]:
    """The claim and the explanation per language: the original ones, then every approved translation."""
    claims = {fc.claim_language: fc.claim_text}
    explanations = dict(fc.explanation)
    for t in translations:
        if t.status == "approved":
            claims[t.language] = t.claim_text
            explanations[t.language] = t.explanation
    return claims, explanations


def _claim(urls: LocalUrls, fc: FactCheck) -> dict[str, Any]:
    return {"text": fc.claim_text, "language": fc.claim_language, "urls": list(fc.claim_urls or ()),
            "accounts": list(fc.claim_accounts or ()),
            "first_seen": fc.claim_first_seen.isoformat() if fc.claim_first_seen else None,
            "media": [stock.file_url(urls.base_url, sha) for sha in fc.claim_media or ()]}


def factcheck_object(urls: LocalUrls, username: str, agency_name: str, fc: FactCheck,
                     translations: list[FactCheckTranslation]) -> dict[str, Any]:
    """The Article of a fact-check: `name`/`summary` state the verdict in plain words in every language, `content`
    has the claim, verdict, explanation and evidence, and `claimReview` the structured review."""
    url = factcheck_url(urls, fc.uuid)
    claims, explanations = languages_of(fc, translations)
    language = fc.language

    def texts(lang: str) -> tuple[str, str, str]:
        claim = claims.get(lang, fc.claim_text)
        explanation = explanations[lang]
        return (verdict_title(fc.verdict, claim), verdict_summary(fc.verdict, explanation),
                content_html(claim=claim, verdict=fc.verdict, explanation=explanation, evidence=fc.evidence or (),
                             labels={}))

    name, summary, body = texts(language)
    obj = article(urls, username, uuid=fc.uuid, headline=name, summary_text=summary, body_html=body,
                  language=language, hashtags=["FactCheck"], canonical_url=None, published=fc.published_at,
                  updated=fc.updated_at, media=fc.media or ())
    obj["id"] = obj["url"] = url
    obj["@context"] = factcheck_context()
    for lang in explanations:
        if lang != language:
            obj["nameMap"][lang], obj["summaryMap"][lang], obj["contentMap"][lang] = texts(lang)
    obj["claimReview"] = claim_review(url=url, claim=_claim(urls, fc), verdict=fc.verdict, agency_name=agency_name,
                                      agency_url=urls.actor(username), published=fc.published_at,
                                      explanations=explanations, claims=claims, evidence=fc.evidence or ())
    obj["revision"] = fc.version
    if fc.urgency is not None:
        obj["urgency"] = fc.urgency
    if fc.correction_note:
        obj["correction"] = True
        obj["correctionNoteMap"] = {language: fc.correction_note}
    if fc.updated_at is not None:
        obj["updated"] = iso_ms(fc.updated_at)
    return obj


def tombstone(urls: LocalUrls, fc: FactCheck) -> dict[str, Any]:
    """What a withdrawn fact-check's URL serves with 410, and what its Delete carries."""
    doc: dict[str, Any] = {"@context": [AS_CONTEXT, TERMS], "id": factcheck_url(urls, fc.uuid),
                           "type": "Tombstone", "formerType": "Article",
                           "deleted": iso(fc.withdrawn_at or datetime.now(timezone.utc))}
    if fc.withdraw_reason:
        doc["killReason"] = fc.withdraw_reason
    return doc
