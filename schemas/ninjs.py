"""IPTC ninjs (News in JSON) for our stories: one story out as ninjs 3.x, ninjs 3.x or 2.x in as a story.

Pure: a story goes in as a plain mapping (`to_ninjs`), a ninjs document comes out as plain story fields
(`from_ninjs`); nothing here touches storage or the network. Documents are checked against IPTC's published JSON
Schema (ninjs 3.3 and 2.4, shipped in `schemas/iptc/`) with the `jsonschema` library before they are read.

Mapping (ninjs 3.x names; 2.x uses the same names in lower case and `embargoed` for `embargoedUntil`):

| ninjs | story |
| --- | --- |
| `uri` | the story's URL (its ActivityPub id) |
| `version` | the revision number, as a string |
| `firstCreated` / `versionCreated` | `published` / `updated` |
| `embargoedUntil` | `embargoed_until` |
| `pubStatus` | usable (published), withheld (under embargo), canceled (killed; the reason in `edNote`) |
| `urgency` | `urgency` (1-9) |
| `language`, `headlines[0]`, `descriptions[role=summary]`, `bodies[0]` | language, headline, summary, body (HTML) |
| `associations[rel=translation]` | the story in its other languages, one ninjs object each |
| `associations[rel=featuremedia/attachment]` | its lead image and other media, with renditions (`schemas.ninjs_media`) |
| `descriptions[role=correction]` | the correction notes, oldest first, in the story's language |
| `subjects` | IPTC Media Topics (`uri`, `literal` = `medtop:` code, `name`); hashtags as `rel: hashtag` |
| `altIds[role=canonical]` | the story's canonical page, when it has one |
| `trustIndicators` | the proof status (role `an:proof`) and the revision history (role `an:revisions`) |
"""

from __future__ import annotations

import html
import json
import re
from datetime import datetime, timezone
from functools import lru_cache
from importlib import resources
from typing import Any, Mapping

from schemas.lifecycle import NS, LifecycleError, clean_subjects, parse_time
from schemas.ninjs_media import media_associations

NINJS3_SCHEMA = "ninjs-schema_3.3.json"
NINJS2_SCHEMA = "ninjs-schema_2.4.json"
NINJS3_SCHEMA_URI = "http://www.iptc.org/std/ninjs/ninjs-schema_3.3.json#"
MEDIA_TYPE = "application/ninjs+json"
PROOF_ROLE = NS + "proof"
REVISIONS_ROLE = NS + "revisions"

_PUB_STATUS = {"published": "usable", "scheduled": "withheld", "deleted": "canceled"}
_SUMMARY_ROLES = (None, "", "summary", "abstract", "description", "teaser", "lead")

# ninjs 2.x names (lower case) -> 3.x names, at any depth; only names whose spelling differs are listed.
_V2_TO_V3 = {
    "representationtype": "representationType", "firstcreated": "firstCreated", "versioncreated": "versionCreated",
    "contentcreated": "contentCreated", "contentdigitised": "contentDigitised", "embargoed": "embargoedUntil",
    "pubstatus": "pubStatus", "copyrightholder": "copyrightHolder", "copyrightnotice": "copyrightNotice",
    "usageterms": "usageTerms", "ednote": "edNote", "contenttype": "contentType", "charcount": "charCount",
    "wordcount": "wordCount", "contactinfo": "contactInfo", "infosources": "infoSources", "altids": "altIds",
    "trustindicators": "trustIndicators", "rightsinfo": "rightsInfo", "digitalsourcetype": "digitalSourceType",
    "sizeinbytes": "sizeInBytes", "aspectratio": "aspectRatio", "videocodec": "videoCodec",
    "framerate": "frameRate", "transportprotocol": "transportProtocol", "scantype": "scanType",
    "symboltype": "symbolType", "postalcode": "postalCode", "geojson": "geoJSON", "langid": "langId",
    "linkedrights": "linkedRights", "encodedrights": "encodedRights",
}
_V3_ONLY = frozenset(_V2_TO_V3.values())


