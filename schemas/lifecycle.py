"""The life of a story on the wire: our JSON-LD terms, revision hashes, correction notes, subjects, urgency, embargo.

Pure: plain values in, JSON-ready values out. The terms are ours (namespace `NS`) and travel as inline term
definitions inside `@context` (INTEROP.md: peers that process JSON-LD cannot fetch unknown contexts), so a
Mastodon server ignores them and an agency node reads them:

| term | on | meaning |
| --- | --- | --- |
| `revision` | Article | revision number of the story (1 = first publication) |
| `contentHash` | Article | `sha256:` + hex digest of the canonical JSON of the revision's fields |
| `revisions` | Article | URL of the story's revision history (an OrderedCollection) |
| `correction` | Article | true when this revision is a correction |
| `correctionNoteMap` | Article | the correction notes, one per language (also shown in `content`/`contentMap`) |
| `urgency` | Article | IPTC urgency 1 (highest) to 9 |
| `subject` | Article | IPTC Media Topics: `{"id": URI, "code": "medtop:...", "name": ...}` |
| `embargoedUntil` | Article | sent only to trusted partners before release: hold it until then |
| `killReason` | Delete, Tombstone | why the story was retracted (also in the Delete's `summary`) |
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from schemas.labels import english_stands_in, label

NS = "https://agency-node.org/ns#"
MEDIATOPIC_BASE = "http://cv.iptc.org/newscodes/mediatopic/"

# Inline JSON-LD term definitions for our terms (added to the @context of objects and activities we send).
TERMS: dict[str, Any] = {
    "an": NS,
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "revision": {"@id": "an:revision", "@type": "xsd:integer"},
    "contentHash": "an:contentHash",
    "revisions": {"@id": "an:revisions", "@type": "@id"},
    "correction": {"@id": "an:correction", "@type": "xsd:boolean"},
    "correctionNoteMap": {"@id": "an:correctionNote", "@container": "@language"},
    "urgency": {"@id": "an:urgency", "@type": "xsd:integer"},
    "subject": {"@id": "an:subject", "@container": "@set"},
    "code": "an:code",
    "embargoedUntil": {"@id": "an:embargoedUntil", "@type": "xsd:dateTime"},
    "killReason": "an:killReason",
}

# The 17 top-level IPTC Media Topics (English labels), used to name a subject given by code only.
TOP_MEDIA_TOPICS: dict[str, str] = {
    "medtop:01000000": "arts, culture, entertainment and media",
    "medtop:02000000": "crime, law and justice",
    "medtop:03000000": "disaster, accident and emergency incident",
    "medtop:04000000": "economy, business and finance",
    "medtop:05000000": "education",
    "medtop:06000000": "environment",
    "medtop:07000000": "health",
    "medtop:08000000": "human interest",
    "medtop:09000000": "labour",
    "medtop:10000000": "lifestyle and leisure",
    "medtop:11000000": "politics",
    "medtop:12000000": "religion",
    "medtop:13000000": "science and technology",
    "medtop:14000000": "society",
    "medtop:15000000": "sport",
    "medtop:16000000": "conflict, war and peace",
    "medtop:17000000": "weather",
}

_MEDTOP = re.compile(r"^medtop:(\d{8})$")
CORRECTION_CLASS = "correction"


class LifecycleError(ValueError):
    """A lifecycle value (subject, urgency, correction note) is not acceptable; the message says why."""


def iso(dt: datetime) -> str:
    """RFC 3339 UTC with a Z and no microseconds (as federation.vocab.iso, kept here to stay pure)."""
    return dt.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 timestamp as an aware datetime, or None when absent or malformed."""
    if not isinstance(value, str) or not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


# -- revisions -----------------------------------------------------------------------------------------------------

def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8. For the strings, integers, booleans, lists and objects we hash this is
    byte-identical to RFC 8785 (JCS), which differs only in how it writes floating-point numbers."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def content_hash(fields: Mapping[str, Any]) -> str:
    """`sha256:<hex>` of the canonical JSON of a revision's fields."""
    return "sha256:" + hashlib.sha256(canonical_json(dict(fields))).hexdigest()


def correction_html(note: str, language: str = "en") -> str:
    """The visible correction paragraph appended to a story's body in `language`, labelled in that language
    (schemas/labels.py; an English label is marked as such)."""
    text, text_language = label("correction", language)
    marked = ' lang="en"' if english_stands_in(text_language, language) else ""
    return (f'<p class="{CORRECTION_CLASS}"><strong{marked}>{html.escape(text)}:</strong> '
            f'{html.escape(note, quote=False)}</p>')


def clean_correction_note(note: Mapping[str, Any] | None, languages: Iterable[str]) -> dict[str, str]:
    """A correction note per language; every language of the story must have one. Raises LifecycleError."""
    if not note:
        return {}
    if not isinstance(note, Mapping):
        raise LifecycleError("correction_note must map each language of the story to its note")
    cleaned = {str(k): str(v).strip() for k, v in note.items() if str(v).strip()}
    missing = [lang for lang in languages if lang not in cleaned]
    if missing:
        raise LifecycleError(f"the correction note is missing for language(s): {', '.join(missing)}")
    return cleaned


