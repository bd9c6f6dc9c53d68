"""Partners' media reach our stock verified: two real nodes on loopback, and a fake remote for what a partner's
server can get wrong (a digest that does not match, a file too large, a 503, a private address)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, AsyncIterator
from urllib.parse import urlsplit

import pytest

from federation.multikey import digest_multibase
from federation.store.models import Following
from federation.vocab import PUBLIC
from node.media.models import MediaItem
from node.media.wire_models import WireMedia
from tests.fakeremote import FakeRemote
from tests.node.media import photos
from tests.node.media.test_stock_api import png, stored_files
from tests.nodes import TOKEN, RunningNode, node_config, node_on, running_node, settle

AS = "https://www.w3.org/ns/activitystreams"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def multibase_of(data: bytes) -> str:
    return digest_multibase(hashlib.sha256(data).digest())


async def _upload(node: RunningNode, body: bytes, **params: str) -> dict[str, Any]:
    async with node.session.post(node.base_url + "/api/media", data=body, params=params, headers=AUTH) as resp:
        assert resp.status == 201, await resp.text()
        return await resp.json()


async def _follow(follower: RunningNode, target: RunningNode) -> None:
    status, doc = await follower.api("POST", "/api/following", {"handle": target.handle})
    assert status == 202, doc
    await settle(follower, target)


async def _wire_media(node: RunningNode) -> list[WireMedia]:
    return await node.db(lambda: WireMedia.all().order_by("id"))


def _media_root(node: RunningNode) -> Path:
    return Path(node.config.media["dir"])


# -- a fake partner server ------------------------------------------------------------------------------------

@contextlib.asynccontextmanager
async def ankara_and_remote(tmp_path: Path, *, media: dict[str, Any] | None = None,
                            federation: dict[str, Any] | None = None
                            ) -> AsyncIterator[tuple[RunningNode, FakeRemote, str]]:
    """Ankara following an agency served by a fake remote; yields the node, the fake and the agency's actor id."""
    config = node_config(tmp_path, "ankara", sections={"media": media or {}, "federation": federation or {}})
    async with running_node(tmp_path, "ankara", config=config) as ankara, FakeRemote() as remote:
        actor_id = remote.url("/users/tass")
        remote.serve_actor(remote.generated_actor(actor_id))
        await _follow_remote(ankara, actor_id)
        yield ankara, remote, actor_id


async def _follow_remote(ankara: RunningNode, actor_id: str) -> None:
    """Record that Ankara follows `actor_id` (fetched from the fake as the node would)."""
    async def _do() -> None:
        actor = await ankara.node.fed.fetcher.actor(actor_id)
        await Following.create(actor_id=actor.id, local="ankara", state="accepted",
                               follow_activity_id=f"{ankara.base_url}/activities/follow-{actor.id}")

    await ankara.db(_do)


async def _send_story(ankara: RunningNode, remote: FakeRemote, actor_id: str, attachments: list[dict[str, Any]],
                      n: int = 1) -> dict[str, Any]:
    """A signed Create{Article} with `attachments` from the fake agency, processed by Ankara; the activity."""
    story_id = remote.url(f"/articles/{n}")
    create = {"@context": AS, "id": remote.url(f"/activities/create-{n}"), "type": "Create", "actor": actor_id,
              "to": [PUBLIC], "object": {
                  "id": story_id, "type": "Article", "attributedTo": actor_id, "name": "Grain corridor reopens",
                  "content": "<p>Ships sail again.</p>", "published": "2026-12-06T10:00:00Z", "to": [PUBLIC],
                  "attachment": attachments}}
    status, text = await remote.post_signed(ankara.node.urls.shared_inbox, create)
    assert status == 202, text
    assert await ankara.node.process_inbox_once() == 1
    return create


def _image(url: str, *, digest: str | None, media_type: str = "image/png") -> dict[str, Any]:
    obj = {"type": "Image", "mediaType": media_type, "url": url, "name": "Ships in the harbour",
           "creditText": "TASS / I. Petrov"}
    if digest is not None:
        obj["digestMultibase"] = digest
    return obj


# -- two real nodes ------------------------------------------------------------------------------------------

