"""Photos through the editor API on a real loopback node: cleaned of location and serials, read for caption and
credit, measured, given a BlurHash and derivatives, served safely; bombs and broken files refused, nothing kept."""

from __future__ import annotations

import hashlib
import io
import warnings
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.node.media import photos
from tests.node.media.test_stock_api import _upload_raw, png, stored_files
from tests.nodes import node_on, running_node


def _assert_clean(data: bytes) -> None:
    """No GPS directory, no serial number, no owner, no XMP GPS anywhere in these bytes."""
    with Image.open(io.BytesIO(data)) as image:
        assert image.getexif().get_ifd(0x8825) == {}
    for secret in (photos.SERIAL, photos.LENS_SERIAL, photos.OWNER, "GPSLatitude", "GPSLongitude"):
        assert secret.encode() not in data, secret


async def _get(baku, url: str) -> tuple[int, bytes, Any]:
    async with baku.session.get(url) as resp:
        return resp.status, await resp.read(), resp.headers.copy()


@pytest.mark.postgres
async def test_images__own_photo_is_cleaned_read_and_derived_and_every_served_byte_is_clean(tmp_path, database_url):
    """GPS, serials and owner never reach a reader; caption and credit come from the file; pixels unchanged."""
    upload = photos.jpeg(xmp=True)
    async with node_on(tmp_path, "baku", database_url) as baku:
        status, item = await _upload_raw(baku, upload, "image/jpeg", filename="dawn.jpg", alt="Ferry at dawn")
        assert status == 201, item
        assert item["removed_metadata"] == ["GPS location", "camera owner's name", "camera serial number",
                                            "lens serial number"]
        assert item["caption"] == {"en": photos.CAPTION, "az": "Bərə sübh çağı Bakı limanını tərk edir."}
        assert item["credit"] == "Baku News Agency / R. Aliyev" and item["copyright"] == photos.COPYRIGHT
        assert item["digital_source_type"].endswith("/digitalCapture")
        assert (item["width"], item["height"]) == (64, 48) and len(item["blurhash"]) == 28

        status, served, headers = await _get(baku, item["url"])
        assert status == 200
        assert item["id"] == hashlib.sha256(served).hexdigest() != hashlib.sha256(upload).hexdigest()
        _assert_clean(served)
        assert photos.decoded(served) == photos.decoded(upload)
        assert headers["Content-Type"] == "image/jpeg" and headers["X-Content-Type-Options"] == "nosniff"

        assert sorted(item["renditions"]) == ["thumb.jpg", "thumb.webp", "web.jpg", "web.webp"]
        for name, rendition in item["renditions"].items():
            assert rendition["url"] == f"{item['url']}/{name}"
            status, data, headers = await _get(baku, rendition["url"])
            assert status == 200 and len(data) == rendition["size"]
            assert hashlib.sha256(data).hexdigest() == rendition["sha256"]
            expected = "image/jpeg" if name.endswith(".jpg") else "image/webp"
            assert headers["Content-Type"] == rendition["media_type"] == expected
            assert headers["Cache-Control"] == "public, max-age=31536000, immutable" and headers["ETag"]
            assert headers["X-Content-Type-Options"] == "nosniff" and "sandbox" in headers["Content-Security-Policy"]
            _assert_clean(data)
            with Image.open(io.BytesIO(data)) as image:
                assert image.size == (rendition["width"], rendition["height"]) and not image.getexif()

        # The photo as uploaded is not kept; the same upload again finds the item.
        for path in stored_files(Path(baku.config.media["dir"])):
            _assert_clean(path.read_bytes())
        status, again = await _upload_raw(baku, upload, "image/jpeg", alt="Another text")
        assert status == 200 and again["id"] == item["id"] and again["alt"] == {"en": "Ferry at dawn"}
        kept = {p.name for p in stored_files(Path(baku.config.media["dir"]))}
        assert hashlib.sha256(upload).hexdigest() not in kept

        status, problem, headers = await _get(baku, f"{item['url']}/poster.jpg")
        assert status == 404 and b"No such rendition" in problem
        assert headers["Content-Type"].startswith("application/problem+json")


