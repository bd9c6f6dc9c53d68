"""Putting files into the media stock and reading them back: the use-cases behind the API and the CLI.

A file's type is found from its bytes (`node.media.sniff`), never from its name or the type the client declares;
its size limit follows from that type ([media] in the config). The bytes are streamed into the store, and the row
is written only once the file is complete, so a refused or cut-off upload leaves nothing behind. The same file
uploaded twice is one item (its hash is its name); the second upload answers with the first item. An own photo is
served without its location and device identifiers (`node.media.scrub`): its item is named by the hash of the
cleaned file, and the upload's own hash (``upload_sha256``) finds it again.
"""

from __future__ import annotations

from typing import Any, AsyncIterator, Callable, Iterable, Mapping, Sequence

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from federation.store.models import RemoteActor
from node.media import contentcred, images, intake
from node.media import probe as probing
from node.media import sniff as sniffing
from node.media.credentials import Credentials
from node.media.models import MediaItem
from node.media.storage import MediaStore, Stored, TooLarge
from schemas.media import clean_filename

__all__ = ["KINDS", "MAX_STORY_MEDIA", "MediaError", "add", "admit", "change_item", "file_url", "get_item",
           "item_json", "limits_of", "list_items", "origin_agencies", "story_media"]

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
              limits: Mapping[str, int], filename: str | None = None, own: bool = True,
              credentials: Credentials | None = None) -> tuple[MediaItem, bool]:
    """Stream a file into the stock with its (validated) fields; the item and whether it is new.

    The steps: stream to the store -> (own photo: remove location and device identifiers) -> measure, read and
    derive (photos) or probe (video, audio) -> (own photo, when `credentials` can sign: C2PA-sign the cleaned file;
    any image: its C2PA verdict) -> the row. A file received from a partner passes ``own=False`` and is kept byte
    for byte as received: never cleaned, never re-signed, only checked. A refused file leaves nothing behind: what
    this upload put in the store is removed again."""
    stored, sniffed = await _receive(store, chunks, limits)
    return await admit(store, stored, sniffed, fields, filename=filename, own=own, credentials=credentials)


async def admit(store: MediaStore, stored: Stored, sniffed: sniffing.Sniffed, fields: Mapping[str, Any], *,
                filename: str | None = None, own: bool = True, credentials: Credentials | None = None,
                origin_actor: str = "", origin_url: str = "") -> tuple[MediaItem, bool]:
    """A file already in the store (an upload just streamed in, or a partner's file fetched and checked against
    its digest) through the steps of `add`, into its row; the item and whether it is new. `fields` may also carry
    what a partner announced (width, height, duration, blurhash): what the file itself shows wins. A refused file
    is removed again if it was new in the store; `MediaError` says why."""
    clean = own
    existing = await _existing(stored.sha256, clean=clean)
    if existing is not None:
        if stored.created and existing.sha256 != stored.sha256:  # the original of a cleaned photo: not kept
            await store.remove(stored.sha256)
        return existing, False
    try:
        done = await _intake(store, stored, sniffed, fields, clean=clean)
    except FileNotFoundError:  # the same photo, uploaded at the same moment, was cleaned first and its original gone
        if (existing := await _existing(stored.sha256, clean=clean)) is None:
            raise
        return existing, False
    except MediaError:
        if stored.created:
            await store.remove(stored.sha256)
        raise
    sealed = await _seal(store, stored, done, sniffed, fields, filename, own=own, credentials=credentials)
    if done.upload_sha256 and stored.created:  # the photo as uploaded, location and all, is never kept
        await store.remove(stored.sha256)
    existing = await MediaItem.get_or_none(sha256=done.sha256)
    if existing is not None:  # cleaned, it is a file the stock already has
        return existing, False
    try:
        return await _create(done, sniffed, fields, filename, c2pa=sealed.verdict,
                             origin_actor=origin_actor[:512], origin_url=origin_url[:1024]), True
    except IntegrityError:  # the same file, uploaded at the same moment, got its row first
        return await MediaItem.get(sha256=done.sha256), False