@pytest.mark.postgres
async def test_media_exchange__partner_photo_arrives_verified_with_credit_and_origin(tmp_path, database_url):
    """Baku publishes a story with its photo; Ankara fetches it, the digest verifies, its stock keeps Baku's
    credit and origin, and serves the very bytes Baku served."""
    async with node_on(tmp_path, "baku", database_url) as baku, node_on(tmp_path, "ankara", database_url) as ankara:
        photo = png(40, 30)
        item = await _upload(baku, photo, alt="The Aktau ferry at dawn", credit="Baku News Agency / R. Aliyev",
                             copyright="2026 Baku News Agency", digital_source_type="digitalCapture")
        await _follow(ankara, baku)
        status, story = await baku.api("POST", "/api/stories", {
            "headline": "Caspian ferry line reopens", "summary": "Crossings resume.", "body": "<p>Ferry.</p>",
            "language": "en", "image": item["id"]})
        assert status == 201, story
        await settle(baku, ankara)

        [row] = await _wire_media(ankara)
        assert (row.state, row.lead, row.expected_sha256) == ("waiting", True, item["id"])
        assert await ankara.node.fetch_media_once() == 1
        [row] = await _wire_media(ankara)
        assert (row.state, row.verdict, row.actual_sha256) == ("stored", "verified", item["id"]), row.reason

        _, media = await ankara.api("GET", "/api/media")
        [got] = media["media"]
        assert got["id"] == item["id"] and got["credit"] == "Baku News Agency / R. Aliyev"
        assert got["copyright"] == "2026 Baku News Agency" and got["alt"] == {"en": "The Aktau ferry at dawn"}
        assert got["origin_actor"] == baku.actor_id and got["origin_url"] == item["url"]
        assert got["digital_source_type"] == item["digital_source_type"] and got["media_type"] == "image/png"
        async with ankara.session.get(got["url"]) as resp:
            assert resp.status == 200 and await resp.read() == photo

        _, wire = await ankara.api("GET", "/api/wire/story?id=" + story["url"])
        [listed] = wire["media"]
        assert listed["verdict"] == "verified" and listed["stock_url"] == got["url"] and listed["lead"] is True

        # `verify` fetches the file again and checks it; once the origin serves other bytes, it says so (exit 10).
        status, report = await ankara.api("POST", "/api/verify", {"url": story["url"]})
        assert status == 200 and report["exit_code"] == 0 and report["media_summary"] == {"verified": 1}
        baku.node.media_store.path(item["id"]).write_bytes(png(41, 30))
        _, report = await ankara.api("POST", "/api/verify", {"url": story["url"]})
        assert report["status"] == "verified" and report["exit_code"] == 10
        assert report["media"][0]["verdict"] == "mismatch" and report["media"][0]["expected_sha256"] == item["id"]


# -- what a partner's server can get wrong --------------------------------------------------------------------

async def test_media_exchange__digest_mismatch_is_kept_out_with_the_reason(tmp_path):
    """A file whose bytes are not the ones the story's digest names: verdict mismatch with both hashes, nothing
    in the stock, no file left in the store, and the wire story shows why."""
    async with ankara_and_remote(tmp_path) as (ankara, remote, actor_id):
        served, promised = png(5, 5), png(6, 6)
        url = remote.serve_file("/files/ships.png", served, "image/png")
        create = await _send_story(ankara, remote, actor_id, [_image(url, digest=multibase_of(promised))])
        assert await ankara.node.fetch_media_once() == 1

        [row] = await _wire_media(ankara)
        assert (row.state, row.verdict) == ("rejected", "mismatch")
        assert row.actual_sha256 == hashlib.sha256(served).hexdigest()
        assert hashlib.sha256(promised).hexdigest() in row.reason and row.actual_sha256 in row.reason
        assert await ankara.db(lambda: MediaItem.all().count()) == 0
        assert stored_files(_media_root(ankara)) == []
        _, wire = await ankara.api("GET", "/api/wire/story?id=" + create["object"]["id"])
        assert wire["media"][0]["verdict"] == "mismatch" and wire["media"][0]["stock_url"] is None
        assert "kept out of the stock" in wire["media"][0]["reason"]
        _, report = await ankara.api("POST", "/api/verify", {"document": create})
        assert report["media_summary"] == {"mismatch": 1} and report["media"][0]["sha256"] == row.actual_sha256


async def test_media_exchange__file_over_the_size_cap_is_cut_off_and_nothing_kept(tmp_path):
    """Over [media] max_image_bytes: refused from its Content-Length, or cut off while streaming when the server
    sends none; verdict too-large, nothing in the stock or the store."""
    async with ankara_and_remote(tmp_path, media={"max_image_bytes": 2048}) as (ankara, remote, actor_id):
        big = png(4, 4, extra=b"x" * 6000)
        announced = remote.serve_file("/files/big.png", big, "image/png")
        streamed = remote.serve_file("/files/big-chunked.png", big, "image/png", chunked=True)
        await _send_story(ankara, remote, actor_id, [_image(announced, digest=multibase_of(big)),
                                                    _image(streamed, digest=multibase_of(big))])
        assert await ankara.node.fetch_media_once() == 2

        rows = await _wire_media(ankara)
        assert [(r.state, r.verdict) for r in rows] == [("rejected", "too-large")] * 2
        assert "announced" in rows[0].reason and "cut off" in rows[1].reason
        assert await ankara.db(lambda: MediaItem.all().count()) == 0
        assert stored_files(_media_root(ankara)) == []


