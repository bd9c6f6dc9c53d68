"""What a file is, found from its first bytes: the media type the stock stores it under and its kind.

A file's name and the type a client declares are never trusted: a file called ``photo.jpg`` that begins with
``<html>`` would otherwise be served to readers' browsers as a page from the agency's origin. Only the formats
below are taken; everything else, and anything a browser could render as a document (HTML, SVG, XML), is refused
with the reason. The patterns follow the WHATWG MIME Sniffing standard where it has them.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SNIFF_BYTES", "Refused", "Sniffed", "sniff"]

# How many leading bytes `sniff` is given (the WHATWG standard reads up to 1,445; MP3 frames may sit after a tag).
SNIFF_BYTES = 4096

_EXTENSIONS = {
    "image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp", "image/avif": "avif",
    "image/heic": "heic", "image/tiff": "tif", "video/mp4": "mp4", "video/quicktime": "mov",
    "video/webm": "webm", "video/x-matroska": "mkv", "audio/mp4": "m4a", "audio/ogg": "ogg",
    "audio/mpeg": "mp3", "audio/wav": "wav", "audio/flac": "flac", "audio/aac": "aac",
    "application/pdf": "pdf", "video/ogg": "ogv", "audio/webm": "weba",
}


@dataclass(frozen=True)
class Sniffed:
    media_type: str
    kind: str  # image, video, audio or document

    @property
    def extension(self) -> str:
        return _EXTENSIONS[self.media_type]


class Refused(Exception):
    """Bytes the stock does not take; ``reason`` says why in words for the uploader."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# WHATWG "identifying a resource with an unknown MIME type": the tags that make a browser render HTML.
_HTML_TAGS = (b"<!doctype html", b"<html", b"<head", b"<script", b"<iframe", b"<h1", b"<div", b"<font",
              b"<table", b"<a", b"<style", b"<title", b"<b", b"<body", b"<br", b"<p", b"<!--")
_WHITESPACE = b"\t\n\x0c\r "
_BOMS = (b"\xef\xbb\xbf", b"\xfe\xff", b"\xff\xfe")

# ISO base media file format brands (the `ftyp` box), by what they hold.
_FTYP_IMAGE = {b"avif": "image/avif", b"avis": "image/avif", b"heic": "image/heic", b"heix": "image/heic",
               b"mif1": "image/heic", b"msf1": "image/heic", b"hevc": "image/heic"}
_FTYP_AUDIO = {b"M4A ", b"M4B ", b"M4P ", b"F4A "}
_FTYP_QUICKTIME = {b"qt  "}


def sniff(head: bytes) -> Sniffed:
    """The type of a file that begins with ``head``; `Refused` when the stock does not take it."""
    if not head:
        raise Refused("the file is empty")
    found = _binary(head)
    if found is not None:
        return found
    if _looks_like_markup(head):
        raise Refused("HTML, SVG and XML files are not accepted: a browser would render them as pages")
    raise Refused("the file's type could not be recognised from its bytes; accepted are JPEG, PNG, GIF, WebP, "
                  "AVIF, HEIC, TIFF, MP4, MOV, WebM, Matroska, Ogg, MP3, WAV, FLAC, AAC and PDF")


def _binary(head: bytes) -> Sniffed | None:
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("image/jpeg", "image")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("image/png", "image")
    if head.startswith((b"GIF87a", b"GIF89a")):
        return Sniffed("image/gif", "image")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("image/webp", "image")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return Sniffed("audio/wav", "audio")
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return Sniffed("image/tiff", "image")
    if head.startswith(b"%PDF-"):
        return Sniffed("application/pdf", "document")
    if head.startswith(b"fLaC"):
        return Sniffed("audio/flac", "audio")
    if head.startswith(b"OggS"):
        return _ogg(head)
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return _matroska(head)
    if head[4:8] == b"ftyp":
        return _ftyp(head)
    if head.startswith(b"ID3") or _mp3_frame(head):
        return Sniffed("audio/mpeg", "audio")
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:  # ADTS: sync word, layer 00
        return Sniffed("audio/aac", "audio")
    return None


def _ftyp(head: bytes) -> Sniffed | None:
    size = int.from_bytes(head[:4], "big")
    if size < 16 or size > len(head):
        size = min(len(head), 64)
    brands = [head[8:12]] + [head[i:i + 4] for i in range(16, size - 3, 4)]
    for brand in brands:
        if brand in _FTYP_IMAGE:
            return Sniffed(_FTYP_IMAGE[brand], "image")
    if head[8:12] in _FTYP_AUDIO:
        return Sniffed("audio/mp4", "audio")
    if head[8:12] in _FTYP_QUICKTIME:
        return Sniffed("video/quicktime", "video")
    return Sniffed("video/mp4", "video")


def _ogg(head: bytes) -> Sniffed:
    # The first page's packet names its codec: Theora is video, Vorbis/Opus/FLAC audio.
    if b"\x80theora" in head[:128]:
        return Sniffed("video/ogg", "video")
    return Sniffed("audio/ogg", "audio")


def _matroska(head: bytes) -> Sniffed:
    # The EBML header's DocType element (0x4282) says "webm" or "matroska".
    if b"\x42\x82\x84webm" in head[:64] or b"webm" in head[:64]:
        return Sniffed("video/webm", "video")
    return Sniffed("video/x-matroska", "video")


_MP3_BITRATES = {1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
                 2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)}
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _mp3_frame(head: bytes) -> bool:
    """An MPEG audio layer III frame header, followed by a second one where the first says it ends
    (WHATWG "match an MP3 header", checked twice so that random bytes do not pass)."""
    length = _mp3_frame_length(head, 0)
    if length is None:
        return False
    return len(head) < length + 4 or _mp3_frame_length(head, length) is not None


def _mp3_frame_length(head: bytes, at: int) -> int | None:
    if len(head) < at + 4 or head[at] != 0xFF or head[at + 1] & 0xE0 != 0xE0:
        return None
    version, layer = (head[at + 1] >> 3) & 3, (head[at + 1] >> 1) & 3
    bitrate_index, rate_index = head[at + 2] >> 4, (head[at + 2] >> 2) & 3
    if version == 1 or layer != 1 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    bitrate = _MP3_BITRATES[1 if version == 3 else 2][bitrate_index] * 1000
    rate = _MP3_RATES[version][rate_index]
    padding = (head[at + 2] >> 1) & 1
    return (144 if version == 3 else 72) * bitrate // rate + padding


def _looks_like_markup(head: bytes) -> bool:
    text = head
    for bom in _BOMS:
        if text.startswith(bom):
            text = text[len(bom):]
            break
    if text[:1] in (b"\x00",) or (len(text) > 1 and text[1:2] == b"\x00"):
        text = text.replace(b"\x00", b"")  # UTF-16: look at the ASCII letters
    text = text.lstrip(_WHITESPACE).lower()
    if text.startswith((b"<?xml", b"<svg")):
        return True
    for tag in _HTML_TAGS:
        # The tag must end there: "<b" must be followed by a space or ">" ("<blockquote" is another tag).
        if text.startswith(tag) and (tag == b"<!--" or text[len(tag):len(tag) + 1] in (b" ", b">")):
            return True
    return b"<svg" in text[:1024] or b"<html" in text[:1024]
