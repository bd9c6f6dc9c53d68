"""Removing where a photo was taken and which camera took it, without touching anything else in the file.

Photographers' cameras and phones write the GPS position, the camera's and lens's serial numbers and the owner's
name into every photo (EXIF, and copies in XMP and Photoshop's blocks). Published as they are, they locate a
source or a reporter and tie pictures to one device. `scrub` removes exactly those and keeps the rest (IPTC and XMP
captions, credits, copyright, the camera model, exposure): the pixels are never decoded or re-encoded.

The edits keep every length the same wherever something else may point into the data: an EXIF entry is taken out
of its directory (the later entries move up, the freed slot is zeroed) and the values it pointed to are zeroed, so
no offset changes; an XMP property is overwritten with spaces (whitespace the XML parser skips). Only checksums are
recomputed (PNG chunks). So it works the same on JPEG, PNG, WebP, TIFF and the EXIF of AVIF and HEIC files.
"""

from __future__ import annotations

import re
import struct
import zlib
from typing import Iterator

__all__ = ["GPS_IFD", "scrub", "xmp_leaks"]

GPS_IFD = 0x8825
EXIF_IFD = 0x8769
GPS = "GPS location"
# In the EXIF sub-directory: what identifies the device or its owner. Canon, Nikon and Sony maker notes carry the
# body serial number again (Canon 0x000C, Nikon 0x001D), so the vendor block goes too.
_EXIF_TAGS = {0xA430: "camera owner's name", 0xA431: "camera serial number", 0xA435: "lens serial number",
              0x927C: "camera maker notes (they repeat the serial number)"}
_IFD0_TAGS = {0xC62F: "camera serial number"}  # DNG CameraSerialNumber
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}

# XMP properties by namespace URI: a local-name pattern and what it is in words.
_XMP_PROPS = {
    b"http://ns.adobe.com/exif/1.0/": ((rb"GPS[A-Za-z]*", GPS),),
    b"http://cipa.jp/exif/1.0/": ((rb"BodySerialNumber", "camera serial number"),
                                  (rb"LensSerialNumber", "lens serial number"),
                                  (rb"CameraOwnerName", "camera owner's name")),
    b"http://ns.adobe.com/exif/1.0/aux/": ((rb"SerialNumber", "camera serial number"),
                                           (rb"LensSerialNumber", "lens serial number"),
                                           (rb"OwnerName", "camera owner's name")),
}
_XMP_START, _XMP_ENDS = re.compile(rb"<x:x[am]pmeta\b"), (b"</x:xmpmeta>", b"</x:xapmeta>")
_JPEG_XMP = b"http://ns.adobe.com/xap/1.0/\x00"
_JPEG_XMP_EXTENSION = b"http://ns.adobe.com/xmp/extension/\x00"


def scrub(data: bytes, media_type: str) -> tuple[bytes, list[str]]:
    """The file without location and device identifiers, and what was removed in words (sorted); the same bytes
    and an empty list when there was nothing to remove."""
    buf = bytearray(data)
    if media_type == "image/jpeg":
        # Phones append more pictures after the first one's end (MPF: previews, depth maps), each with its own
        # EXIF and GPS; the loose passes find those too (the first picture's are already clean by then).
        removed = _jpeg(buf)
        removed |= _loose_exif(buf) | _loose_xmp(buf)
    elif media_type == "image/png":
        removed = _png(buf)
    elif media_type == "image/webp":
        removed = _webp(buf)
    elif media_type == "image/tiff":
        removed = _tiff(buf, 0, len(buf)) | _loose_xmp(buf)
    elif media_type in ("image/avif", "image/heic"):
        removed = _loose_exif(buf) | _loose_xmp(buf)
    else:  # GIF: no EXIF; its XMP trick (each byte read as a block length) cannot be edited in place
        removed = set()
    if not removed:
        return data, []
    return bytes(buf), sorted(removed)


