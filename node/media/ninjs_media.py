"""The files a ninjs document points at, fetched into the stock when a newsroom CMS imports it.

A text item's ``associations`` of type picture, graphic, video or audio each name one file: the rendition called
original (or highRes, baseImage) if there is one, else the largest with an ``href``; the item's own ``renditions``
may add one more file (a PDF of the story, say). Each file is fetched through the same guarded, bounded path as a
partner's media (`node.media.fetching`) and, when the document gives its SHA-256 (``hash``, or an ``altIds`` entry
with role ``sha256`` or ``digestMultibase``: ninjs renditions allow no extra members), checked before any stock row
is written. Any file that cannot be fetched or does not match refuses the whole import (NinjsError: nothing is
published, and files this import newly stored are removed), so the CMS can send it again.

The first picture is the story's lead image. Alt text comes from a description with role alt (else the
association's headline), the caption from one with role caption, credit from ``by``, copyright from
``copyrightHolder``/``copyrightNotice``, usage terms from ``usageTerms``.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from node.media.fetch_worker import MediaFetchWorker, discard, stock_item
from node.media.fetching import Fetched, FetchProblem, announced_kind, fetch_into_store, normal_type
from node.media.receiving import expected_sha256
from schemas.ninjs_media import HASH_EXTENSION
from node.media.stock import MAX_STORY_MEDIA
from schemas.activitystreams import is_http_url
from schemas.ninjs import NinjsError

__all__ = ["fetch_ninjs_media", "media_refs"]

_TYPES = {"picture": "image", "graphic": "image", "video": "video", "audio": "audio"}
_BEST_NAMES = ("original", "highres", "baseimage", "master", "source")
_ALT_ROLES = ("alt", "alttext", "alternative", "an:alt")
_CAPTION_ROLES = ("caption", "an:caption", "summary")
_HASH_ROLES = ("sha256", "an:sha256", "digestmultibase", "an:digestmultibase")
_HEX = re.compile(r"^(?:sha-?256[:=])?([0-9a-fA-F]{64})$")


def _get(d: Mapping[str, Any], key: str) -> Any:
    """A member under its ninjs 3.x (camelCase) or 2.x (lower case) name."""
    return d.get(key, d.get(key.lower()))


def _listed(value: Any) -> list[Any]:
    """ninjs 3.x lists renditions and associations; 1.x and 2.x key them by name in an object."""
    if isinstance(value, Mapping):
        return [{"name": k, **v} for k, v in value.items() if isinstance(v, Mapping)]
    return value if isinstance(value, list) else []


def _best(renditions: Any) -> Mapping[str, Any] | None:
    renditions = _listed(renditions)
    usable = [r for r in renditions if isinstance(r, Mapping) and is_http_url(r.get("href"))
              and announced_kind(_get(r, "contentType"))] if isinstance(renditions, list) else []
    named = [r for r in usable if str(r.get("name", "")).lower() in _BEST_NAMES]
    if named or not usable:
        return named[0] if named else None
    return max(usable, key=lambda r: ((r.get("width") or 0) * (r.get("height") or 0), _get(r, "sizeInBytes") or 0))


def _expected(assoc: Mapping[str, Any], rendition: Mapping[str, Any]) -> str:
    # Our own export puts the SHA-256 in each rendition's extensions (`schemas.ninjs_media.HASH_EXTENSION`).
    extensions = rendition.get("extensions")
    candidates = [extensions.get(HASH_EXTENSION) if isinstance(extensions, Mapping) else None,
                  rendition.get("hash"), assoc.get("hash")]
    candidates += [a.get("value") for a in _get(assoc, "altIds") or []
                   if isinstance(a, Mapping) and str(a.get("role", "")).lower() in _HASH_ROLES]
    for value in candidates:
        if isinstance(value, str) and value:
            match = _HEX.match(value.strip())
            return match.group(1).lower() if match else (expected_sha256(value.strip()) or "invalid")
    return ""


def _first(items: Any, roles: tuple[str, ...]) -> str:
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping) and str(item.get("role", "")).lower() in roles and item.get("value"):
            return str(item["value"]).strip()
    return ""


def _fields(assoc: Mapping[str, Any], language: str) -> dict[str, Any]:
    lang = str(assoc.get("language") or language)
    headline = _first(assoc.get("headlines"), ("", "main", "headline")) or next(
        (str(h.get("value")).strip() for h in assoc.get("headlines") or [] if isinstance(h, Mapping)
         and h.get("value")), "")
    alt = _first(assoc.get("descriptions"), _ALT_ROLES) or headline
    caption = _first(assoc.get("descriptions"), _CAPTION_ROLES)
    holder = _get(assoc, "copyrightHolder")
    copyright_ = (holder.get("name") if isinstance(holder, Mapping) else holder) or _get(assoc, "copyrightNotice")
    return {"alt": {lang: alt[:1500]} if alt else {}, "caption": {lang: caption[:5000]} if caption else {},
            "credit": str(assoc.get("by") or "")[:500], "copyright": str(copyright_ or "")[:500],
            "usage_terms": str(_get(assoc, "usageTerms") or "")[:5000]}


def media_refs(doc: Mapping[str, Any], language: str) -> list[dict[str, Any]]:
    """The files of a ninjs document: url, announced media type and kind, expected SHA-256 ("" if none given,
    "invalid" if unreadable), the stock fields, in document order (associations first)."""
    refs: list[dict[str, Any]] = []
    sources = [a for a in _listed(_get(doc, "associations"))
               if isinstance(a, Mapping) and a.get("rel") != "translation"]
    own = _best(_get(doc, "renditions"))
    for assoc, rendition in [(a, _best(_get(a, "renditions"))) for a in sources] + [(doc, own)]:
        if rendition is None or any(r["url"] == rendition["href"] for r in refs):
            continue
        kind = _TYPES.get(str(assoc.get("type"))) if assoc is not doc else None
        media_type = normal_type(_get(rendition, "contentType"))
        refs.append({"url": rendition["href"], "media_type": media_type, "kind": kind or announced_kind(media_type),
                     "expected": _expected(assoc, rendition),
                     "fields": _fields(assoc, language) if assoc is not doc else {}})
    return refs[:MAX_STORY_MEDIA]


async def fetch_ninjs_media(fetcher: MediaFetchWorker, doc: Mapping[str, Any], language: str
                            ) -> tuple[str | None, list[str], list[str]]:
    """Fetch and check the document's files into the stock: (lead image, other items, notes), by SHA-256.
    Raises NinjsError naming the file that could not be fetched or did not match (nothing kept of this import)."""
    refs = media_refs(doc, language)
    fetched: list[Fetched] = []
    try:
        for ref in refs:
            if ref["expected"] == "invalid":
                raise NinjsError(f"{ref['url']}: its hash is not a SHA-256 (hex or digestMultibase)")
            try:
                got = await fetch_into_store(fetcher.http.session, fetcher.store, ref["url"],
                                             announced_type=ref["media_type"], announced=ref["kind"],
                                             limits=fetcher.limits)
            except FetchProblem as exc:
                verdict = exc.verdict.value if exc.verdict else "not fetched, try again later"
                raise NinjsError(f"{ref['url']}: {verdict}: {exc.reason}") from None
            fetched.append(got)
            if ref["expected"] and got.sha256 != ref["expected"]:
                raise NinjsError(f"{ref['url']}: the bytes have SHA-256 {got.sha256}, the document's hash names "
                                 f"{ref['expected']}; not imported")
    except NinjsError:
        for got in fetched:
            await discard(fetcher.store, got)
        raise
    # The newsroom's own files: cleaned and signed like an upload of the agency's (own=True).
    items = [await stock_item(fetcher.store, got, ref["fields"], origin_actor="", origin_url=ref["url"], own=True,
                              credentials=fetcher.credentials)
             for got, ref in zip(fetched, refs)]
    image = next((i.sha256 for i in items if i.kind == "image"), None)
    notes = [f"{len(items)} media file(s) fetched into the stock"] if items else []
    return image, [i.sha256 for i in items if i.sha256 != image], notes