# -- subjects and urgency ------------------------------------------------------------------------------------------

def subject(code_or_uri: str, name: str = "") -> dict[str, str]:
    """One Media Topic subject from `medtop:NNNNNNNN` or its cv.iptc.org URI; named from the top-level table
    when no name is given. Raises LifecycleError for anything else."""
    value = code_or_uri.strip()
    if value.startswith(MEDIATOPIC_BASE):
        value = "medtop:" + value[len(MEDIATOPIC_BASE):].strip("/")
    match = _MEDTOP.match(value)
    if not match:
        raise LifecycleError(f"{code_or_uri!r} is not an IPTC Media Topic (medtop:NNNNNNNN)")
    return {"code": value, "name": (name or TOP_MEDIA_TOPICS.get(value, "")).strip()[:200],
            "uri": MEDIATOPIC_BASE + match.group(1)}


def clean_subjects(items: Iterable[Any]) -> list[dict[str, str]]:
    """Subjects given as codes or `{code|uri, name}` objects, deduplicated by code, order kept."""
    out: dict[str, dict[str, str]] = {}
    for item in items:
        if isinstance(item, str):
            s = subject(item)
        elif isinstance(item, Mapping):
            s = subject(str(item.get("code") or item.get("uri") or item.get("id") or ""), str(item.get("name") or ""))
        else:
            raise LifecycleError(f"a subject must be a medtop code or an object, not {item!r}")
        out.setdefault(s["code"], s)
    return list(out.values())


def clean_urgency(value: Any) -> int | None:
    """IPTC urgency: an integer 1 (flash) to 9 (lowest), or None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        raise LifecycleError(f"urgency must be an integer from 1 to 9, not {value!r}")
    if not 1 <= int(value) <= 9:
        raise LifecycleError(f"urgency must be from 1 to 9, not {value}")
    return int(value)


# -- what we send ---------------------------------------------------------------------------------------------------

def decorate_article(obj: dict[str, Any], *, revision: int, hash_: str, revisions_url: str,
                     corrections: list[Mapping[str, str]], correction: bool, urgency: int | None,
                     subjects: list[Mapping[str, str]], embargoed_until: datetime | None) -> dict[str, Any]:
    """Add our terms to an Article, and the correction notes (oldest first) to `content` and every `contentMap`
    entry, so a correction is visible in every language even to servers that ignore our terms."""
    obj = dict(obj)
    obj["revision"] = revision
    obj["contentHash"] = hash_
    obj["revisions"] = revisions_url
    if corrections:
        cmap = dict(obj.get("contentMap") or {})
        for lang in list(cmap):
            cmap[lang] = str(cmap[lang]) + "".join(correction_html(n[lang], lang) for n in corrections
                                                   if n.get(lang))
        if cmap:
            obj["contentMap"] = cmap
            obj["content"] = next(iter(cmap.values())) if "content" in obj else obj.get("content")
    if correction and corrections:
        obj["correction"] = True
        obj["correctionNoteMap"] = dict(corrections[-1])
    if urgency is not None:
        obj["urgency"] = urgency
    if subjects:
        obj["subject"] = [{"id": s["uri"], "code": s["code"], "name": s.get("name", "")} for s in subjects]
    if embargoed_until is not None:
        obj["embargoedUntil"] = iso(embargoed_until)
    return obj


# -- what we receive ------------------------------------------------------------------------------------------------

def _text_map(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k)[:35]: html.unescape(re.sub(r"<[^>]*>", "", str(v)))[:2000] for k, v in value.items()
            if isinstance(v, str)}


def received_terms(obj: Mapping[str, Any]) -> dict[str, Any]:
    """Our terms read from a received object, each checked and bounded (a peer's bad value is dropped, not kept)."""
    out: dict[str, Any] = {}
    rev = obj.get("revision")
    out["revision"] = rev if isinstance(rev, int) and not isinstance(rev, bool) and rev > 0 else None
    h = obj.get("contentHash")
    out["content_hash"] = h[:80] if isinstance(h, str) and h.startswith("sha256:") else ""
    out["correction"] = obj.get("correction") is True
    out["correction_note"] = _text_map(obj.get("correctionNoteMap")) if out["correction"] else {}
    try:
        out["urgency"] = clean_urgency(obj.get("urgency"))
    except LifecycleError:
        out["urgency"] = None
    subjects: list[dict[str, str]] = []
    raw = obj.get("subject")
    for item in (raw if isinstance(raw, list) else [raw] if isinstance(raw, Mapping) else [])[:50]:
        try:
            subjects += clean_subjects([item])
        except LifecycleError:
            continue
    out["subjects"] = subjects
    out["embargoed_until"] = parse_time(obj.get("embargoedUntil"))
    return out


def kill_reason(activity: Mapping[str, Any]) -> str | None:
    """The kill reason of a Delete (our term, else its `summary`), or None when it carries none."""
    obj = activity.get("object")
    for value in (activity.get("killReason"), obj.get("killReason") if isinstance(obj, Mapping) else None,
                  activity.get("summary")):
        if isinstance(value, str) and value.strip():
            return html.unescape(re.sub(r"<[^>]*>", "", value)).strip()[:2000]
    return None