def xmp_leaks(packet: bytes) -> list[str]:
    """What an XMP packet still says about location and device, in words (for checking a result)."""
    return sorted({what for _, _, what in _xmp_matches(packet)})


# --- EXIF (a TIFF structure) --------------------------------------------------------------------------------------

class _Tiff:
    """An EXIF/TIFF structure inside ``buf`` from ``base`` to ``end`` (offsets count from ``base``)."""

    def __init__(self, buf: bytearray, base: int, end: int, order: str) -> None:
        self.buf, self.base, self.end, self.order = buf, base, end, order

    def u16(self, at: int) -> int:
        return struct.unpack_from(self.order + "H", self.buf, self.base + at)[0]

    def u32(self, at: int) -> int:
        return struct.unpack_from(self.order + "I", self.buf, self.base + at)[0]

    def fits(self, at: int, size: int) -> bool:
        return 0 <= at and self.base + at + size <= self.end

    def entries(self, ifd: int) -> list[tuple[int, int, int, int]]:
        """(index, tag, byte size of the value, value offset or -1 when inline) of one directory."""
        if not self.fits(ifd, 2):
            return []
        count = self.u16(ifd)
        if not self.fits(ifd, 2 + 12 * count + 4):
            return []
        found = []
        for index in range(count):
            at = ifd + 2 + 12 * index
            tag, kind, n = self.u16(at), self.u16(at + 2), self.u32(at + 4)
            size = _TYPE_SIZES.get(kind, 1) * n
            found.append((index, tag, size, self.u32(at + 8) if size > 4 else -1))
        return found

    def zero(self, at: int, size: int) -> None:
        if at >= 0 and self.fits(at, 0):
            stop = min(self.base + at + size, self.end)
            self.buf[self.base + at:stop] = bytes(stop - self.base - at)

    def remove_entry(self, ifd: int, index: int, size: int, value_at: int) -> None:
        """Take one entry out of its directory: the later ones (and the next-directory offset) move up."""
        count = self.u16(ifd)
        if index >= count:  # a damaged file whose directories overlap: already gone
            return
        first, stop = self.base + ifd + 2 + 12 * index, self.base + ifd + 2 + 12 * count + 4
        self.buf[first:stop - 12] = self.buf[first + 12:stop]
        self.buf[stop - 12:stop] = bytes(12)
        struct.pack_into(self.order + "H", self.buf, self.base + ifd, count - 1)
        if value_at >= 0:
            self.zero(value_at, size)

    def drop(self, ifd: int, tags: dict[int, str]) -> set[str]:
        removed = set()
        for index, tag, size, value_at in reversed(self.entries(ifd)):
            if tag in tags:
                self.remove_entry(ifd, index, size, value_at)
                removed.add(tags[tag])
        return removed


def _tiff(buf: bytearray, base: int, end: int) -> set[str]:
    """Remove the GPS directory and the device identifiers from the TIFF structure at ``buf[base:end]``."""
    order = {b"II": "<", b"MM": ">"}.get(bytes(buf[base:base + 2]))
    if order is None or end - base < 8:
        return set()
    tiff = _Tiff(buf, base, end, order)
    if tiff.u16(2) != 42:
        return set()
    ifd0 = tiff.u32(4)
    removed = set()
    for index, tag, size, value_at in reversed(tiff.entries(ifd0)):
        if tag == GPS_IFD:
            gps = tiff.u32(ifd0 + 2 + 12 * index + 8)
            for _, _, gps_size, gps_value in tiff.entries(gps):
                if gps_value >= 0:
                    tiff.zero(gps_value, gps_size)
            if tiff.fits(gps, 2):
                tiff.zero(gps, 2 + 12 * tiff.u16(gps) + 4)
            tiff.remove_entry(ifd0, index, 0, -1)
            removed.add(GPS)
    removed |= tiff.drop(ifd0, _IFD0_TAGS)
    exif = next((tiff.u32(ifd0 + 2 + 12 * i + 8) for i, t, _, _ in tiff.entries(ifd0) if t == EXIF_IFD), None)
    if exif is not None:
        removed |= tiff.drop(exif, _EXIF_TAGS)
    return removed