class NinjsError(ValueError):
    """A ninjs document cannot be imported; the message names the problem (and where it is)."""


# -- the IPTC schemas -----------------------------------------------------------------------------------------------

@lru_cache(maxsize=2)
def load_schema(name: str) -> dict[str, Any]:
    """One of the IPTC ninjs JSON Schemas shipped with the code (read once, on first use)."""
    return json.loads(resources.files("schemas").joinpath("iptc", name).read_text(encoding="utf-8"))


@lru_cache(maxsize=2)
def _validator(name: str) -> Any:
    from jsonschema import Draft202012Validator  # noqa: PLC0415 (only when a document is checked)
    from referencing import Registry  # noqa: PLC0415

    def _no_remote(uri: str) -> Any:
        # The schemas refer to GeoJSON's schema by URL; we never fetch anything at run time.
        raise NinjsError(f"places: geoJSON is not supported here (its schema {uri} is not fetched)")

    return Draft202012Validator(load_schema(name), registry=Registry(retrieve=_no_remote),
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_errors(doc: Any, name: str = NINJS3_SCHEMA) -> list[str]:
    """Every way `doc` fails the named IPTC schema, each as `path: message` (empty when it is valid)."""
    from referencing.exceptions import Unresolvable  # noqa: PLC0415

    try:
        errors = sorted(_validator(name).iter_errors(doc), key=lambda e: (len(e.path), list(map(str, e.path))))
    except (Unresolvable, NinjsError) as exc:
        cause = exc if isinstance(exc, NinjsError) else exc.__cause__ or exc
        return [str(cause)]
    return [f"{'/'.join(str(p) for p in e.path) or '(document)'}: {e.message}" for e in errors]


def ninjs_version(doc: Mapping[str, Any]) -> int:
    """3 for a ninjs 3.x document (camelCase), 2 for 2.x (lower case), from its `standard` or its member names."""
    standard = doc.get("standard")
    if isinstance(standard, Mapping) and isinstance(standard.get("version"), str):
        major = standard["version"].split(".", 1)[0]
        if major in ("2", "3"):
            return int(major)
    keys = set(doc)
    if keys & _V3_ONLY:
        return 3
    if keys & set(_V2_TO_V3):
        return 2
    return 3


# -- out ------------------------------------------------------------------------------------------------------------

def _iso(value: datetime | str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_time(value)
        if value is None:
            return None
    return value.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _text_parts(lang_view: Mapping[str, Any], corrections: list[Mapping[str, str]], lang: str) -> dict[str, Any]:
    out: dict[str, Any] = {"headlines": [{"value": str(lang_view.get("headline") or ""),
                                          "contentType": "text/plain"}]}
    descriptions = []
    if lang_view.get("summary"):
        descriptions.append({"role": "summary", "contentType": "text/plain", "value": str(lang_view["summary"])})
    descriptions += [{"role": "correction", "contentType": "text/plain", "value": n[lang]}
                     for n in corrections if n.get(lang)]
    if descriptions:
        out["descriptions"] = descriptions
    out["bodies"] = [{"contentType": "text/html", "value": str(lang_view.get("body_html") or "")}]
    return out


def to_ninjs(story: Mapping[str, Any]) -> dict[str, Any]:
    """A story as a ninjs 3.x document (valid against IPTC's 3.3 schema).

    `story` keys: uri, language, headline, summary, body_html, version, published, updated, state
    (published|scheduled|deleted), and optionally url, urgency, subjects, hashtags, embargoed_until, kill_reason,
    corrections (a list of {language: note}), translations ({language: {headline, summary, body_html}}),
    agency (the copyright holder's name), proof (a proof status such as "verified"), revisions_url, media (the
    story's stored media descriptions, lead image first; `schemas.ninjs_media`)."""
    uri = str(story["uri"])
    lang = str(story["language"])
    corrections = list(story.get("corrections") or [])
    state = str(story.get("state") or "published")
    doc: dict[str, Any] = {
        "uri": uri, "type": "text", "representationType": "full",
        "standard": {"name": "ninjs", "version": "3.3", "schema": NINJS3_SCHEMA_URI},
        "version": str(story.get("version") or 1),
        "firstCreated": _iso(story.get("published")),
        "versionCreated": _iso(story.get("updated") or story.get("published")),
        "pubStatus": _PUB_STATUS.get(state, "usable"),
        "language": lang,
        **_text_parts(story, corrections, lang),
    }
    for key in ("firstCreated", "versionCreated"):
        if doc[key] is None:
            del doc[key]
    if story.get("embargoed_until"):
        doc["embargoedUntil"] = _iso(story["embargoed_until"])
    if story.get("urgency") is not None:
        doc["urgency"] = int(story["urgency"])
    if state == "deleted":
        doc["edNote"] = "Killed" + (f": {story['kill_reason']}" if story.get("kill_reason") else "")
    subjects = [{"name": s.get("name") or s["code"], "uri": s["uri"], "literal": s["code"]}
                for s in story.get("subjects") or []]
    subjects += [{"name": f"#{t}", "rel": "hashtag", "literal": t} for t in story.get("hashtags") or []]
    if subjects:
        doc["subjects"] = subjects
    if story.get("agency"):
        doc["copyrightHolder"] = str(story["agency"])
    if story.get("url") and story["url"] != uri:
        doc["altIds"] = [{"role": "canonical", "value": str(story["url"])}]
    trust = []
    if story.get("proof"):
        trust.append({"role": PROOF_ROLE, "title": f"Data Integrity proof (eddsa-jcs-2022): {story['proof']}",
                      "href": uri})
    if story.get("revisions_url"):
        trust.append({"role": REVISIONS_ROLE, "title": "Revision history", "href": str(story["revisions_url"])})
    if trust:
        doc["trustIndicators"] = trust
    translations = story.get("translations") or {}
    associations = [
        {"name": f"translation-{tlang}", "rel": "translation", "uri": f"{uri}#{tlang}", "type": "text",
         "language": tlang, **_text_parts(view, corrections, tlang)}
        for tlang, view in translations.items() if tlang != lang]
    associations += media_associations(story.get("media") or (), language=lang, agency=str(story.get("agency") or ""))
    if associations:
        doc["associations"] = associations
    return doc


# -- in -------------------------------------------------------------------------------------------------------------

def _v2_to_v3(value: Any) -> Any:
    if isinstance(value, dict):
        return {_V2_TO_V3.get(k, k): _v2_to_v3(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_v2_to_v3(v) for v in value]
    return value


def _pick(items: Any, roles: tuple[Any, ...] | None = None) -> Mapping[str, Any] | None:
    if not isinstance(items, list):
        return None
    for item in items:
        if isinstance(item, Mapping) and (roles is None or item.get("role") in roles):
            return item
    return None


def _body_html(item: Mapping[str, Any] | None) -> tuple[str, str]:
    """(body, format): HTML as given; plain text escaped into paragraphs."""
    if item is None:
        return "", "html"
    value = str(item.get("value") or "")
    ctype = str(item.get("contentType") or "").lower()
    if "html" in ctype or (not ctype and re.search(r"<[a-zA-Z][^>]*>", value)):
        return value, "html"
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", value) if p.strip()]
    return "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs), "html"


def _text(item: Mapping[str, Any] | None) -> str:
    if item is None:
        return ""
    value = str(item.get("value") or "")
    if "html" in str(item.get("contentType") or "").lower():
        value = html.unescape(re.sub(r"<[^>]*>", "", value))
    return value.strip()


def _language_view(doc: Mapping[str, Any]) -> dict[str, Any]:
    body, body_format = _body_html(_pick(doc.get("bodies"), (None, "", "main", "body")) or _pick(doc.get("bodies")))
    return {"headline": _text(_pick(doc.get("headlines"), (None, "", "main", "headline"))
                              or _pick(doc.get("headlines"))),
            "summary": _text(_pick(doc.get("descriptions"), _SUMMARY_ROLES)),
            "body": body, "body_format": body_format}


def from_ninjs(doc: Any, *, default_language: str | None = None) -> dict[str, Any]:
    """Story fields from a ninjs 3.x or 2.x document, after checking it against IPTC's schema for its version.

    Returns uri, version, language, headline, summary, body, body_format, urgency, subjects, hashtags,
    embargoed_until, pub_status, ed_note, canonical_url, first_created, version_created, corrections (notes in the
    main language, oldest first) and translations ({language: {headline, summary, body, body_format}}).
    A canceled item (a retraction) is returned too; publishing it is the importer's decision.
    Raises NinjsError naming the problem."""
    if not isinstance(doc, Mapping):
        raise NinjsError("a ninjs document is a JSON object")
    major = ninjs_version(doc)
    errors = schema_errors(doc, NINJS3_SCHEMA if major == 3 else NINJS2_SCHEMA)
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise NinjsError(f"not valid ninjs {major}.x: {errors[0]}{more}")
    d: dict[str, Any] = _v2_to_v3(dict(doc)) if major == 2 else dict(doc)
    if d.get("type") not in (None, "text", "composite"):
        raise NinjsError(f"type: only text items can be published as stories, not {d['type']!r}")
    pub_status = d.get("pubStatus") or "usable"
    language = d.get("language") or default_language
    if not language:
        raise NinjsError("language: missing, and the node has no default language")
    main = _language_view(d)
    # A canceled item only retracts an earlier version: it needs no text of its own.
    if not main["headline"] and pub_status != "canceled":
        raise NinjsError("headlines: the item has no headline")
    if not main["body"] and pub_status != "canceled":
        raise NinjsError("bodies: the item has no body")
    subjects: list[dict[str, str]] = []
    hashtags: list[str] = []
    for s in d.get("subjects") or []:
        if s.get("rel") == "hashtag":
            tag = str(s.get("literal") or s.get("name") or "").lstrip("#")
            if tag:
                hashtags.append(tag)
            continue
        code = s.get("literal") if str(s.get("literal") or "").startswith("medtop:") else s.get("uri")
        if not code:
            continue
        try:
            subjects += clean_subjects([{"code": code, "name": s.get("name") or ""}])
        except LifecycleError:
            continue  # a subject from another vocabulary: not a Media Topic, so not ours to carry
    embargo = parse_time(d.get("embargoedUntil"))
    if pub_status == "withheld" and embargo is None:
        raise NinjsError("pubStatus: a withheld item needs embargoedUntil to be scheduled")
    canonical = next((a.get("value") for a in d.get("altIds") or [] if a.get("role") == "canonical"), None)
    translations = {}
    for a in d.get("associations") or []:
        if a.get("rel") == "translation" and a.get("language") and a["language"] != language:
            view = _language_view(a)
            if view["headline"] and view["body"]:
                translations[str(a["language"])] = view
    corrections = [str(x.get("value")) for x in d.get("descriptions") or [] if x.get("role") == "correction"]
    version = d.get("version")
    ed_note = d.get("edNote") if isinstance(d.get("edNote"), str) else ""
    return {
        "ed_note": ed_note.strip(),
        "uri": d.get("uri"), "version": int(version) if isinstance(version, str) and version.isdigit() else None,
        "language": str(language), **main, "urgency": d.get("urgency"), "subjects": subjects,
        "hashtags": hashtags, "embargoed_until": embargo, "pub_status": pub_status, "canonical_url": canonical,
        "first_created": parse_time(d.get("firstCreated")), "version_created": parse_time(d.get("versionCreated")),
        "corrections": corrections, "translations": translations,
    }
