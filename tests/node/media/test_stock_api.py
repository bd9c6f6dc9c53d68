"""The media stock through the editor API and the public file URLs, on a real loopback node."""

from __future__ import annotations

import hashlib
import struct
import zlib
from pathlib import Path

import aiohttp
import pytest

from tests.nodes import TOKEN, node_config, running_node

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def png(width: int = 3, height: int = 2, extra: bytes = b"") -> bytes:
    """A real PNG (RGB, no filter), optionally with a tEXt chunk to make it bigger."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\x10\x20\x30" * width for _ in range(height))
    text = chunk(b"tEXt", b"Comment\x00" + extra) if extra else b""
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) + text
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def stored_files(root: Path) -> list[Path]:
    """Every file in the node's media folder (temporary uploads included)."""
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def _upload_raw(baku, body: bytes, content_type: str = "application/octet-stream", *,
                      filename: str | None = None, **params: str) -> tuple[int, dict]:
    headers = {**AUTH, "Content-Type": content_type}
    if filename is not None:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    async with baku.session.post(baku.base_url + "/api/media", data=body, params=params, headers=headers) as resp:
        return resp.status, await resp.json(content_type=None)


async def test_media__raw_upload_is_typed_from_its_bytes_and_served_as_stored(tmp_path):
    async with running_node(tmp_path, "baku") as baku:
        photo = png()
        # Named and declared as a JPEG: the bytes say PNG, and PNG it is.
        status, item = await _upload_raw(baku, photo, "image/jpeg", filename="ferry.jpg", alt="The Aktau ferry",
                                         **{"alt.az": "Aktau bərəsi", "credit": "Baku News Agency / R. Aliyev",
                                            "digital_source_type": "digitalCapture"})
        assert status == 201, item
        assert (item["id"], item["kind"], item["media_type"], item["size"]) == (
            hashlib.sha256(photo).hexdigest(), "image", "image/png", len(photo))
        assert item["alt"] == {"en": "The Aktau ferry", "az": "Aktau bərəsi"}
        assert item["credit"] == "Baku News Agency / R. Aliyev" and item["filename"] == "ferry.jpg"
        assert item["digital_source_type"] == "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"
        assert item["url"] == f"{baku.base_url}/media/{item['id']}"

        async with baku.session.get(item["url"]) as resp:
            assert resp.status == 200 and await resp.read() == photo
            assert resp.headers["Content-Type"] == "image/png"
            assert resp.headers["X-Content-Type-Options"] == "nosniff"
            assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
            assert resp.headers["Content-Disposition"].startswith("inline;")
            assert "sandbox" in resp.headers["Content-Security-Policy"]
            etag = resp.headers["ETag"]
        async with baku.session.get(item["url"], headers={"If-None-Match": etag}) as resp:
            assert resp.status == 304
        async with baku.session.get(item["url"], headers={"Range": "bytes=0-7"}) as resp:
            assert resp.status == 206 and await resp.read() == photo[:8]
            assert resp.headers["Content-Range"] == f"bytes 0-7/{len(photo)}"

        status, listed = await baku.api("GET", "/api/media?kind=image")
        assert status == 200 and [m["id"] for m in listed["media"]] == [item["id"]]
        status, one = await baku.api("GET", f"/api/media/{item['id']}")
        assert status == 200 and one["alt"]["az"] == "Aktau bərəsi"


async def test_media__the_same_file_twice_is_one_item_and_one_file(tmp_path):
    async with running_node(tmp_path, "baku") as baku:
        photo = png()
        status, first = await _upload_raw(baku, photo, "image/png", alt="First")
        assert status == 201
        form = aiohttp.FormData()
        form.add_field("alt", "Second")
        form.add_field("file", photo, filename="again.png", content_type="image/png")
        async with baku.session.post(baku.base_url + "/api/media", data=form, headers=AUTH) as resp:
            again = await resp.json()
            assert resp.status == 200, again
        assert again["id"] == first["id"] and again["alt"] == {"en": "First"}
        derived = {r["sha256"] for r in first["renditions"].values()}  # thumbnails made once, at the first upload
        assert sorted(p.name for p in stored_files(Path(baku.config.media["dir"]))) == sorted({first["id"], *derived})


async def test_media__multipart_upload_with_fields_and_a_document_served_as_a_download(tmp_path):
    async with running_node(tmp_path, "baku", languages=["az", "en"]) as baku:
        form = aiohttp.FormData()
        form.add_field("caption", "Hesabat")
        form.add_field("caption.en", "The report")
        form.add_field("copyright", "© 2026 Baku News Agency")
        form.add_field("file", PDF, filename="../../etc/passwd", content_type="text/html")
        async with baku.session.post(baku.base_url + "/api/media", data=form, headers=AUTH) as resp:
            item = await resp.json()
            assert resp.status == 201, item
        assert (item["kind"], item["media_type"], item["filename"]) == ("document", "application/pdf", "passwd")
        assert item["caption"] == {"az": "Hesabat", "en": "The report"}
        async with baku.session.get(item["url"]) as resp:
            assert await resp.read() == PDF
            assert resp.headers["Content-Type"] == "application/pdf"
            assert resp.headers["Content-Disposition"] == 'attachment; filename="passwd"'


@pytest.mark.parametrize("body", [
    b"<!DOCTYPE html><html><script>alert(1)</script></html>",
    b"\xef\xbb\xbf  <svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
    b"",
])
async def test_media__html_svg_and_empty_files_are_refused_and_nothing_is_kept(tmp_path, body):
    async with running_node(tmp_path, "baku") as baku:
        status, problem = await _upload_raw(baku, body, "image/jpeg", filename="photo.jpg")
        assert status == 415, problem
        assert problem["title"] == "Unsupported media type" and problem["detail"]
        assert stored_files(Path(baku.config.media["dir"])) == []
        _, listed = await baku.api("GET", "/api/media")
        assert listed["media"] == []


async def test_media__a_file_over_its_kinds_limit_is_cut_off_with_413_and_nothing_is_kept(tmp_path):
    config = node_config(tmp_path, "baku", sections={"media": {"max_image_bytes": 4096}})
    async with running_node(tmp_path, "baku", config=config) as baku:
        big = png(extra=b"x" * 200_000)
        status, problem = await _upload_raw(baku, big, "image/png")
        assert status == 413, problem
        assert "at most 4,096 bytes" in problem["detail"] and "max_image_bytes" in problem["detail"]
        assert stored_files(Path(baku.config.media["dir"])) == []
        status, _ = await _upload_raw(baku, png(), "image/png")  # a small one still goes in
        assert status == 201


async def test_media__bad_fields_are_422_before_anything_is_stored(tmp_path):
    async with running_node(tmp_path, "baku") as baku:
        status, problem = await _upload_raw(baku, png(), "image/png", digital_source_type="madeUp", colour="red")
        assert status == 422, problem
        assert set(problem["errors"]) == {"digital_source_type", "colour"}
        assert stored_files(Path(baku.config.media["dir"])) == []


async def test_media__uploads_need_the_token_and_unknown_files_are_404(tmp_path):
    async with running_node(tmp_path, "baku") as baku:
        async with baku.session.post(baku.base_url + "/api/media", data=png()) as resp:
            assert resp.status == 401
        async with baku.session.get(baku.base_url + "/media/" + "0" * 64) as resp:
            assert resp.status == 404
            assert (await resp.json(content_type=None))["title"] == "No such media item"
        assert stored_files(Path(baku.config.media["dir"])) == []
