"""The public page of a fact-check: the verdict in plain words, the claim and where it appeared, the explanation
and evidence in the chosen language, and the schema.org ClaimReview JSON-LD that search engines and fact-check
aggregators read. (Uses the story pages' shell, `node.web.pages.page_shell`, read-only.)"""

from __future__ import annotations

import html
from typing import Any

from federation.vocab import LocalUrls
from node.factchecks.documents import factcheck_url, languages_of
from node.factchecks.models import FactCheck, FactCheckTranslation
from node.web.pages import page_shell
from schemas.factcheck import json_ld_script, public_claim_review, verdict_label, verdict_title

__all__ = ["claim_review_of", "factcheck_page", "withdrawn_page"]


def claim_review_of(urls: LocalUrls, username: str, agency_name: str, fc: FactCheck, language: str) -> dict[str, Any]:
    """The ClaimReview JSON-LD of a fact-check's page in `language`."""
    claim = {"text": fc.claim_text, "language": fc.claim_language, "urls": fc.claim_urls or [],
             "accounts": fc.claim_accounts or [],
             "first_seen": fc.claim_first_seen.isoformat() if fc.claim_first_seen else None}
    return public_claim_review(url=factcheck_url(urls, fc.uuid), claim=claim, verdict=fc.verdict,
                               agency_name=agency_name, agency_url=urls.actor(username),
                               published=fc.published_at, language=language,
                               headline=verdict_title(fc.verdict, fc.claim_text))


def factcheck_page(urls: LocalUrls, username: str, agency_name: str, fc: FactCheck,
                   translations: list[FactCheckTranslation], *, language: str = "") -> str:
    """The HTML page (``?lang=`` picks one of the fact-check's languages; its own language otherwise)."""
    claims, explanations = languages_of(fc, translations)
    lang = language if language in explanations else fc.language
    claim = claims.get(lang, fc.claim_text)
    e = html.escape
    parts = [f"<main><p>{e(agency_name)} · fact-check</p>",
             f'<h1>Verdict: <strong class="verdict verdict-{e(fc.verdict)}">{e(verdict_label(fc.verdict))}</strong>'
             "</h1>", f"<h2>Claim</h2><blockquote>{e(claim)}</blockquote>"]
    if fc.claim_urls:
        parts.append("<p>Where it appeared:</p><ul>" + "".join(
            f'<li><a href="{e(u)}" rel="nofollow ugc">{e(u)}</a></li>' for u in fc.claim_urls) + "</ul>")
    if fc.claim_accounts:
        parts.append("<p>Spread by: " + ", ".join(e(a) for a in fc.claim_accounts) + "</p>")
    parts.append("<h2>Why</h2>" + "".join(f"<p>{e(p)}</p>" for p in explanations[lang].split("\n\n") if p.strip()))
    if fc.evidence:
        parts.append("<h2>Evidence</h2><ul>" + "".join(
            f'<li><a href="{e(u)}">{e(u)}</a></li>' for u in fc.evidence) + "</ul>")
    if fc.correction_note:
        parts.append(f'<p class="correction"><strong>Correction:</strong> {e(fc.correction_note)}</p>')
    others = [lg for lg in explanations if lg != lang]
    if others:
        parts.append("<nav><ul>" + "".join(f'<li><a href="?lang={e(lg)}" hreflang="{e(lg)}">{e(lg)}</a></li>'
                                            for lg in others) + "</ul></nav>")
    parts.append("</main>")
    head = json_ld_script(claim_review_of(urls, username, agency_name, fc, lang))
    return page_shell(verdict_title(fc.verdict, claim), "".join(parts), lang, extra_head=head)


def withdrawn_page(fc: FactCheck) -> str:
    """What a withdrawn fact-check's URL shows a reader (with HTTP 410)."""
    reason = f"<p>{html.escape(fc.withdraw_reason)}</p>" if fc.withdraw_reason else ""
    return page_shell("Fact-check withdrawn", f"<main><h1>This fact-check was withdrawn</h1>{reason}</main>")
