"""Fact-checks: the verdict scale, the editor's input, and the documents a fact-check becomes (pure).

The verdict scale is fixed and ordered from the worst to the best rating of the claim as stated; each verdict
maps to a schema.org `Rating` (`reviewRating` of a `ClaimReview`): `ratingValue` is its place on the scale,
`worstRating` 1, `bestRating` 5, and `alternateName` the verdict in plain words, which is what fact-check readers
(search engines, aggregators) show.

| verdict | ratingValue | alternateName | meaning |
| --- | --- | --- | --- |
| `false` | 1 | False | the claim is wrong |
| `misleading` | 2 | Misleading | true elements, put together to give a false impression |
| `missing-context` | 3 | Missing context | accurate as far as it goes, but leaves out what changes its meaning |
| `unproven` | 4 | Unproven | no evidence either way that holds up yet |
| `true` | 5 | True | the claim is accurate |

On the wire a fact-check is an `Article` (Mastodon shows its `name` and `summary`, which state the verdict in
plain words) carrying `claimReview`: a schema.org `ClaimReview` in schema.org terms, defined inline in the
`@context` with a scoped context (never fetched), plus our own terms (namespace `schemas.lifecycle.NS`):

| term | on | meaning |
| --- | --- | --- |
| `claimReview` | Article | the structured review (schema.org ClaimReview) |
| `verdict` | ClaimReview, Rating | the verdict's code on the scale above |
| `claimMap` | ClaimReview | the claim's text per language (the original and approved translations) |
| `explanationMap` | ClaimReview | the explanation per language |
| `account` | Claim | accounts (handles or profile URLs) that spread the claim |
| `endorsementCount` | ClaimReview | partner agencies that endorsed this check (informative; see `Endorse`) |
| `Endorse` | activity | a partner agency vouches for a fact-check (`object`: its id), signed with a proof |
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from schemas.editor import validate_language
from schemas.lifecycle import NS

__all__ = ["FACTCHECK_TERMS", "FactCheckInputSchema", "VERDICTS", "Verdict", "claim_review", "normalize_url",
           "public_claim_review", "rating", "verdict_label", "verdict_summary", "verdict_title"]

SCHEMA = "http://schema.org/"
BEST_RATING, WORST_RATING = 5, 1
# The genre a fact-check carries in ninjs. The IPTC Genre NewsCodes we could read (the 2021-05-10 list) name no
# fact-check genre, so ours is used until IPTC adds one (docs/FACTCHECKS.md).
FACTCHECK_GENRE = {"uri": NS + "FactCheck", "name": "Fact check"}


class Verdict:
    """One point of the scale."""

    def __init__(self, code: str, value: int, label: str, meaning: str) -> None:
        self.code, self.value, self.label, self.meaning = code, value, label, meaning


VERDICTS: dict[str, Verdict] = {v.code: v for v in (
    Verdict("false", 1, "False", "the claim is wrong"),
    Verdict("misleading", 2, "Misleading", "true elements put together to give a false impression"),
    Verdict("missing-context", 3, "Missing context", "accurate as far as it goes, but leaves out what changes "
                                                     "its meaning"),
    Verdict("unproven", 4, "Unproven", "no evidence either way that holds up yet"),
    Verdict("true", 5, "True", "the claim is accurate"),
)}

_SCOPED = {
    "@vocab": SCHEMA,
    "name": SCHEMA + "name",
    "url": {"@id": SCHEMA + "url", "@type": "@id"},
    "author": SCHEMA + "author",
    "image": {"@id": SCHEMA + "image", "@type": "@id"},
    "appearance": {"@id": SCHEMA + "appearance", "@type": "@id"},
    "citation": {"@id": SCHEMA + "citation", "@type": "@id"},
    "verdict": NS + "verdict",
    "claimMap": {"@id": NS + "claim", "@container": "@language"},
    "explanationMap": {"@id": NS + "explanation", "@container": "@language"},
    "account": {"@id": NS + "account", "@container": "@set"},
    "endorsementCount": {"@id": NS + "endorsementCount", "@type": "http://www.w3.org/2001/XMLSchema#integer"},
}
# Inline term definitions added to the object context of a fact-check (the ClaimReview's own terms are schema.org
# ones, through the scoped context of `claimReview`, so that `name`/`url` inside it are schema.org's, not AS2's).
FACTCHECK_TERMS: dict[str, Any] = {
    "claimReview": {"@id": NS + "claimReview", "@context": _SCOPED},
    "Endorse": NS + "Endorse",
}


def verdict_label(code: str) -> str:
    """The verdict in plain words (``missing-context`` -> ``Missing context``)."""
    return VERDICTS[code].label


def verdict_title(code: str, claim: str, limit: int = 140) -> str:
    """The Article's `name`: the verdict first, in plain words, then the claim (shortened)."""
    claim = " ".join(claim.split())
    if len(claim) > limit:
        claim = claim[: limit - 1].rstrip() + "…"
    return f"Fact-check: {verdict_label(code)}. Claim: “{claim}”"


