"""Photos of the stock: cleaned, measured, read and resized once, at upload, with Pillow.

`prepare` takes the uploaded bytes and gives back what the stock keeps: the file without location and device
identifiers (`node.media.scrub`, lossless; skipped for files that must stay as received), its size as displayed
(after the EXIF orientation), the caption and credit written into it (`node.media.embedded`), a BlurHash, and the
derivatives readers get: ``thumb`` (fits 400 px) and ``web`` (fits 1,600 px, never upscaled), each as WebP and
JPEG, turned upright, in sRGB, with no metadata at all.

Files Pillow refuses are refused with `ImageRefused` (422): a decompression bomb (more pixels than
``PIL.Image.MAX_IMAGE_PIXELS``, about 89 million: a small file that would take gigabytes of memory to decode) and a
file that sniffs as an image but does not decode (cut short, damaged). 422 rather than 413: the upload is within its
size limit and sending fewer bytes would not help; it is the content that cannot be processed.

All of it is CPU work: the coroutines run it in the default executor, never on the event loop, at most two photos
at a time. A 6000 x 4000 JPEG takes about 2 s here (JPEG decoded at reduced scale, four encodes).
"""

from __future__ import annotations

import asyncio
import functools
import io
import struct
import tempfile
import threading
from dataclasses import dataclass, field
from typing import Any

from node.media import blurhash, embedded
from node.media.scrub import GPS_IFD, scrub, xmp_leaks

__all__ = ["RENDITION_BOXES", "ImageRefused", "Prepared", "Rendition", "poster", "prepare"]

# Derivative name -> the box it fits in (pixels, never upscaled).
RENDITION_BOXES = {"thumb": 400, "web": 1600}
BLURHASH_BOX = 32
_FORMATS = {"image/jpeg": ("JPEG",), "image/png": ("PNG",), "image/gif": ("GIF",), "image/webp": ("WEBP",),
            "image/tiff": ("TIFF",), "image/avif": ("AVIF",), "image/heic": ("AVIF",)}
_SAVE = {"webp": ("WEBP", "image/webp", {"quality": 80, "method": 4}),
         "jpg": ("JPEG", "image/jpeg", {"quality": 85, "optimize": True, "progressive": True})}
_DEVICE_TAGS = (0xA430, 0xA431, 0xA435)
# Photos decoded at once: a large photo takes a few hundred MB while it is decoded, so a burst of uploads waits
# for a slot (in its worker thread) instead of adding up.
_DECODING = threading.BoundedSemaphore(2)


class ImageRefused(Exception):
    """A file that sniffs as an image but that the stock will not keep; title and reason for the problem."""

    def __init__(self, title: str, reason: str) -> None:
        super().__init__(reason)
        self.title, self.reason = title, reason


@dataclass(frozen=True)
class Rendition:
    name: str          # "thumb.webp", "web.jpg", "poster.jpg"
    data: bytes
    media_type: str
    width: int
    height: int


@dataclass(frozen=True)
class Prepared:
    data: bytes                      # what the stock keeps and serves
    removed: list[str]               # what was taken out of the upload, in words
    width: int | None                # as displayed (after the EXIF orientation); None for HEIC (not decoded)
    height: int | None
    blurhash: str
    found: dict[str, Any]            # caption, credit, copyright, digital_source_type written in the file
    renditions: list[Rendition] = field(default_factory=list)


async def prepare(data: bytes, media_type: str, *, clean: bool = True, language: str = "und") -> Prepared:
    """Clean (unless ``clean`` is False), check and measure an uploaded image and make its derivatives."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, functools.partial(_prepare, data, media_type, clean, language))


async def poster(data: bytes) -> tuple[int, int, str]:
    """Width, height and BlurHash of a video's poster frame (a JPEG made by `node.media.probe`)."""
    def work() -> tuple[int, int, str]:
        image = _open(data, ("JPEG",))
        return image.width, image.height, _blurhash(_upright(image, BLURHASH_BOX * 4))
    return await asyncio.get_running_loop().run_in_executor(None, work)


def _pillow() -> Any:
    from PIL import Image

    return Image