async def test_media_exchange__503_is_retried_after_retry_after_then_verified(tmp_path):
    """A 503 with Retry-After leaves the row waiting until then; the next attempt fetches and verifies."""
    async with ankara_and_remote(tmp_path) as (ankara, remote, actor_id):
        photo = png(7, 3)
        url = remote.serve_file("/files/later.png", photo, "image/png", statuses=[503], retry_after=120)
        await _send_story(ankara, remote, actor_id, [_image(url, digest=multibase_of(photo))])
        before = datetime.now(timezone.utc)
        assert await ankara.node.fetch_media_once() == 1
        [row] = await _wire_media(ankara)
        assert (row.state, row.verdict, row.last_error) == ("waiting", "", "HTTP 503")
        assert row.next_attempt_at >= before + timedelta(seconds=120)
        assert await ankara.node.fetch_media_once() == 0  # not due yet

        assert await ankara.node.fetch_media_once(before + timedelta(seconds=200)) == 1
        [row] = await _wire_media(ankara)
        assert (row.state, row.verdict, row.attempts) == ("stored", "verified", 2)
        assert remote.file_requests == ["/files/later.png"] * 2
        assert await ankara.db(lambda: MediaItem.filter(sha256=hashlib.sha256(photo).hexdigest()).count()) == 1


async def test_media_exchange__private_address_is_refused_and_never_connected(tmp_path):
    """With private addresses not allowed (only the fake's own address let through), an attachment on another
    loopback address is refused when resolved: verdict refused, and that server never sees a connection."""
    async with contextlib.AsyncExitStack() as stack:
        hidden = await stack.enter_async_context(_Listener("127.0.0.2"))
        ankara, remote, actor_id = await stack.enter_async_context(ankara_and_remote(
            tmp_path, federation={"allow_private_addresses": False, "allowed_private_networks": ["127.0.0.1/32"]}))
        photo = png()
        await _send_story(ankara, remote, actor_id, [_image(f"http://127.0.0.2:{hidden.port}/internal.png",
                                                            digest=multibase_of(photo))])
        assert await ankara.node.fetch_media_once() == 1
        [row] = await _wire_media(ankara)
        assert (row.state, row.verdict) == ("rejected", "refused") and "private address" in row.reason
        assert hidden.connections == 0
        assert await ankara.db(lambda: MediaItem.all().count()) == 0


class _Listener:
    """A TCP server that only counts connections (a service on a private address)."""

    def __init__(self, host: str) -> None:
        self.host, self.port, self.connections = host, 0, 0
        self._server: Any = None

    async def __aenter__(self) -> "_Listener":
        import asyncio

        def _accept(reader: Any, writer: Any) -> None:
            self.connections += 1
            writer.close()

        self._server = await asyncio.start_server(_accept, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self._server.close()
        await self._server.wait_closed()


# -- recorded peers that send no digest ------------------------------------------------------------------------

def _served_file(tmp_path: Path, attachment: dict[str, Any]) -> bytes:
    """Real bytes of the announced type and size: a received file is measured and derived like an upload, so a
    stand-in that is not a readable picture or video would be refused."""
    width, height = attachment.get("width") or 64, attachment.get("height") or 48
    if attachment["mediaType"] == "image/jpeg":
        out = io.BytesIO()
        photos.picture(width, height).save(out, "JPEG", quality=80)
        return out.getvalue()
    if shutil.which("ffmpeg") is None:
        pytest.skip("a video attachment needs Debian's ffmpeg to make its file")
    path = tmp_path / "video.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc=size={width}x{height}:rate=10", "-t", "1", "-pix_fmt", "yuv420p", str(path)],
                   check=True)
    return path.read_bytes()


