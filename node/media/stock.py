"""Putting files into the media stock and reading them back: the use-cases behind the API and the CLI.

A file's type is found from its bytes (`node.media.sniff`), never from its name or the type the client declares;
its size limit follows from that type ([media] in the config). The bytes are streamed into the store, and the row
is written only once the file is complete, so a refused or cut-off upload leaves nothing behind. The same file
uploaded twice is one item (its hash is its name); the second upload answers with the first item.
"""

from __future__ import annotations

from typing import Any, AsyncIterator, Callable, Iterable, Mapping, Sequence

from federation.store.models import RemoteActor
from node.media import sniff as sniffing
from node.media.models import MediaItem
from node.media.storage import MediaStore, TooLarge
from schemas.media import clean_filename

__all__ = ["KINDS", "MAX_STORY_MEDIA", "MediaError", "add", "change_item", "file_url", "get_item", "item_json", "limits_of", "list_items",
           "origin_agencies", "story_media"]

KINDS = ("image", "video", "audio", "document")
# How many items of the stock one story may carry (the first four travel as attachments, all are on its page).
MAX_STORY_MEDIA = 20


class MediaError(Exception):
    """A file the stock will not take, or an item that is not there; status, title and detail for the problem."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


def file_url(base_url: str, sha256: str, rendition: str | None = None) -> str:
    """The public URL of a file of the stock (``/media/<sha256>``) or of one of its derivatives."""
    return f"{base_url}/media/{sha256}" + (f"/{rendition}" if rendition else "")


def limits_of(media_config: Mapping[str, Any]) -> dict[str, int]:
    """The size limit per kind, from the [media] section."""
    return {kind: int(media_config[f"max_{kind}_bytes"]) for kind in KINDS}


async def add(store: MediaStore, chunks: AsyncIterator[bytes], fields: Mapping[str, Any], *,
              limits: Mapping[str, int], filename: str | None = None) -> tuple[MediaItem, bool]:
    """Stream a file into the stock with its (validated) fields; the item and whether it is new."""
    found: list[sniffing.Sniffed] = []

    def check_head(head: bytes) -> int:
        try:
            kind = sniffing.sniff(head)
        except sniffing.Refused as exc:
            raise MediaError(415, "Unsupported media type", exc.reason) from None
        found.append(kind)
        return limits[kind.kind]

    try:
        stored = await store.put_stream(chunks, check_head, head_bytes=sniffing.SNIFF_BYTES)
    except TooLarge as exc:
        kind = found[0].kind if found else "file"
        raise MediaError(413, "File too large",
                         f"a {kind} may be at most {exc.limit:,} bytes ([media] max_{kind}_bytes)") from None
    (sniffed,) = found
    existing = await MediaItem.get_or_none(sha256=stored.sha256)
    if existing is not None:
        return existing, False
    item = await MediaItem.create(
        sha256=stored.sha256, kind=sniffed.kind, media_type=sniffed.media_type, size=stored.size,
        alt=fields.get("alt", {}), caption=fields.get("caption", {}), credit=fields.get("credit", ""),
        copyright=fields.get("copyright", ""), usage_terms=fields.get("usage_terms", ""),
        digital_source_type=fields.get("digital_source_type", ""), filename=clean_filename(filename),
        focal_point=fields.get("focal_point"))
    return item, True


async def change_item(sha256: str, changes: Mapping[str, Any]) -> MediaItem:
    """Change what the stock says about an item (`schemas.media.media_input` with ``partial``): alt text and
    captions merge per language (an empty text removes that language), the other fields are replaced. The file
    and what stories already published of it stay as they are (a story takes the new text on its next update)."""
    item = await get_item(sha256)
    for key, value in changes.items():
        if key in ("alt", "caption"):
            merged = {**getattr(item, key), **value}
            setattr(item, key, {k: v for k, v in merged.items() if v})
        else:
            setattr(item, key, value)
    await item.save()
    return item


async def get_item(sha256: str) -> MediaItem:
    item = await MediaItem.get_or_none(sha256=sha256.lower()) if len(sha256) == 64 else None
    if item is None:
        raise MediaError(404, "No such media item", f"no media item {sha256}")
    return item


async def list_items(*, kind: str | None = None, limit: int = 50) -> list[MediaItem]:
    query = MediaItem.all()
    if kind:
        query = query.filter(kind=kind)
    return await query.order_by("-id").limit(limit)


def item_json(item: MediaItem, url: str) -> dict[str, Any]:
    """One item for the editor API and the CLI."""
    return {"id": item.sha256, "url": url, "kind": item.kind, "media_type": item.media_type, "size": item.size,
            "width": item.width, "height": item.height, "duration": item.duration, "alt": item.alt,
            "caption": item.caption, "credit": item.credit, "copyright": item.copyright,
            "usage_terms": item.usage_terms, "digital_source_type": item.digital_source_type or None,
            "focal_point": item.focal_point, "blurhash": item.blurhash or None,
            "filename": item.filename, "origin_actor": item.origin_actor or None,
            "origin_url": item.origin_url or None, "created": item.created_at.isoformat()}


async def story_media(image: str | None, media: Sequence[str], *, url_of: Callable[[str], str]
                      ) -> list[dict[str, Any]]:
    """What a story stores of its media, as it is published (the lead image first, marked ``lead``): the fields
    its Article's ``image`` and ``attachment`` are made of (`federation.vocab.media_object`). Every item must be in
    the stock, and an image must have alt text (readers who cannot see it get the text instead)."""
    hashes = ([image] if image else []) + [h for h in media if h != image]
    if len(hashes) > MAX_STORY_MEDIA:
        raise MediaError(422, "Too many media items", f"a story may carry at most {MAX_STORY_MEDIA} media items")
    if len(set(hashes)) != len(hashes):
        raise MediaError(422, "Media item listed twice", "each media item may be attached once")
    found = {i.sha256: i for i in await MediaItem.filter(sha256__in=[h.lower() for h in hashes])}
    agencies = await origin_agencies(found.values())
    described = []
    for position, sha in enumerate(h.lower() for h in hashes):
        item = found.get(sha)
        if item is None:
            raise MediaError(422, "No such media item", f"no media item {sha} in the stock (upload it first)")
        lead = bool(image) and position == 0
        if lead and item.kind != "image":
            raise MediaError(422, "Lead image is not an image", f"media item {sha} is a {item.kind}")
        if item.kind == "image" and not any(item.alt.values()):
            raise MediaError(422, "Image without alt text",
                             f"image {sha} has no alt text; add it (PATCH /api/media/{sha}) before attaching it")
        described.append(_described(item, url_of(sha), lead, agencies.get(item.origin_actor, "")))
    return described


async def origin_agencies(items: Iterable[MediaItem]) -> dict[str, str]:
    """The name of each partner agency that items were received from (its handle when it has no name)."""
    uris = {i.origin_actor for i in items if i.origin_actor}
    if not uris:
        return {}
    return {a.uri: a.name or a.handle for a in await RemoteActor.filter(uri__in=uris)}


def _described(item: MediaItem, url: str, lead: bool, origin_agency: str = "") -> dict[str, Any]:
    """A partner's item keeps its credit and where it came from (``origin_actor``, ``origin_url``, and the
    agency's name as ``origin_agency``); ``url`` is always our own copy."""
    entry: dict[str, Any] = {"sha256": item.sha256, "url": url, "kind": item.kind, "media_type": item.media_type,
                             "size": item.size, "alt": dict(item.alt), "caption": dict(item.caption)}
    for key in ("width", "height", "duration", "blurhash", "focal_point", "credit", "copyright",
                "digital_source_type", "origin_actor", "origin_url"):
        value = getattr(item, key)
        if value:
            entry[key] = value
    if item.renditions:
        entry["renditions"] = {name: dict(r) for name, r in item.renditions.items()}  # derivatives, by file name
    if item.origin_actor:
        entry["origin_agency"] = origin_agency or item.origin_actor
    if lead:
        entry["lead"] = True
    return entry