async def test_images__the_uploaders_fields_win_over_the_files(tmp_path):
    """A caption or credit given with the upload is kept; the file fills only what was not given."""
    async with running_node(tmp_path, "baku", languages=["az", "en"]) as baku:
        status, item = await _upload_raw(baku, photos.jpeg(), "image/jpeg", caption="Bərə", credit="AZ / Staff")
        assert status == 201, item
        assert item["caption"] == {"az": "Bərə"} and item["credit"] == "AZ / Staff"
        assert item["copyright"] == photos.COPYRIGHT  # not given: from the file's IPTC
        status, item = await _upload_raw(baku, photos.jpeg(image=photos.picture(30, 30)), "image/jpeg")
        assert item["caption"] == {"az": photos.CAPTION}  # IPTC's caption, in the agency's first language


async def test_images__a_png_named_jpg_stays_png_and_a_clean_file_keeps_its_hash(tmp_path):
    """Typed from its bytes; nothing to remove, so the item is the upload's very bytes."""
    async with running_node(tmp_path, "baku") as baku:
        upload = png(40, 20)
        status, item = await _upload_raw(baku, upload, "image/jpeg", filename="chart.jpg")
        assert status == 201, item
        assert item["media_type"] == "image/png" and item["id"] == hashlib.sha256(upload).hexdigest()
        assert item["removed_metadata"] == [] and (item["width"], item["height"]) == (40, 20)
        status, data, headers = await _get(baku, item["renditions"]["thumb.webp"]["url"])
        assert status == 200 and headers["Content-Type"] == "image/webp" and data.startswith(b"RIFF")


async def test_images__a_decompression_bomb_is_422_and_nothing_is_kept(tmp_path):
    """A 30000 x 30000 PNG header in a few hundred bytes: refused before decoding, no file, no row."""
    async with running_node(tmp_path, "baku") as baku:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            status, problem = await _upload_raw(baku, photos.bomb_png(), "image/png")
        assert status == 422, problem
        assert problem["title"] == "Image has too many pixels" and "89,478,485" in problem["detail"]
        assert stored_files(Path(baku.config.media["dir"])) == []
        _, listed = await baku.api("GET", "/api/media")
        assert listed["media"] == []


async def test_images__a_truncated_photo_is_422_and_nothing_is_kept(tmp_path):
    """Sniffs as a JPEG, does not decode: refused with the reason, the stored upload removed again."""
    upload = photos.jpeg()
    async with running_node(tmp_path, "baku") as baku:
        status, problem = await _upload_raw(baku, upload[: len(upload) // 2], "image/jpeg")
        assert status == 422, problem
        assert problem["title"] == "Unreadable image"
        assert stored_files(Path(baku.config.media["dir"])) == []
        _, listed = await baku.api("GET", "/api/media")
        assert listed["media"] == []


async def test_images__a_story_carries_size_and_blurhash_to_federation(tmp_path):
    """The lead image's width, height and BlurHash reach the story's Article attachment; its renditions are in
    the story's media."""
    async with running_node(tmp_path, "baku") as baku:
        _, item = await _upload_raw(baku, photos.jpeg(), "image/jpeg", alt="Ferry at dawn")
        status, story = await baku.api("POST", "/api/stories", {
            "headline": "Ferry service resumes", "body": "<p>The ferry runs again.</p>", "language": "en",
            "image": item["id"]})
        assert status == 201, story
        (media,) = story["media"]
        assert (media["width"], media["height"], media["blurhash"]) == (64, 48, item["blurhash"])
        assert media["renditions"]["thumb.webp"] == item["renditions"]["thumb.webp"]
        status, article, _ = await baku.get(story["url"].removeprefix(baku.base_url))
        assert status == 200
        (attachment,) = article["attachment"]
        assert attachment["blurhash"] == item["blurhash"] and attachment["width"] == 64
