"""Per-language provenance of a story on the wire, in our own vocabulary (pure).

Between agency nodes an Article carries every approved language in `nameMap`, `summaryMap` and `contentMap`, and
a `languageProvenance` list saying, per language, whether it is the original or a translation, from which
language, by machine or by people, with which engine, which agency translated it, who reviewed it, and when.
Our terms are defined inline in the `@context` (`PROVENANCE_TERMS`) under `AGENCY_NS`: nothing to fetch.

A translation offered by a partner is its own object, linked to the story it translates with an FEP-e232 `Link`
tag whose `rel` is `TRANSLATION_OF_REL`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from schemas.languages import normalize_tag

__all__ = [
    "AGENCY_NS", "KINDS", "METHODS", "PROVENANCE_TERMS", "STATUSES", "TRANSITIONS", "TRANSLATION_OF_REL",
    "TranslationPolicy",
    "can_move", "parse_provenance", "provenance_record", "translation_link", "translation_of",
]

AGENCY_NS = "https://agency-node.org/ns#"
TRANSLATION_OF_REL = AGENCY_NS + "translationOf"
AS_MEDIA_TYPE = "application/activity+json"

KINDS = ("original", "translation")
# machine: an engine's output as it came; human: written by people; machine+human: an engine's output that a
# person then edited.
METHODS = ("machine", "human", "machine+human")
STATUSES = ("draft", "pending_review", "approved", "rejected")

# Review states and the moves between them (editing an approved translation keeps it approved: a correction).
TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"pending_review", "approved", "rejected"}),
    "pending_review": frozenset({"approved", "rejected", "pending_review"}),
    "approved": frozenset({"rejected", "approved"}),
    "rejected": frozenset({"pending_review", "approved"}),
}

PROVENANCE_TERMS: dict[str, Any] = {
    "agency": AGENCY_NS,
    "languageProvenance": {"@id": "agency:languageProvenance", "@container": "@set"},
    "LanguageVersion": "agency:LanguageVersion",
    "language": "agency:language",
    "kind": "agency:kind",
    "sourceLanguage": "agency:sourceLanguage",
    "method": "agency:method",
    "engine": "agency:engine",
    "translatedBy": {"@id": "agency:translatedBy", "@type": "@id"},
    "translator": "agency:translator",
    "reviewedBy": "agency:reviewedBy",
}


@dataclass(frozen=True)
class TranslationPolicy:
    """What the node's `[translation]` config decides, handed to the use-cases (they never read config)."""

    review_machine: bool = True  # machine output waits for review (True) or goes out at once, labelled machine
    max_body_chars: int = 500_000
    accept_offers: bool = True


def can_move(before: str, after: str) -> bool:
    """Whether review may move a translation from status `before` to `after`."""
    return after in TRANSITIONS.get(before, frozenset())


def provenance_record(*, language: str, kind: str, updated: str | None, source_language: str = "",
                      method: str = "", engine: str = "", translated_by: str = "", translator: str = "",
                      reviewed_by: str = "") -> dict[str, Any]:
    """One `languageProvenance` entry; empty members are left out."""
    record: dict[str, Any] = {"type": "LanguageVersion", "language": language, "kind": kind}
    for key, value in (("sourceLanguage", source_language), ("method", method), ("engine", engine),
                       ("translatedBy", translated_by), ("translator", translator), ("reviewedBy", reviewed_by),
                       ("updated", updated)):
        if value:
            record[key] = value
    return record


def _text(value: Any, limit: int) -> str:
    return str(value)[:limit] if isinstance(value, (str, int, float)) else ""


def parse_provenance(value: Any) -> dict[str, dict[str, str]]:
    """Provenance entries from a received object, by normalised language. Malformed entries are skipped;
    unknown kinds and methods are dropped to empty (we keep only words we understand)."""
    entries = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
    out: dict[str, dict[str, str]] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        try:
            language = normalize_tag(str(entry.get("language", "")))
        except ValueError:
            continue
        kind = entry.get("kind") if entry.get("kind") in KINDS else ""
        method = entry.get("method") if entry.get("method") in METHODS else ""
        try:
            source = normalize_tag(str(entry["sourceLanguage"])) if entry.get("sourceLanguage") else ""
        except ValueError:
            source = ""
        translated_by = entry.get("translatedBy")
        if isinstance(translated_by, dict):
            translated_by = translated_by.get("id")
        out[language] = {
            "kind": kind, "method": method, "source_language": source, "engine": _text(entry.get("engine"), 100),
            "translated_by": _text(translated_by, 512) if str(translated_by or "").startswith(("http://", "https://"))
            else "",
            "translator": _text(entry.get("translator"), 200), "reviewed_by": _text(entry.get("reviewedBy"), 200),
            "updated": _text(entry.get("updated"), 40),
        }
    return out


def translation_link(original_id: str) -> dict[str, Any]:
    """The FEP-e232 tag linking an offered translation to the story it translates."""
    return {"type": "Link", "rel": TRANSLATION_OF_REL, "mediaType": AS_MEDIA_TYPE, "href": original_id}


def _rels(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def translation_of(obj: dict[str, Any]) -> str | None:
    """The story an object says it translates (its FEP-e232 `translationOf` link), or None."""
    tags = obj.get("tag")
    for tag in tags if isinstance(tags, list) else [tags] if isinstance(tags, dict) else []:
        if isinstance(tag, dict) and tag.get("type") == "Link" and TRANSLATION_OF_REL in _rels(tag.get("rel")):
            href = tag.get("href")
            if isinstance(href, str) and href.startswith(("http://", "https://")):
                return href
    return None