def _loose_exif(buf: bytearray) -> set[str]:
    """EXIF blocks found by their TIFF header (first directory at offset 8, as every camera writes it), with or
    without the "Exif" prefix, anywhere in a container we do not walk (the Exif item of AVIF and HEIC files)."""
    removed: set[str] = set()
    for header in (b"MM\x00*\x00\x00\x00\x08", b"II*\x00\x08\x00\x00\x00"):
        for at in [m.start() for m in re.finditer(re.escape(header), buf)]:
            removed |= _tiff(buf, at, len(buf))
    return removed


# --- XMP ----------------------------------------------------------------------------------------------------------

def _xmp_matches(packet: bytes) -> Iterator[tuple[int, int, str]]:
    for uri, props in _XMP_PROPS.items():
        for prefix in set(re.findall(rb"xmlns:([A-Za-z_][\w.-]*)\s*=\s*[\"']" + re.escape(uri) + rb"[\"']", packet)):
            p = re.escape(prefix)
            for name, what in props:
                attribute = rb"(?<=\s)" + p + rb":" + name + rb"\s*=\s*(?:\"[^\"]*\"|'[^']*')"
                element = (rb"<" + p + rb":(?P<n>" + name + rb")\b[^>]*?(?:/>|>.*?</" + p + rb":(?P=n)\s*>)")
                for pattern in (attribute, element):
                    for m in re.finditer(pattern, packet, re.DOTALL):
                        yield m.start(), m.end(), what


def _xmp(buf: bytearray, start: int, end: int) -> set[str]:
    """Overwrite the location and device properties of the XMP in ``buf[start:end]`` with spaces."""
    removed = set()
    for m_start, m_end, what in list(_xmp_matches(bytes(buf[start:end]))):
        buf[start + m_start:start + m_end] = b" " * (m_end - m_start)
        removed.add(what)
    return removed


def _loose_xmp(buf: bytearray) -> set[str]:
    removed: set[str] = set()
    for start in [m.start() for m in _XMP_START.finditer(buf)]:
        stop = min((i for i in (buf.find(e, start) for e in _XMP_ENDS) if i >= 0), default=-1)
        if stop > 0:
            removed |= _xmp(buf, start, stop)
    return removed


# --- containers ---------------------------------------------------------------------------------------------------

def _jpeg(buf: bytearray) -> set[str]:
    """EXIF and XMP in APP1 segments and their copies in Photoshop's APP13 blocks, up to the image data."""
    removed: set[str] = set()
    cut: list[tuple[int, int]] = []
    at = 2
    while at + 4 <= len(buf) and buf[at] == 0xFF:
        marker = buf[at + 1]
        if marker == 0xFF:
            at += 1
            continue
        if marker in (0xDA, 0xD9):  # image data (or the end): metadata segments come before it
            break
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:
            at += 2
            continue
        start, end = at + 4, min(at + 2 + int.from_bytes(buf[at + 2:at + 4], "big"), len(buf))
        if marker == 0xE1 and buf[start:start + 6] == b"Exif\x00\x00":
            removed |= _tiff(buf, start + 6, end)
        elif marker == 0xE1 and buf[start:start + len(_JPEG_XMP)] == _JPEG_XMP:
            removed |= _xmp(buf, start + len(_JPEG_XMP), end)
        elif marker == 0xE1 and buf[start:start + len(_JPEG_XMP_EXTENSION)] == _JPEG_XMP_EXTENSION:
            # Extended XMP is split over segments under one checksum: edited it would not verify, so a part
            # that says anything about location or device goes whole.
            part = bytes(buf[start:end])
            leaks = {what for word, what in ((b"GPS", GPS), (b"SerialNumber", "camera serial number"),
                                             (b"OwnerName", "camera owner's name")) if word in part}
            if leaks:
                removed |= leaks
                cut.append((at, end))
        elif marker == 0xED and buf[start:start + 14] == b"Photoshop 3.0\x00":
            removed |= _photoshop(buf, start + 14, end)
        at = end
    for start, end in reversed(cut):
        del buf[start:end]
    return removed