def _open(data: bytes, formats: tuple[str, ...]) -> Any:
    Image = _pillow()
    try:
        image = Image.open(io.BytesIO(data), formats=formats)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _bomb() from None
    except (Image.UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageRefused("Unreadable image", f"the image cannot be read: {_said(exc)}") from None
    # Pillow only warns between one and two times its limit: refused here from one time, which is the warning
    # taken as an error without changing the process's warning filters from a worker thread.
    if image.width * image.height > Image.MAX_IMAGE_PIXELS:
        raise _bomb(image.width, image.height)
    return image


def _bomb(width: int | None = None, height: int | None = None) -> ImageRefused:
    Image = _pillow()
    size = f" ({width:,} x {height:,})" if width else ""
    return ImageRefused("Image has too many pixels",
                        f"the image{size} has more than {Image.MAX_IMAGE_PIXELS:,} pixels; decoding it would take "
                        "too much memory (send a smaller version)")


def _said(exc: BaseException) -> str:
    return str(exc).split(" <_io.BytesIO")[0] or type(exc).__name__


def _prepare(data: bytes, media_type: str, clean: bool, language: str) -> Prepared:
    with _DECODING:
        return _prepare_one(data, media_type, clean, language)


def _prepare_one(data: bytes, media_type: str, clean: bool, language: str) -> Prepared:
    if media_type not in _FORMATS:
        raise ImageRefused("Unreadable image", f"{media_type} images are not read here")
    removed: list[str] = []
    if clean:
        data, removed = scrub(data, media_type)
    try:
        image = _open(data, _FORMATS[media_type])
    except ImageRefused as exc:
        if media_type != "image/heic" or exc.title != "Unreadable image" or not _is_heif(data):
            raise
        # Pillow has no HEIC decoder (iPhone photos): kept cleaned, without size, BlurHash or derivatives.
        return Prepared(data=data, removed=removed, width=None, height=None, blurhash="", found={})
    try:
        if clean:
            _check_clean(image)
        found = embedded.read(image, language)
        width, height = _displayed_size(image)
        largest = _upright(image, max(RENDITION_BOXES.values()))
        renditions = _renditions(largest)
        hashed = _blurhash(largest)
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:  # cut short, damaged, bad EXIF
        raise ImageRefused("Unreadable image", f"the image cannot be decoded: {_said(exc)}") from None
    return Prepared(data=data, removed=removed, width=width, height=height, blurhash=hashed, found=found,
                    renditions=renditions)


def _is_heif(data: bytes) -> bool:
    return data[4:8] == b"ftyp" and b"meta" in data[:4096]


def _displayed_size(image: Any) -> tuple[int, int]:
    """Width and height as shown: EXIF orientations 5 to 8 turn the picture a quarter."""
    orientation = image.getexif().get(0x0112)
    return (image.height, image.width) if orientation in (5, 6, 7, 8) else (image.width, image.height)


def _check_clean(image: Any) -> None:
    """Never keep a file whose location or device identifiers survived cleaning (a layout `scrub` missed)."""
    left = []
    for frame in range(getattr(image, "n_frames", 1) if image.format == "MPO" else 1):  # each picture of an MPF
        image.seek(frame)
        exif = image.getexif()
        if exif.get_ifd(GPS_IFD):
            left.append("GPS location")
        if any(tag in exif.get_ifd(0x8769) for tag in _DEVICE_TAGS):
            left.append("camera serial number or owner")
    image.seek(0)
    packet = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp") or b""
    left += xmp_leaks(packet.encode() if isinstance(packet, str) else bytes(packet))
    if left:
        raise ImageRefused("Metadata cannot be removed",
                           f"the {', '.join(sorted(set(left)))} in this file could not be removed without "
                           "re-encoding it; export the photo as JPEG, PNG or WebP without location and upload that")


def _upright(image: Any, box: int) -> Any:
    """The first frame fitted in ``box`` (never enlarged), turned by its EXIF orientation, in sRGB (RGB, or RGBA
    with transparency), with no metadata."""
    from PIL import ImageCms, ImageOps

    Image = _pillow()
    if image.format == "JPEG":
        # Decode at 1/2, 1/4 or 1/8 scale where that still covers the box: a 24-megapixel photo then takes a
        # quarter of the memory and time (the DCT does the first reduction).
        image.draft("RGB" if image.mode == "RGB" else None, (box, box))
    image.seek(0)
    frame = ImageOps.exif_transpose(image)
    frame.thumbnail((box, box), Image.Resampling.LANCZOS)
    has_alpha = frame.mode in ("RGBA", "LA", "PA") or (frame.mode == "P" and "transparency" in frame.info)
    mode = "RGBA" if has_alpha else "RGB"
    icc = frame.info.get("icc_profile")
    if icc and frame.mode in ("RGB", "RGBA", "CMYK"):
        try:  # an Adobe RGB or Display P3 photo would look washed out if its profile were just dropped
            frame = ImageCms.profileToProfile(frame, ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                                              ImageCms.createProfile("sRGB"), outputMode=mode)
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass
    frame = frame.convert(mode)
    frame.info = {}
    return frame


def _renditions(largest: Any) -> list[Rendition]:
    """Each size in WebP and JPEG, from the largest one down (``largest`` already fits the biggest box)."""
    Image = _pillow()
    made = []
    for name, box in RENDITION_BOXES.items():
        resized = largest.copy()
        resized.thumbnail((box, box), Image.Resampling.LANCZOS)  # keeps the aspect, never enlarges
        for extension, (fmt, media_type, options) in _SAVE.items():
            picture = resized
            if fmt == "JPEG" and picture.mode == "RGBA":  # no alpha in JPEG: on white, as a page would show it
                picture = Image.new("RGB", resized.size, (255, 255, 255))
                picture.paste(resized, mask=resized.getchannel("A"))
            made.append(Rendition(f"{name}.{extension}", _encoded(picture, fmt, options), media_type,
                                  *resized.size))
    return made


def _encoded(picture: Any, fmt: str, options: dict[str, Any]) -> bytes:
    """The picture encoded as ``fmt``. Into a real file, not a BytesIO: Pillow then encodes straight to the file
    descriptor with the GIL released, whereas a progressive, optimized JPEG written to a BytesIO is encoded in
    one call that holds the GIL (80 to 100 ms for the 1,600 px size: GETs waited that long at p99 during uploads,
    bench/media.py, against a 50 ms target)."""
    with tempfile.TemporaryFile(prefix="rendition-") as out:
        picture.save(out, fmt, **options)
        out.seek(0)
        return out.read()


def _blurhash(upright: Any) -> str:
    Image = _pillow()
    small = upright.convert("RGB")
    small.thumbnail((BLURHASH_BOX, BLURHASH_BOX), Image.Resampling.BILINEAR)
    raw = small.tobytes()
    return blurhash.encode([tuple(raw[i:i + 3]) for i in range(0, len(raw), 3)], small.width, small.height)
