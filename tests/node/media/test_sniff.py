"""A file's type from its first bytes: the formats the stock takes, and the ones it refuses (anything a browser
could render as a page, and anything it cannot name)."""

from __future__ import annotations

import pytest

from node.media.sniff import Refused, sniff


def mp3_frame() -> bytes:
    # MPEG-1 layer III, 128 kbit/s, 44.1 kHz, no padding: 417 bytes per frame.
    header = b"\xff\xfb\x90\x00"
    return header + b"\x00" * (417 - 4)


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x02\x00" + b"".join(compatible)
    return (8 + len(body)).to_bytes(4, "big") + b"ftyp" + body + b"\x00\x00\x00\x08free"


@pytest.mark.parametrize(("head", "media_type", "kind", "extension"), [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg", "image", "jpg"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png", "image", "png"),
    (b"GIF89a\x01\x00\x01\x00", "image/gif", "image", "gif"),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp", "image", "webp"),
    (ftyp(b"avif", b"mif1", b"miaf"), "image/avif", "image", "avif"),
    (ftyp(b"mif1", b"heic"), "image/heic", "image", "heic"),
    (b"II*\x00\x08\x00\x00\x00", "image/tiff", "image", "tif"),
    (b"MM\x00*\x00\x00\x00\x08", "image/tiff", "image", "tif"),
    (ftyp(b"isom", b"iso2", b"avc1", b"mp41"), "video/mp4", "video", "mp4"),
    (ftyp(b"qt  "), "video/quicktime", "video", "mov"),
    (ftyp(b"M4A ", b"isom"), "audio/mp4", "audio", "m4a"),
    (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "video/webm", "video", "webm"),
    (b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska", "video/x-matroska", "video", "mkv"),
    (b"OggS\x00\x02" + b"\x00" * 22 + b"\x01\x1e\x01vorbis", "audio/ogg", "audio", "ogg"),
    (b"OggS\x00\x02" + b"\x00" * 22 + b"\x80theora", "video/ogg", "video", "ogv"),
    (b"ID3\x04\x00\x00\x00\x00\x00\x00" + mp3_frame(), "audio/mpeg", "audio", "mp3"),
    (mp3_frame() * 2, "audio/mpeg", "audio", "mp3"),
    (b"RIFF\x24\x00\x00\x00WAVEfmt ", "audio/wav", "audio", "wav"),
    (b"fLaC\x00\x00\x00\x22", "audio/flac", "audio", "flac"),
    (b"\xff\xf1\x50\x80\x02\x1f\xfc", "audio/aac", "audio", "aac"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3", "application/pdf", "document", "pdf"),
])
def test_sniff__recognises_the_formats_the_stock_takes(head, media_type, kind, extension):
    found = sniff(head)
    assert (found.media_type, found.kind, found.extension) == (media_type, kind, extension)


@pytest.mark.parametrize("head", [
    b"<!DOCTYPE html><html><body>hi</body></html>",
    b"<html>", b"  \n\t<HTML lang=en>", b"<script>alert(1)</script>", b"<iframe src=x>", b"<b>bold</b>",
    b"<!-- a comment --><p>text</p>",
    b"\xef\xbb\xbf<html>",  # UTF-8 byte-order mark first
    "<html>".encode("utf-16-le"), b"\xff\xfe" + "<html>".encode("utf-16-le"),
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    b"<!-- generator -->\n<svg>", b"text first, then <html> later",
])
def test_sniff__refuses_what_a_browser_would_render_as_a_page(head):
    with pytest.raises(Refused, match="HTML, SVG and XML"):
        sniff(head)


@pytest.mark.parametrize("head", [b"plain text, not a medium", b"\x00\x01\x02\x03" * 8, b"PK\x03\x04zip",
                                  b"\xff\xfb\x90\x00" + b"\x00" * 413 + b"not a second frame"])
def test_sniff__refuses_what_it_cannot_name(head):
    with pytest.raises(Refused, match="could not be recognised"):
        sniff(head)


def test_sniff__refuses_an_empty_file():
    with pytest.raises(Refused, match="empty"):
        sniff(b"")


def test_sniff__a_jpeg_named_like_a_page_is_still_a_jpeg():
    # The name never enters: only bytes do, and a JPEG whose metadata holds markup stays a JPEG.
    assert sniff(b"\xff\xd8\xff\xe1\x00\x20Exif<html><script>").media_type == "image/jpeg"