def _photoshop(buf: bytearray, at: int, end: int) -> set[str]:
    """Photoshop's image resource blocks: 0x0422 holds a copy of the EXIF, 0x0424 of the XMP."""
    removed: set[str] = set()
    while at + 12 <= end and buf[at:at + 4] == b"8BIM":
        block = int.from_bytes(buf[at + 4:at + 6], "big")
        name = buf[at + 6] + 1
        name += name % 2
        size_at = at + 6 + name
        if size_at + 4 > end:
            break
        size = int.from_bytes(buf[size_at:size_at + 4], "big")
        data, stop = size_at + 4, min(size_at + 4 + size, end)
        if block in (0x0422, 0x0423):
            removed |= _tiff(buf, data + (6 if buf[data:data + 6] == b"Exif\x00\x00" else 0), stop)
        elif block == 0x0424:
            removed |= _xmp(buf, data, stop)
        at = data + size + size % 2
    return removed


def _png(buf: bytearray) -> set[str]:
    """eXIf and XMP (iTXt, compressed or not) chunks; ImageMagick's hex "Raw profile" copies of EXIF go whole."""
    removed: set[str] = set()
    out, at = [bytes(buf[:8])], 8
    while at + 12 <= len(buf):
        length = int.from_bytes(buf[at:at + 4], "big")
        kind, data = bytes(buf[at + 4:at + 8]), bytearray(buf[at + 8:at + 8 + length])
        found: set[str] = set()
        if kind == b"eXIf":
            found = _tiff(data, 6 if data[:6] == b"Exif\x00\x00" else 0, len(data))
        elif kind == b"iTXt" and data.startswith(b"XML:com.adobe.xmp\x00"):
            try:
                found = _png_xmp(data)
            except (IndexError, ValueError, zlib.error):  # what cannot be read cannot be checked: it goes
                removed.add("XMP metadata that could not be read")
                at += 12 + length
                continue
        elif kind in (b"tEXt", b"zTXt", b"iTXt") and data.lower().startswith((b"raw profile type exif\x00",
                                                                               b"raw profile type app1\x00")):
            removed.add("EXIF metadata copied into a text chunk (it holds the location and serial numbers)")
            at += 12 + length
            continue
        if found:
            removed |= found
            out.append(_png_chunk(kind, bytes(data)))
        else:
            out.append(bytes(buf[at:at + 12 + length]))
        at += 12 + length
        if kind == b"IEND":
            break
    out.append(bytes(buf[at:]))
    if removed:
        buf[:] = b"".join(out)
    return removed


def _png_xmp(data: bytearray) -> set[str]:
    # keyword \0, compression flag, method, language \0, translated keyword \0, text
    head = len(b"XML:com.adobe.xmp\x00")
    compressed = data[head] == 1
    text_at = data.index(b"\x00", data.index(b"\x00", head + 2) + 1) + 1
    text = bytearray(zlib.decompress(bytes(data[text_at:])) if compressed else data[text_at:])
    removed = _xmp(text, 0, len(text))
    if removed:
        data[text_at:] = zlib.compress(bytes(text)) if compressed else text
    return removed


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _webp(buf: bytearray) -> set[str]:
    """The EXIF and XMP chunks of an extended WebP file."""
    removed: set[str] = set()
    at = 12
    while at + 8 <= len(buf):
        kind, size = bytes(buf[at:at + 4]), int.from_bytes(buf[at + 4:at + 8], "little")
        start, end = at + 8, min(at + 8 + size, len(buf))
        if kind == b"EXIF":
            removed |= _tiff(buf, start + (6 if buf[start:start + 6] == b"Exif\x00\x00" else 0), end)
        elif kind == b"XMP ":
            removed |= _xmp(buf, start, end)
        at = start + size + size % 2
    return removed
