"""The inbox's answers at the HTTP edge (issue 12): bodies too large however they are sent are 413, a body that
cannot be read is 400, and a key the private-address policy will not fetch is a permanent 401, never a 503 that
invites the peer to retry for ever."""

from __future__ import annotations

import gzip
import json

import aiohttp

from tests.fakeremote import FakeRemote
from tests.integration.test_inbox_security import (
    assert_problem, follow_of, inbox_url, node_and_remote, signed_post, stored,
)
from tests.nodes import node_config, running_node
from federation.sig.cavage import sign_request


async def _post_chunked(url: str, body: bytes, headers: dict[str, str], chunk: int) -> tuple[int, dict, str]:
    async def chunks():
        for i in range(0, len(body), chunk):
            yield body[i:i + chunk]

    async with aiohttp.ClientSession(auto_decompress=False) as session:
        async with session.post(url, data=chunks(), headers=headers) as resp:
            return resp.status, dict(resp.headers), await resp.text()


async def test_inbox__chunked_2_5_mib_body_413(tmp_path):
    """A 2.5 MiB chunked body (no Content-Length), in small or in 1 MiB chunks: 413 problem, nothing stored."""
    async with node_and_remote(tmp_path) as (node, remote):
        url = inbox_url(node, "/inbox")
        follow = {**follow_of(node, remote), "padding": "x" * (5 * 512 * 1024)}
        body = json.dumps(follow).encode()
        headers = sign_request("POST", url, body=body, key_id=remote.key_id_of(follow["actor"]),
                               private_key=remote.private_key)
        for chunk in (4096, 1024 * 1024):
            doc = assert_problem(await _post_chunked(url, body, headers, chunk), 413)
            assert "limit" in doc["detail"]
        assert await stored(node) == (0, 0, 0)


async def test_inbox__small_gzip_of_huge_body_413(tmp_path):
    """A gzip-encoded body of 40 KB that inflates past the limit is refused 413 on its inflated size."""
    async with node_and_remote(tmp_path) as (node, remote):
        url = inbox_url(node, "/inbox")
        follow = {**follow_of(node, remote), "padding": "x" * (3 * 1024 * 1024)}
        body = json.dumps(follow).encode()
        headers = sign_request("POST", url, body=body, key_id=remote.key_id_of(follow["actor"]),
                               private_key=remote.private_key)
        packed = gzip.compress(body)
        assert len(packed) < 64 * 1024
        answer = await _post_chunked(url, packed, {**headers, "Content-Encoding": "gzip"}, 16384)
        assert_problem(answer, 413)
        assert await stored(node) == (0, 0, 0)


async def test_inbox__body_labelled_gzip_but_not_400(tmp_path):
    """A body whose Content-Encoding says gzip but which is not: 400 problem (it was a 500), nothing stored."""
    async with node_and_remote(tmp_path) as (node, remote):
        url = inbox_url(node, "/inbox")
        body = json.dumps(follow_of(node, remote)).encode()
        headers = sign_request("POST", url, body=body, key_id=remote.key_id_of(follow_of(node, remote)["actor"]),
                               private_key=remote.private_key)
        answer = await _post_chunked(url, body, {**headers, "Content-Encoding": "gzip"}, 16384)
        assert_problem(answer, 400)
        assert await stored(node) == (0, 0, 0)


async def test_inbox__key_on_refused_private_address_is_permanent_401(tmp_path):
    """With private addresses refused, a key on loopback cannot be fetched by policy: 401 naming the reason, and
    again 401 (not a cached 503) when the peer tries once more; nothing stored."""
    config = node_config(tmp_path, "baku", sections={"federation": {"allow_private_addresses": False}})
    async with running_node(tmp_path, "baku", config=config) as node, FakeRemote() as remote:
        remote.serve_actor(remote.generated_actor(remote.url("/users/alice")))
        for _ in range(2):
            answer = await signed_post(remote, inbox_url(node, "/inbox"), follow_of(node, remote))
            doc = assert_problem(answer, 401)
            assert "address" in doc["detail"] and "Retry-After" not in answer[1]
        assert await stored(node) == (0, 0, 0)
