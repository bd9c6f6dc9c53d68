"""Slow clients against our server: headers trickled a byte at a time (slow-loris) are cut after
`[node] idle_timeout_seconds`, an inbox body trickled in is answered 408 after
`[federation] inbox_body_timeout_seconds`, and the node answers its readers while those connections hang on."""

from __future__ import annotations

import asyncio

from tests.nodes import node_config, running_node

_SECTIONS = {"node": {"idle_timeout_seconds": 1.0}, "federation": {"inbox_body_timeout_seconds": 1.0}}


async def _trickle_headers(port: int) -> bytes:
    """Open a connection and send a request's headers a byte every 0.1 s until the server hangs up; what the
    server sent back (nothing, for a cut connection)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = b"POST /inbox HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/activity+json\r\n"
    writer.write(head)
    try:
        for n in range(600):  # 60 s at most: far beyond the 1 s deadline
            writer.write(b"X-Slow-%d: y\r\n" % n)
            await writer.drain()
            try:
                data = await asyncio.wait_for(reader.read(1024), 0.1)
            except TimeoutError:
                continue
            return data  # b"" when the server closed the connection
        raise AssertionError("the server kept a slow-loris connection open for a minute")
    except ConnectionError:
        return b""
    finally:
        writer.close()


async def test_slow_clients__slow_loris_connections_are_cut_and_readers_served(tmp_path):
    """Ten connections trickling headers: each is closed by the server without an answer, and GETs of the actor
    made meanwhile are all answered."""
    config = node_config(tmp_path, "baku", sections=_SECTIONS)
    async with running_node(tmp_path, "baku", config=config) as baku:
        loris = [asyncio.create_task(_trickle_headers(config.listen_port)) for _ in range(10)]
        statuses = []
        for _ in range(10):
            async with baku.session.get(baku.actor_id, headers={"Accept": "application/activity+json"}) as r:
                await r.read()
                statuses.append(r.status)
        cut = await asyncio.wait_for(asyncio.gather(*loris), 60)
        assert statuses == [200] * 10
        assert cut == [b""] * 10, cut  # closed without an answer: the header deadline, not a parser limit


async def test_slow_clients__a_trickled_inbox_body_is_answered_408(tmp_path):
    """An inbox POST whose headers arrive whole but whose body trickles is answered 408 with a problem body
    once the body deadline passes."""
    config = node_config(tmp_path, "baku", sections=_SECTIONS)
    async with running_node(tmp_path, "baku", config=config):
        reader, writer = await asyncio.open_connection("127.0.0.1", config.listen_port)
        writer.write(b"POST /inbox HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/activity+json\r\n"
                     b"Signature: keyId=\"http://127.0.0.1:9/users/x#k\",signature=\"AA==\"\r\n"
                     b"Content-Length: 1000\r\n\r\n{")
        answer = b""
        for _ in range(600):
            writer.write(b" ")
            await writer.drain()
            try:
                answer = await asyncio.wait_for(reader.read(4096), 0.1)
            except TimeoutError:
                continue
            break
        writer.close()
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b"application/problem+json" in answer
