"""Fetching one file (node/media/fetching.py) from a small loopback server: redirects bounded, stalls timed out,
a declared length over the limit never read, and the bytes stored exactly as served."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from typing import AsyncIterator

import pytest
from aiohttp import web

from federation.http import HttpClient, HttpPolicy
from node.media.fetching import FetchLimits, FetchProblem, digest_of, fetch_into_store
from node.media.storage import LocalStore
from node.media.wire_states import Verdict
from tests.node.media.test_stock_api import png, stored_files

LIMITS = FetchLimits(sizes={"image": 4096, "video": 4096, "audio": 4096, "document": 4096}, timeout=0.3,
                     max_seconds=5, max_redirects=2)


@contextlib.asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[tuple[str, HttpClient]]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    client = HttpClient(HttpPolicy(user_agent="test", allow_private=True))
    await client.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}", client
    finally:
        await client.close()
        await runner.cleanup()


def _app() -> web.Application:
    photo = png(4, 4)

    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"/loop/{int(request.match_info['n']) + 1}")

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound("/photo.png")

    async def stall(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "image/png"})
        await resp.prepare(request)
        await resp.write(photo[:100])
        await asyncio.sleep(1.5)  # the client's read timeout (0.3 s) ends the fetch first
        return resp

    async def huge(request: web.Request) -> web.Response:
        return web.Response(body=png(4, 4, extra=b"x" * 10_000), content_type="image/png")

    async def serve_photo(request: web.Request) -> web.Response:
        return web.Response(body=photo, content_type="image/png")

    app = web.Application()
    app.router.add_get("/photo.png", serve_photo)
    app.router.add_get("/loop/{n}", loop)
    app.router.add_get("/moved", moved)
    app.router.add_get("/stall", stall)
    app.router.add_get("/huge", huge)
    return app


async def test_fetch__stored_as_served_after_a_bounded_redirect(tmp_path):
    """One redirect is followed; the stored file is byte for byte what was served, typed from its bytes."""
    async with serving(_app()) as (base, client):
        got = await fetch_into_store(client.session, LocalStore(tmp_path), f"{base}/moved", announced_type="image/png",
                                     announced="image", limits=LIMITS)
        photo = png(4, 4)
        assert (got.sha256, got.size, got.media_type, got.created) == (
            hashlib.sha256(photo).hexdigest(), len(photo), "image/png", True)
        assert LocalStore(tmp_path).path(got.sha256).read_bytes() == photo


async def test_fetch__redirect_loop_is_refused(tmp_path):
    """More redirects than allowed: refused, nothing stored."""
    async with serving(_app()) as (base, client):
        with pytest.raises(FetchProblem) as caught:
            await fetch_into_store(client.session, LocalStore(tmp_path), f"{base}/loop/0", announced_type="",
                                   announced="", limits=LIMITS)
        assert caught.value.verdict is Verdict.REFUSED and "more than 2 redirects" in caught.value.reason
        assert stored_files(tmp_path) == []


async def test_fetch__a_stalled_transfer_times_out_and_may_be_retried(tmp_path):
    """A server that stops sending: the read timeout ends the fetch as retryable, with no file left behind."""
    async with serving(_app()) as (base, client):
        with pytest.raises(FetchProblem) as caught:
            await fetch_into_store(client.session, LocalStore(tmp_path), f"{base}/stall", announced_type="image/png",
                                   announced="image", limits=LIMITS)
        assert caught.value.retryable
        assert stored_files(tmp_path) == []


async def test_fetch__declared_length_over_the_limit_is_not_read(tmp_path):
    """Content-Length over the announced kind's limit: too-large before any byte is stored; `digest_of` (verify)
    stops the same way."""
    async with serving(_app()) as (base, client):
        for attempt in (fetch_into_store(client.session, LocalStore(tmp_path), f"{base}/huge",
                                         announced_type="image/png", announced="image", limits=LIMITS),
                        digest_of(client.session, f"{base}/huge", limits=LIMITS, announced="image")):
            with pytest.raises(FetchProblem) as caught:
                await attempt
            assert caught.value.verdict is Verdict.TOO_LARGE and "announced" in caught.value.reason
        assert stored_files(tmp_path) == []


async def test_fetch__not_http_is_refused_without_a_request(tmp_path):
    """file:, data: and other schemes are refused outright."""
    async with serving(_app()) as (_, client):
        for url in ("file:///etc/passwd", "data:image/png;base64,AAAA", "ftp://example.org/x.png"):
            with pytest.raises(FetchProblem) as caught:
                await fetch_into_store(client.session, LocalStore(tmp_path), url, announced_type="", announced="",
                                       limits=LIMITS)
            assert caught.value.verdict is Verdict.REFUSED