def verdict_summary(code: str, explanation: str, limit: int = 400) -> str:
    """The Article's `summary`: the verdict and the explanation's opening (Mastodon readers see this)."""
    text = " ".join(explanation.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return f"Verdict: {verdict_label(code)}. {text}".strip()


def rating(code: str) -> dict[str, Any]:
    """The schema.org Rating of a verdict."""
    v = VERDICTS[code]
    return {"type": "Rating", "ratingValue": v.value, "bestRating": BEST_RATING, "worstRating": WORST_RATING,
            "alternateName": v.label, "verdict": v.code}


def _iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return dt.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _item_reviewed(claim: Mapping[str, Any], type_key: str) -> dict[str, Any]:
    item: dict[str, Any] = {type_key: "Claim"}
    appearances = [{type_key: "CreativeWork", "url": u} for u in claim.get("urls") or ()]
    if appearances:
        item["appearance"] = appearances
        item["firstAppearance"] = appearances[0]
    if claim.get("first_seen"):
        item["datePublished"] = claim["first_seen"]
    if claim.get("language"):
        item["inLanguage"] = claim["language"]
    accounts = list(claim.get("accounts") or ())
    if accounts:
        item["author"] = [{type_key: "Person", ("url" if a.startswith("http") else "name"): a} for a in accounts]
    if claim.get("media"):
        item["image"] = [m for m in claim["media"]]
    return item


def claim_review(*, url: str, claim: Mapping[str, Any], verdict: str, agency_name: str, agency_url: str,
                 published: datetime, explanations: Mapping[str, str], claims: Mapping[str, str],
                 evidence: Iterable[str] = (), endorsements: int | None = None) -> dict[str, Any]:
    """The `claimReview` member of a fact-check's Article (schema.org terms via the scoped context).

    `claim` holds ``text``, ``language``, ``urls``, ``accounts``, ``first_seen`` (ISO date) and ``media`` (URLs);
    `claims` and `explanations` map each language to its text (the original first)."""
    review: dict[str, Any] = {
        "type": "ClaimReview", "url": url, "claimReviewed": claim["text"],
        "datePublished": _iso(published), "reviewRating": rating(verdict), "verdict": verdict,
        "author": {"type": "Organization", "name": agency_name, "url": agency_url},
        "itemReviewed": _item_reviewed(claim, "type"),
        "claimMap": dict(claims), "explanationMap": dict(explanations),
    }
    if claim.get("accounts"):
        review["itemReviewed"]["account"] = list(claim["accounts"])
    cited = list(evidence)
    if cited:
        review["citation"] = cited
    if endorsements is not None:
        review["endorsementCount"] = endorsements
    return review


def public_claim_review(*, url: str, claim: Mapping[str, Any], verdict: str, agency_name: str, agency_url: str,
                        published: datetime, language: str, headline: str) -> dict[str, Any]:
    """The ClaimReview JSON-LD a fact-check's public page embeds, as search engines and fact-check aggregators
    read it (plain schema.org context)."""
    v = VERDICTS[verdict]
    return {
        "@context": "https://schema.org", "@type": "ClaimReview", "url": url, "headline": headline,
        "claimReviewed": claim["text"], "datePublished": _iso(published), "inLanguage": language,
        "author": {"@type": "Organization", "name": agency_name, "url": agency_url},
        "reviewRating": {"@type": "Rating", "ratingValue": v.value, "bestRating": BEST_RATING,
                         "worstRating": WORST_RATING, "alternateName": v.label},
        "itemReviewed": _item_reviewed(claim, "@type"),
    }


def json_ld_script(doc: Mapping[str, Any]) -> str:
    """A `<script type="application/ld+json">` element that cannot be closed early by the data inside it."""
    import json

    body = json.dumps(doc, ensure_ascii=False, indent=1).replace("</", "<\\/")
    return f'<script type="application/ld+json">{body}</script>'


def content_html(*, claim: str, verdict: str, explanation: str, evidence: Iterable[str], labels: Mapping[str, str]
                 ) -> str:
    """The Article's `content` in one language: the claim, the verdict, the explanation, the evidence links."""
    parts = [f"<p><strong>{html.escape(labels.get('claim', 'Claim'))}:</strong> {html.escape(claim)}</p>",
             f"<p><strong>{html.escape(labels.get('verdict', 'Verdict'))}: {html.escape(verdict_label(verdict))}"
             "</strong></p>"]
    parts += [f"<p>{html.escape(p)}</p>" for p in explanation.split("\n\n") if p.strip()]
    links = [u for u in evidence]
    if links:
        items = "".join(f'<li><a href="{html.escape(u)}">{html.escape(u)}</a></li>' for u in links)
        parts.append(f"<p>{html.escape(labels.get('evidence', 'Evidence'))}:</p><ul>{items}</ul>")
    return "".join(parts)


# -- URLs ---------------------------------------------------------------------------------------------------------

_TRACKING = re.compile(r"^(utm_.*|fbclid|gclid|mc_cid|mc_eid|igshid|si|ref|ref_src|s)$", re.I)


def normalize_url(url: str) -> str:
    """A URL in the form two spellings of the same page share: lower-case scheme and host, no `www.`, no default
    port, no fragment, no tracking parameters, sorted query, no trailing slash; http and https are one.
    Returns "" for what is not an http(s) URL."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ""
    host = parts.hostname.lower()
    if host.startswith("www."):
        host = host[4:]
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k))
    path = parts.path.rstrip("/") or ""
    return urlunsplit(("https", host, path, urlencode(query), ""))


# -- input --------------------------------------------------------------------------------------------------------

def _http_url(value: str) -> None:
    if not normalize_url(value):
        raise ValidationError("must be an absolute http(s) URL")


class ClaimSchema(Schema):
    """The claim: what was said, in which language, where and by whom it appeared, when it was first seen."""

    class Meta:
        unknown = RAISE

    text = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    language = fields.String(required=True, validate=validate_language)
    urls = fields.List(fields.String(validate=_http_url), load_default=list, validate=validate.Length(max=50))
    accounts = fields.List(fields.String(validate=validate.Length(min=1, max=300)), load_default=list,
                           validate=validate.Length(max=50))
    first_seen = fields.Date(load_default=None, allow_none=True)
    media = fields.List(fields.String(validate=validate.Regexp(r"^[0-9a-fA-F]{64}$")), load_default=list,
                        validate=validate.Length(max=20))


class FactCheckInputSchema(Schema):
    """A new fact-check (claim, verdict, explanation required) or, with `partial=True`, the fields of a
    correction."""

    class Meta:
        unknown = RAISE

    claim = fields.Nested(ClaimSchema, required=True)
    verdict = fields.String(required=True, validate=validate.OneOf(list(VERDICTS),
                                                                    error="must be one of: {choices}"))
    # The explanation per language (BCP 47 tag -> text); the claim's language need not be among them.
    explanation = fields.Dict(keys=fields.String(validate=validate_language),
                              values=fields.String(validate=validate.Length(min=1, max=50_000)), required=True,
                              validate=validate.Length(min=1))
    language = fields.String(load_default=None, allow_none=True, validate=validate_language)
    evidence = fields.List(fields.String(validate=_http_url), load_default=list, validate=validate.Length(max=50))
    media = fields.List(fields.String(validate=validate.Regexp(r"^[0-9a-fA-F]{64}$")), load_default=list,
                        validate=validate.Length(max=20))
    urgency = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=9))
    urgent = fields.Boolean(load_default=False)
    correction_note = fields.String(load_default="", validate=validate.Length(max=2000))

    @validates_schema
    def _language_has_explanation(self, data: dict[str, Any], **_: Any) -> None:
        lang = data.get("language")
        if lang and data.get("explanation") and lang not in data["explanation"]:
            raise ValidationError(f"the explanation has no {lang} text", "language")


class TranslationInputSchema(Schema):
    """A fact-check in another language: the claim's text and the explanation there."""

    class Meta:
        unknown = RAISE

    language = fields.String(required=True, validate=validate_language)
    claim = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    explanation = fields.String(required=True, validate=validate.Length(min=1, max=50_000))
    translator = fields.String(load_default="", validate=validate.Length(max=200))
