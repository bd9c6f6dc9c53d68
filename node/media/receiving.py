"""What a received story says about its media: its attachments queued as fetch jobs, and what the stock keeps of
each once its bytes are in.

A story's ``image`` (its lead image) and ``attachment`` list become one `WireMedia` row per file, written with the
wire story (`node.wire.listeners` calls `queue_story_media` in the story's transaction) and fetched by
`node.media.fetch_worker`. An Update adds the attachments that are new; one whose digest changed under the same
URL is fetched again. The digest is the attachment's ``digestMultibase``, which the story's proof covers (FEP-8b32),
so a verified story vouches for its files too.
"""

from __future__ import annotations

import asyncio
import re
import weakref
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from federation.multikey import MultikeyError, sha256_of_digest_multibase
from federation.states import check_transition
from node.media.fetching import announced_kind, normal_type
from node.media.stock import MAX_STORY_MEDIA, file_url
from node.media.wire_models import WireMedia
from node.media.wire_states import MediaFetchState as S
from schemas.activitystreams import is_http_url

__all__ = ["attachments_of", "expected_sha256", "item_fields", "media_json", "media_of_stories",
           "queue_story_media", "wake_on_queue"]

# The wake-up events of the running fetch workers of this process (a worker idles on its event between polls).
_WAKEUPS: "weakref.WeakSet[asyncio.Event]" = weakref.WeakSet()


def wake_on_queue(event: asyncio.Event) -> None:
    """Set `event` whenever media rows are queued (a fetch worker registers its wake-up event)."""
    _WAKEUPS.add(event)


