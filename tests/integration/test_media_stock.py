"""The multimedia stock across agencies, end to end on real loopback nodes: a photo with a location and a camera
serial in its EXIF and a credit in its IPTC goes from Baku's stock, cleaned and C2PA-signed, onto Baku's story;
Ankara receives the story, fetches the photo, checks it against the digest the story's proof covers and against its
C2PA manifest, and keeps it in its own stock with Baku's credit; no served byte anywhere carries the location.
A copy altered in transit is kept out and reported as tampered."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from federation.multikey import digest_multibase
from node.media.models import MediaItem
from node.media.wire_models import WireMedia
from tests.integration.test_media_exchange import _follow, _image, _send_story, _upload, ankara_and_remote
from tests.node.media import photos
from tests.node.media.test_c2pa import make_pki, media_section
from tests.nodes import RunningNode, node_config, running_node, settle

CAPTURE = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"


async def _served(node: RunningNode, url: str) -> bytes:
    async with node.session.get(url) as resp:
        assert resp.status == 200, url
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        return await resp.read()


async def _every_served_byte(node: RunningNode, item: dict[str, Any]) -> list[bytes]:
    """The file and each of its renditions, as the node serves them to anyone."""
    files = [await _served(node, item["url"])]
    for rendition in item["renditions"].values():
        files.append(await _served(node, rendition["url"]))
    return files


def _assert_no_location_or_serial(files: list[bytes]) -> None:
    for data in files:
        assert photos.SERIAL.encode() not in data and photos.LENS_SERIAL.encode() not in data
        assert photos.OWNER.encode() not in data
        exif = Image.open(io.BytesIO(data)).getexif()
        assert not exif.get_ifd(0x8825), "a GPS directory is served"


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, Path]:
    return make_pki(tmp_path / "pki")


async def test_media_stock__baku_photo_reaches_ankara_verified_signed_credited_and_without_location(tmp_path, pki):
    """Baku's photo is cleaned and signed at upload; Ankara's copy is the same bytes, digest verified, C2PA valid and
    trusted by Ankara's anchors, credited to Baku from the photo's own IPTC, with thumbnails of its own."""
    baku_config = node_config(tmp_path, "baku", sections={"media": media_section(pki)})
    ankara_config = node_config(tmp_path, "ankara", sections={"media": {"c2pa_trust_anchors": str(pki["anchors"])}})
    async with running_node(tmp_path, "baku", config=baku_config) as baku, \
            running_node(tmp_path, "ankara", config=ankara_config) as ankara:
        upload = photos.jpeg()
        item = await _upload(baku, upload, alt="The ferry leaves Baku at dawn", digital_source_type="digitalCapture")
        assert "GPS location" in item["removed_metadata"] and "camera serial number" in item["removed_metadata"]
        assert item["credit"] == f"{photos.CREDIT} / {photos.BYLINE}"  # from the photo's IPTC, none typed in
        assert item["c2pa"]["verdict"] == "valid-trusted" and item["c2pa"]["signer"] == "Baku News Agency"
        _assert_no_location_or_serial(await _every_served_byte(baku, item))

        await _follow(ankara, baku)
        status, story = await baku.api("POST", "/api/stories", {
            "headline": "Ferry line reopens", "summary": "Crossings resume.", "body": "<p>Ferries sail.</p>",
            "language": "en", "image": item["id"]})
        assert status == 201, story
        await settle(baku, ankara)
        assert await ankara.node.fetch_media_once() == 1

        [row] = await ankara.db(lambda: WireMedia.all())
        assert (row.state, row.verdict, row.actual_sha256) == ("stored", "verified", item["id"])
        status, wire = await ankara.api("GET", f"/api/wire/story?id={story['url']}")
        assert status == 200, wire
        [medium] = wire["media"]
        assert medium["verdict"] == "verified" and medium["stock_id"] == item["id"] and medium["lead"] is True

        status, copy = await ankara.api("GET", f"/api/media/{item['id']}")
        assert status == 200, copy
        assert copy["origin_actor"] == baku.actor_id and copy["origin_url"] == item["url"]
        assert copy["credit"] == item["credit"] and copy["alt"] == {"en": "The ferry leaves Baku at dawn"}
        assert copy["c2pa"]["verdict"] == "valid-trusted" and copy["c2pa"]["own"] is False
        assert {"thumb.webp", "web.jpg"} <= set(copy["renditions"])
        files = await _every_served_byte(ankara, copy)
        assert files[0] == await _served(baku, item["url"])  # byte for byte what Baku signed
        _assert_no_location_or_serial(files)


async def test_media_stock__a_signed_photo_altered_in_transit_is_kept_out_and_reported_tampered(tmp_path, pki):
    """A partner's story names the digest of a signed photo but the bytes that arrive have one byte flipped: the
    file stays out of the stock and the editor reads both why (digest) and what C2PA says of it (tampered)."""
    baku_config = node_config(tmp_path, "baku", sections={"media": media_section(pki)})
    async with running_node(tmp_path, "baku", config=baku_config) as baku:
        item = await _upload(baku, photos.jpeg(), alt="Harbour", digital_source_type="digitalCapture")
        signed = await _served(baku, item["url"])
    altered = bytearray(signed)
    altered[-40] ^= 0x01  # inside the image data, before the end marker
    async with ankara_and_remote(tmp_path, media={"c2pa_trust_anchors": str(pki["anchors"])}) as (
            ankara, remote, actor_id):
        url = remote.serve_file("/files/harbour.jpg", bytes(altered), "image/jpeg")
        expected = digest_multibase(bytes.fromhex(item["id"]))
        await _send_story(ankara, remote, actor_id, [_image(url, digest=expected, media_type="image/jpeg")])
        assert await ankara.node.fetch_media_once() == 1
        [row] = await ankara.db(lambda: WireMedia.all())
        assert (row.state, row.verdict) == ("rejected", "mismatch")
        assert f"story's digest names {item['id']}" in row.reason
        assert "tampered" in row.reason and "dataHash.mismatch" in row.reason
        assert await ankara.db(lambda: MediaItem.all().count()) == 0
