"""Fact-checks as IPTC ninjs 3.x, out and in, with the claim review in the `claimReview` extension
(docs/FACTCHECKS.md).

The core ninjs fields carry what any newsroom system shows: the verdict in the headline, the claim and the verdict
as `descriptions` (roles ``claim`` and ``verdict``), the explanation as the body, `urgency`, `pubStatus`, and the
fact-check genre. The IPTC schema allows no unknown top-level property (``unevaluatedProperties: false``), so a
strict validator must set `claimReview` aside first; everything else validates as it is.
"""

from __future__ import annotations

from typing import Any, Mapping

from federation.context import Federation
from federation.vocab import LocalUrls, iso
from node.factchecks import publishing
from node.factchecks.documents import factcheck_url, languages_of
from node.factchecks.errors import FactCheckError
from node.factchecks.models import FactCheck, FactCheckTranslation
from node.web.api import load_input
from node.web.problems import ProblemError
from schemas.factcheck import (
    FACTCHECK_GENRE, FactCheckInputSchema, VERDICTS, content_html, rating, verdict_label, verdict_title,
)

__all__ = ["EXTENSION", "NinjsError", "export", "import_ninjs"]

EXTENSION = "claimReview"


class NinjsError(ValueError):
    """A ninjs document cannot be imported as a fact-check; the message says why."""


async def export(urls: LocalUrls, username: str, agency_name: str, fc: FactCheck) -> dict[str, Any]:
    """One of our fact-checks as ninjs 3.x with the `claimReview` extension."""
    translations = list(await FactCheckTranslation.filter(factcheck_id=fc.id, status="approved"))
    claims, explanations = languages_of(fc, translations)
    explanation = explanations[fc.language]
    doc: dict[str, Any] = {
        "uri": factcheck_url(urls, fc.uuid), "type": "text", "version": str(fc.version),
        "firstCreated": iso(fc.published_at), "versionCreated": iso(fc.updated_at or fc.published_at),
        "pubStatus": "canceled" if fc.state == "withdrawn" else "usable", "language": fc.language,
        "headlines": [{"role": "main", "value": verdict_title(fc.verdict, claims.get(fc.language, fc.claim_text))}],
        "descriptions": [{"role": "verdict", "value": verdict_label(fc.verdict)},
                         {"role": "claim", "value": fc.claim_text}],
        "bodies": [{"role": "main", "contentType": "text/html",
                    "value": content_html(claim=claims.get(fc.language, fc.claim_text), verdict=fc.verdict,
                                          explanation=explanation, evidence=fc.evidence or (), labels={})}],
        "genres": [dict(FACTCHECK_GENRE)], "by": agency_name,
        EXTENSION: {
            "verdict": fc.verdict, "reviewRating": rating(fc.verdict),
            "claim": {"text": fc.claim_text, "language": fc.claim_language, "urls": fc.claim_urls or [],
                      "accounts": fc.claim_accounts or [],
                      "firstSeen": fc.claim_first_seen.isoformat() if fc.claim_first_seen else None},
            "claims": claims, "explanations": explanations, "evidence": fc.evidence or [],
            "urgent": fc.urgent,
        },
    }
    if fc.urgency is not None:
        doc["urgency"] = fc.urgency
    if fc.state == "withdrawn" and fc.withdraw_reason:
        doc["edNote"] = fc.withdraw_reason
    return doc


def _input(doc: Mapping[str, Any]) -> dict[str, Any]:
    ext = doc.get(EXTENSION)
    if not isinstance(ext, Mapping):
        raise NinjsError(f"{EXTENSION}: missing; a fact-check's ninjs carries its claim review there")
    claim = ext.get("claim") if isinstance(ext.get("claim"), Mapping) else {}
    verdict = ext.get("verdict")
    if verdict not in VERDICTS:
        raise NinjsError(f"{EXTENSION}.verdict: must be one of {', '.join(VERDICTS)}")
    data = {"claim": {"text": claim.get("text", ""), "language": claim.get("language") or doc.get("language", ""),
                      "urls": list(claim.get("urls") or []), "accounts": list(claim.get("accounts") or []),
                      "first_seen": claim.get("firstSeen")},
            "verdict": verdict, "explanation": dict(ext.get("explanations") or {}),
            "language": doc.get("language"), "evidence": list(ext.get("evidence") or []),
            "urgency": doc.get("urgency"), "urgent": bool(ext.get("urgent"))}
    try:
        return load_input(FactCheckInputSchema(), data)
    except ProblemError as exc:
        raise NinjsError(exc.detail) from None


async def import_ninjs(fed: Federation, username: str, agency_name: str, doc: Any) -> tuple[FactCheck, str]:
    """A fact-check in ninjs: one of ours (by `uri`) is corrected, or withdrawn with pubStatus canceled; any other
    uri publishes a new one. Returns it and what was done (created, corrected, withdrawn)."""
    if not isinstance(doc, Mapping):
        raise NinjsError("the document is not a JSON object")
    uri = str(doc.get("uri") or "")
    prefix = factcheck_url(fed.urls, "")
    existing = await FactCheck.get_or_none(uuid=uri[len(prefix):]) if uri.startswith(prefix) else None
    if existing is not None and doc.get("pubStatus") == "canceled":
        return await publishing.withdraw(fed, username, existing.uuid, str(doc.get("edNote") or "")), "withdrawn"
    if doc.get("pubStatus") == "canceled":
        raise NinjsError("pubStatus canceled: no fact-check of ours has this uri")
    data = _input(doc)
    if existing is not None:
        try:
            return await publishing.correct(fed, username, agency_name, existing.uuid, data), "corrected"
        except FactCheckError:
            raise
    return await publishing.publish(fed, username, agency_name, data), "created"