_DURATION = re.compile(r"^P(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def _href(value: Any) -> str | None:
    """A URL given as a string, a Link object, or a list of them (the first http(s) one)."""
    if isinstance(value, list):
        return next((h for h in map(_href, value) if h), None)
    if isinstance(value, dict):
        value = value.get("href") or value.get("url")
        return _href(value) if isinstance(value, (list, dict)) else value if is_http_url(value) else None
    return value if is_http_url(value) else None


def _entry(obj: Any) -> dict[str, Any] | None:
    """An attachment as a dict with a usable URL and kind, or None (a Link, a PropertyValue, no URL...)."""
    if isinstance(obj, str):
        obj = {"url": obj}
    if not isinstance(obj, dict):
        return None
    url = _href(obj.get("url")) or (_href(obj.get("href")) if obj.get("type") in (None, "Link") else None)
    if not url or len(url) > 1024:
        return None
    link = obj.get("url")
    media_type = obj.get("mediaType") or (link.get("mediaType") if isinstance(link, dict) else None)
    kind = announced_kind(media_type, obj.get("type"))
    if not kind and obj.get("type") not in (None, "Link"):
        return None
    return {"url": url, "kind": kind, "media_type": normal_type(media_type)[:100], "description": obj}


def attachments_of(obj: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The media of a story object, lead image first (marked ``lead``), each URL once, at most `MAX_STORY_MEDIA`."""
    image = obj.get("image")
    lead = _entry(image[0] if isinstance(image, list) and image else image)
    attached = obj.get("attachment")
    entries = [e for e in map(_entry, attached if isinstance(attached, list) else [attached]) if e]
    out: dict[str, dict[str, Any]] = {}
    if lead is not None:
        # Our own Articles repeat the lead image, in full, as the first attachment: keep that fuller description.
        fuller = next((e for e in entries if e["url"] == lead["url"]), lead)
        out[lead["url"]] = {**fuller, "kind": fuller["kind"] or "image", "lead": True}
    for e in entries:
        out.setdefault(e["url"], {**e, "lead": False})
    return list(out.values())[:MAX_STORY_MEDIA]


def expected_sha256(digest_multibase: str) -> str:
    """The SHA-256 (hex) an attachment's digestMultibase names; "" when there is none or it is not SHA-256."""
    if not digest_multibase:
        return ""
    try:
        return sha256_of_digest_multibase(digest_multibase).hex()
    except (MultikeyError, ValueError):
        return ""


async def queue_story_media(story: Any, obj: Mapping[str, Any], *, now: datetime | None = None) -> int:
    """Write (or refresh) the media rows of a wire story from its object; return how many were queued to fetch.

    Runs in the caller's transaction when there is one (the listeners store the story and its media together)."""
    now = now or datetime.now(timezone.utc)
    existing = {m.url: m for m in await WireMedia.filter(wire_story_id=story.id)}
    queued = 0
    for position, entry in enumerate(attachments_of(obj)):
        raw = entry["description"].get("digestMultibase")
        digest = raw[:100] if isinstance(raw, str) else ""
        values = dict(position=position, lead=entry["lead"], kind=entry["kind"], media_type=entry["media_type"],
                      description=entry["description"], expected_digest=digest,
                      expected_sha256=expected_sha256(digest))
        row = existing.get(entry["url"])
        if row is None:
            await WireMedia.create(wire_story_id=story.id, url=entry["url"], state=S.WAITING, next_attempt_at=now,
                                   queued_at=now, **values)
            queued += 1
        elif row.expected_digest != digest and row.state != S.FETCHING:
            # The file behind this URL changed (or a digest arrived): fetch and check it again.
            check_transition(row.state, S.WAITING)
            await WireMedia.filter(id=row.id, state=row.state).update(
                state=S.WAITING, next_attempt_at=now, queued_at=now, attempts=0, verdict="", reason="",
                actual_sha256="", last_error=None, claim_token=None, locked_until=None, **values)
            queued += 1
        else:  # the same file: only what is said about it (alt text, order) may have changed
            await WireMedia.filter(id=row.id).update(**values)
    if queued:
        for event in list(_WAKEUPS):  # a worker woken early waits for the commit; the rows are the truth
            event.set()
    return queued


def _text(value: Any, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def _number(value: Any, kind: type) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0 or value > 1_000_000:
        return None
    return kind(value)


def _duration(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value) if value > 0 else None
    match = _DURATION.match(value) if isinstance(value, str) else None
    if not match:
        return None
    h, m, s = (float(g) if g else 0.0 for g in match.groups())
    return (h * 3600 + m * 60 + s) or None


def _focal_point(value: Any) -> list[float] | None:
    if (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and -1 <= v <= 1 for v in value)):
        return [round(float(v), 3) for v in value]
    return None


def item_fields(description: Mapping[str, Any], language: str) -> dict[str, Any]:
    """The stock fields an attachment describes: alt text per language (its nameMap, or its name in the story's
    language), credit, copyright, IPTC digital source type, size, duration, blurhash and focal point."""
    alt: dict[str, str] = {}
    name_map = description.get("nameMap")
    if isinstance(name_map, dict):
        alt = {str(k)[:35]: _text(v, 1500) for k, v in name_map.items() if _text(v, 1500)}
    if not alt and _text(description.get("name"), 1500):
        alt = {language or "und": _text(description.get("name"), 1500)}
    source = description.get("digitalSourceType")
    return {"alt": alt, "credit": _text(description.get("creditText"), 500),
            "copyright": _text(description.get("copyrightNotice"), 500),
            "digital_source_type": _text(source if isinstance(source, str) else _href(source), 255),
            "width": _number(description.get("width"), int), "height": _number(description.get("height"), int),
            "duration": _duration(description.get("duration")),
            "blurhash": _text(description.get("blurhash"), 100),
            "focal_point": _focal_point(description.get("focalPoint"))}


def media_json(row: WireMedia, base_url: str) -> dict[str, Any]:
    """One medium of a wire story for the editor API and the CLI: what was announced, where the fetch stands,
    the verdict and why, and the stock item it became."""
    item = row.media_item if row.media_item_id else None  # type: ignore[attr-defined]
    desc = row.description if isinstance(row.description, dict) else {}
    return {"url": row.url, "lead": row.lead, "kind": row.kind or None, "media_type": row.media_type or None,
            "alt": item_fields(desc, "").get("alt") or None, "state": row.state,
            "verdict": row.verdict or None, "reason": row.reason or None,
            "expected_digest": row.expected_digest or None, "actual_sha256": row.actual_sha256 or None,
            "attempts": row.attempts, "last_error": row.last_error,
            "stock_id": item.sha256 if item else None,
            "stock_url": file_url(base_url, item.sha256) if item else None}


async def media_of_stories(story_ids: Iterable[int], base_url: str) -> dict[int, list[dict[str, Any]]]:
    """The media of each wire story, in story order (lead first), by story id."""
    rows = await WireMedia.filter(wire_story_id__in=list(story_ids)).prefetch_related("media_item").order_by(
        "wire_story_id", "position", "id")
    out: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row.wire_story_id, []).append(media_json(row, base_url))  # type: ignore[attr-defined]
    return out
