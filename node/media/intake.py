"""The steps between a stored upload and its row: cleaning and deriving photos, probing video and audio.

`stock.add` calls them in order; each takes the file the store holds and gives back what the row records (the
file to serve, what was removed, size, duration, BlurHash, the derivatives stored beside it). Refusals come as
`images.ImageRefused` and `probe.ProbeRefused`; `stock.add` turns them into problems and removes what it stored.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, AsyncIterator

from node.media import images
from node.media import probe as probing
from node.media.storage import MediaStore, Stored

__all__ = ["Intake", "image", "media", "put_bytes"]

log = logging.getLogger("agency_node.media")


@dataclass
class Intake:
    """What the row of a new item records beyond the upload's own fields."""

    sha256: str                  # the file served (the cleaned copy of an own photo)
    size: int
    upload_sha256: str = ""      # the upload's hash, when what is served differs from it
    removed: list[str] = field(default_factory=list)
    columns: dict[str, Any] = field(default_factory=dict)   # width, height, duration, blurhash
    found: dict[str, Any] = field(default_factory=dict)     # caption, credit... written in the file
    renditions: dict[str, dict[str, Any]] = field(default_factory=dict)


async def put_bytes(store: MediaStore, data: bytes) -> Stored:
    """Store bytes made here (a cleaned photo, a derivative); their size is known, so no limit applies."""
    async def one() -> AsyncIterator[bytes]:
        yield data
    return await store.put_stream(one(), lambda head: len(data))


async def _read(store: MediaStore, sha256: str) -> bytes:
    return await asyncio.get_running_loop().run_in_executor(None, store.path(sha256).read_bytes)


async def _keep(store: MediaStore, intake: Intake, rendition: images.Rendition) -> None:
    stored = await put_bytes(store, rendition.data)
    intake.renditions[rendition.name] = {"sha256": stored.sha256, "media_type": rendition.media_type,
                                         "width": rendition.width, "height": rendition.height,
                                         "size": stored.size}


async def image(store: MediaStore, stored: Stored, media_type: str, *, clean: bool, language: str) -> Intake:
    """An uploaded photo: cleaned (when ``clean``), measured and read, with its derivatives stored."""
    prepared = await images.prepare(await _read(store, stored.sha256), media_type, clean=clean, language=language)
    intake = Intake(sha256=stored.sha256, size=stored.size, removed=prepared.removed, found=prepared.found,
                    columns={k: v for k, v in (("width", prepared.width), ("height", prepared.height),
                                               ("blurhash", prepared.blurhash)) if v})
    if prepared.removed:
        cleaned = await put_bytes(store, prepared.data)
        intake.sha256, intake.size, intake.upload_sha256 = cleaned.sha256, cleaned.size, stored.sha256
    for rendition in prepared.renditions:
        await _keep(store, intake, rendition)
    return intake


async def media(store: MediaStore, stored: Stored, kind: str) -> Intake:
    """A video or audio file: duration, display size and a poster frame, as far as ffprobe and ffmpeg tell.
    Without ffprobe, or when probing takes too long, the file is kept without them."""
    intake = Intake(sha256=stored.sha256, size=stored.size)
    try:
        probed = await probing.probe(store.path(stored.sha256), kind)
    except probing.ProbeTimeout as exc:
        log.warning("media.probe_timeout", extra={"sha256": stored.sha256, "seconds": exc.seconds})
        return intake
    if probed is None:
        return intake
    intake.columns = {k: v for k, v in (("duration", probed.duration), ("width", probed.width),
                                        ("height", probed.height)) if v is not None}
    if probed.poster is not None:
        try:
            width, height, hashed = await images.poster(probed.poster)
        except images.ImageRefused:
            return intake
        intake.columns["blurhash"] = hashed
        await _keep(store, intake, images.Rendition("poster.jpg", probed.poster, "image/jpeg", width, height))
    return intake