async def _create(done: intake.Intake, sniffed: sniffing.Sniffed, fields: Mapping[str, Any],
                  filename: str | None, *, c2pa: dict[str, Any] | None, origin_actor: str,
                  origin_url: str) -> MediaItem:
    """The row: the uploader's fields, and where the uploader gave none, what the file itself says."""
    found = done.found
    announced = {k: fields[k] for k in ("width", "height", "duration", "blurhash") if fields.get(k)}
    return await MediaItem.create(
        sha256=done.sha256, kind=sniffed.kind, media_type=sniffed.media_type, size=done.size,
        alt=fields.get("alt", {}), caption=fields.get("caption") or found.get("caption", {}),
        credit=fields.get("credit") or found.get("credit", ""),
        copyright=fields.get("copyright") or found.get("copyright", ""),
        usage_terms=fields.get("usage_terms", ""),
        digital_source_type=fields.get("digital_source_type") or found.get("digital_source_type", ""),
        filename=clean_filename(filename), focal_point=fields.get("focal_point"),
        upload_sha256=done.upload_sha256, removed_metadata=done.removed, renditions=done.renditions, c2pa=c2pa,
        origin_actor=origin_actor, origin_url=origin_url, **{**announced, **done.columns})


async def _seal(store: MediaStore, stored: Stored, done: intake.Intake, sniffed: sniffing.Sniffed,
                fields: Mapping[str, Any], filename: str | None, *, own: bool,
                credentials: Credentials | None) -> contentcred.Sealed:
    """C2PA, after cleaning: an own image is signed when the node has a certificate (the signed copy becomes the
    file served, `done` is moved onto it and the unsigned cleaned copy removed); every image gets its verdict."""
    sealed = await contentcred.seal(store, done.sha256, sniffed.media_type, credentials, own=own,
                                    title=clean_filename(filename), removed=done.removed,
                                    source_type=fields.get("digital_source_type") or done.found.get(
                                        "digital_source_type", ""))
    if sealed.sha256 != done.sha256:
        if done.sha256 != stored.sha256 and not await MediaItem.exists(sha256=done.sha256):
            await store.remove(done.sha256)  # the cleaned, unsigned copy: nothing serves it
        done.sha256, done.size = sealed.sha256, sealed.size or done.size
        done.upload_sha256 = done.upload_sha256 or stored.sha256
    return sealed


async def _receive(store: MediaStore, chunks: AsyncIterator[bytes], limits: Mapping[str, int]
                   ) -> tuple[Stored, sniffing.Sniffed]:
    """Stream the upload into the store, typed from its first bytes and cut off at its kind's limit."""
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
    return stored, found[0]


async def _existing(sha256: str, *, clean: bool) -> MediaItem | None:
    """The item of these bytes: stored as they are, or (own uploads) uploaded before and served cleaned. A file
    kept as received must be these very bytes."""
    query = Q(sha256=sha256) | Q(upload_sha256=sha256) if clean else Q(sha256=sha256)
    return await MediaItem.filter(query).order_by("id").first()


async def _intake(store: MediaStore, stored: Stored, sniffed: sniffing.Sniffed, fields: Mapping[str, Any], *,
                  clean: bool) -> intake.Intake:
    try:
        if sniffed.kind == "image":
            return await intake.image(store, stored, sniffed.media_type, clean=clean,
                                      language=fields.get("language") or "und")
        if sniffed.kind in ("video", "audio"):
            return await intake.media(store, stored, sniffed.kind)
    except images.ImageRefused as exc:
        raise MediaError(422, exc.title, exc.reason) from None
    except probing.ProbeRefused as exc:
        raise MediaError(422, f"Unreadable {sniffed.kind}", exc.reason) from None
    return intake.Intake(sha256=stored.sha256, size=stored.size)


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
            "renditions": {name: {**r, "url": f"{url}/{name}"} for name, r in sorted(item.renditions.items())},
            "removed_metadata": list(item.removed_metadata),
            "filename": item.filename, "origin_actor": item.origin_actor or None,
            "origin_url": item.origin_url or None, "created": item.created_at.isoformat(),
            "c2pa": item.c2pa, "c2pa_verdict": contentcred.describe(item.c2pa)}


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
    if not hashes:
        return []  # nothing to look up (most stories): no query
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
    if item.renditions:  # thumb/web sizes and a video's poster: for pages, ninjs renditions and previews
        entry["renditions"] = {name: {**r, "url": f"{url}/{name}"} for name, r in sorted(item.renditions.items())}
    if item.c2pa:  # beside the digest: what the C2PA check said (kept on the story, not sent on the wire)
        entry["c2pa"] = {k: item.c2pa[k] for k in ("verdict", "reason", "signer", "issuer", "actions")
                         if item.c2pa.get(k)}
    if item.origin_actor:
        entry["origin_agency"] = origin_agency or item.origin_actor
    if lead:
        entry["lead"] = True
    return entry

