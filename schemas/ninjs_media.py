"""A story's media as ninjs 3.x ``associations``: one associated news object per item, the lead image first.

Pure: takes the story's stored media descriptions (`node.media.stock.story_media`: url, kind, media_type, sha256,
size, and where known width, height, duration, alt, caption, credit, copyright, digital_source_type, renditions,
origin_url, origin_agency, lead) and returns JSON-ready dicts that IPTC's ninjs 3.3 schema accepts.

| ninjs (association) | media item |
| --- | --- |
| `name` / `rel` | ``featuremedia`` for the lead image; ``media-<n>`` / ``attachment`` for the others |
| `uri` | our copy's URL (``/media/<sha256>``) |
| `type` | picture, video, audio; a document is a ``component`` (ninjs has no document type) |
| `headlines[0]` | the caption (else the alt text), as a short title for readers that show only a headline |
| `descriptions` | role ``caption`` (IPTC Photo Metadata's Description) and role ``alt`` (its Alt Text) |
| `language` | the story's language, when the texts are in it |
| `by` / `copyrightNotice` / `copyrightHolder` | the credit / the copyright / the origin agency (a partner's item) or ours |
| `digitalSourceType` | the IPTC Digital Source Type URI |
| `altIds[role=origin]` | a partner's item that ours is a copy of |
| `renditions` | ``original`` (the file itself) and each derivative: href, contentType, width, height, sizeInBytes, duration |

ninjs 3.3 has no hash member: a rendition's SHA-256 (lower-case hex) travels in its ``extensions`` (the 3.3 map of
namespaced strings) under `HASH_EXTENSION`, so a receiver can check the bytes it fetches.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

__all__ = ["HASH_EXTENSION", "NINJS_TYPES", "media_associations"]

HASH_EXTENSION = "an:sha256"
NINJS_TYPES = {"image": "picture", "video": "video", "audio": "audio", "document": "component"}


def _text(texts: Any, language: str) -> tuple[str, str] | None:
    """(text, its language): the story's language first, else the first there is."""
    if not isinstance(texts, Mapping) or not any(texts.values()):
        return None
    if texts.get(language):
        return str(texts[language]), language
    tag, text = next((t, v) for t, v in texts.items() if v)
    return str(text), str(tag)


def _rendition(name: str, href: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "href": href, "contentType": str(entry["media_type"])}
    for key, member in (("width", "width"), ("height", "height"), ("size", "sizeInBytes")):
        if isinstance(entry.get(key), int) and not isinstance(entry.get(key), bool):
            out[member] = entry[key]
    if entry.get("duration"):
        out["duration"] = float(entry["duration"])
    if entry.get("sha256"):
        out["extensions"] = {HASH_EXTENSION: str(entry["sha256"])}
    return out


def _association(media: Mapping[str, Any], name: str, rel: str, language: str, agency: str) -> dict[str, Any]:
    url = str(media["url"])
    doc: dict[str, Any] = {"name": name, "rel": rel, "uri": url, "type": NINJS_TYPES.get(media["kind"], "component")}
    caption, alt = _text(media.get("caption"), language), _text(media.get("alt"), language)
    if caption or alt:
        doc["headlines"] = [{"value": (caption or alt)[0], "contentType": "text/plain"}]  # type: ignore[index]
        doc["descriptions"] = [{"role": role, "contentType": "text/plain", "value": found[0]}
                               for role, found in (("caption", caption), ("alt", alt)) if found]
        if all(found[1] == language for found in (caption, alt) if found):
            doc["language"] = language
    if media.get("credit"):
        doc["by"] = str(media["credit"])
    if media.get("copyright"):
        doc["copyrightNotice"] = str(media["copyright"])
    holder = media.get("origin_agency") if media.get("origin_url") else agency
    if holder:
        doc["copyrightHolder"] = str(holder)
    if media.get("digital_source_type"):
        doc["digitalSourceType"] = {"uri": str(media["digital_source_type"])}
    if media.get("origin_url"):
        doc["altIds"] = [{"role": "origin", "value": str(media["origin_url"])}]
    renditions = [_rendition("original", url, media)]
    for rname, derived in sorted((media.get("renditions") or {}).items()):
        if isinstance(derived, Mapping) and derived.get("media_type"):
            renditions.append(_rendition(str(rname), f"{url}/{rname}", derived))
    doc["renditions"] = renditions
    return doc


def media_associations(media: Iterable[Mapping[str, Any]], *, language: str, agency: str = ""
                       ) -> list[dict[str, Any]]:
    """The story's media as ninjs associations, the lead image first (named ``featuremedia``)."""
    items = list(media)
    lead = next((m for m in items if m.get("lead")), None)
    others = [m for m in items if m is not lead]
    out = [_association(lead, "featuremedia", "featuremedia", language, agency)] if lead is not None else []
    out += [_association(m, f"media-{n}", "attachment", language, agency) for n, m in enumerate(others, 1)]
    return out