@pytest.mark.parametrize("fixture, actor_fixture", [
    ("mastodon/generated-create-note-with-media.json", None),
    ("gotosocial/generated-create-note-with-media.json", "gotosocial/actor-the_mighty_zork.json"),
])
async def test_media_exchange__recorded_attachments_are_stored_as_no_digest(tmp_path, fixture, actor_fixture):
    """Mastodon and GoToSocial attachments carry no digest: each file is fetched into the stock with verdict
    no-digest, keeping the sender as origin and its description and focal point, measured (size, blurhash) and
    with thumbnails or a poster of our own."""
    async with running_node(tmp_path, "ankara") as ankara, FakeRemote() as remote:
        if actor_fixture:
            remote.load_fixture(actor_fixture)
        create = remote.load_fixture(fixture)
        await _follow_remote(ankara, create["actor"])
        attachments = create["object"]["attachment"]
        for att in attachments:
            remote.serve_file(urlsplit(att["url"]).path, _served_file(tmp_path, att), att["mediaType"])
        status, text = await remote.post_signed(ankara.node.urls.shared_inbox, create)
        assert status == 202, text
        assert await ankara.node.process_inbox_once() == 1

        assert await ankara.node.fetch_media_once() == len(attachments)
        rows = await _wire_media(ankara)
        assert [(r.url, r.state, r.verdict) for r in rows] == [(a["url"], "stored", "no-digest") for a in attachments]
        items = {i.origin_url: i for i in await ankara.db(lambda: MediaItem.all())}
        for att in attachments:
            item = items[att["url"]]
            assert item.origin_actor == create["actor"] and item.media_type == att["mediaType"]
            assert item.alt == {"en": att["name"]} and item.blurhash  # ours, measured from the bytes
            assert (item.width, item.height) == (att.get("width") or 64, att.get("height") or 48)
            assert set(item.renditions) >= ({"thumb.webp", "thumb.jpg"} if item.kind == "image" else {"poster.jpg"})
            assert item.focal_point == att.get("focalPoint")


async def test_media_exchange__update_adds_new_attachments_and_a_deleted_story_withdraws_its_fetches(tmp_path):
    """An Update that adds a file adds its row (the stored one stays stored, fetched once); when the story is
    deleted before a file came, its fetch is withdrawn and nothing reaches the stock."""
    async with running_node(tmp_path, "baku") as baku, running_node(tmp_path, "ankara") as ankara:
        first = await _upload(baku, png(8, 8), alt="Harbour")
        second = await _upload(baku, b"%PDF-1.4\n%%EOF\n", credit="Baku News Agency")
        await _follow(ankara, baku)
        _, story = await baku.api("POST", "/api/stories", {
            "headline": "Port figures", "summary": "Numbers.", "body": "<p>Port.</p>", "language": "en",
            "image": first["id"]})
        await settle(baku, ankara)
        assert await ankara.node.fetch_media_once() == 1

        status, _ = await baku.api("PATCH", f"/api/stories/{story['id']}",
                                   {"image": first["id"], "media": [second["id"]]})
        assert status == 200
        await settle(baku, ankara)
        rows = await _wire_media(ankara)
        assert [(r.url, r.state, r.lead) for r in rows] == [(first["url"], "stored", True),
                                                            (second["url"], "waiting", False)]

        await baku.api("DELETE", f"/api/stories/{story['id']}")
        await settle(baku, ankara)
        assert await ankara.node.fetch_media_once() == 1
        rows = await _wire_media(ankara)
        assert [r.state for r in rows] == ["stored", "withdrawn"] and rows[0].attempts == 1
        assert await ankara.db(lambda: MediaItem.filter(sha256=second["id"]).count()) == 0


async def test_media_exchange__type_not_announced_or_not_taken_is_refused_and_404_gives_up(tmp_path):
    """Bytes that are not the type the attachment announced, or not a type the stock takes (HTML), are refused
    from their first bytes; a 404 is not retried. Nothing reaches the stock or the store."""
    async with ankara_and_remote(tmp_path) as (ankara, remote, actor_id):
        lying = remote.serve_file("/files/photo.png", photos.jpeg(), "image/png")
        page = remote.serve_file("/files/page.png", b"<html><script>alert(1)</script></html>" * 200, "image/png")
        gone = remote.serve_file("/files/gone.png", png(), "image/png", statuses=[404])
        await _send_story(ankara, remote, actor_id, [_image(lying, digest=None), _image(page, digest=None),
                                                    _image(gone, digest=None)])
        assert await ankara.node.fetch_media_once() == 3
        rows = await _wire_media(ankara)
        assert [(r.state, r.verdict) for r in rows] == [("rejected", "refused"), ("rejected", "refused"),
                                                        ("gave-up", "failed")]
        assert "announced as image/png, but the bytes are image/jpeg" in rows[0].reason
        assert "HTML" in rows[1].reason and rows[2].reason == "HTTP 404" and rows[2].attempts == 1
        assert await ankara.db(lambda: MediaItem.all().count()) == 0
        assert stored_files(_media_root(ankara)) == []
