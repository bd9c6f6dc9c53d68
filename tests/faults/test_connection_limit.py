"""The limit on open connections per peer address ([limits] connections_per_address), with real sockets from
several loopback addresses (127.0.0.x all reach a server on 127.0.0.1 under Linux): the connection over the limit
is answered 429 with a problem document and closed, counted in the metrics, and other addresses go on being
served; a closed connection frees its place."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from node.config import ConfigError, config_from_dict
from node.web.connections import ConnectionLimit
from node.web.limits import LIMITS
from tests.nodes import migrate_in_own_context, node_config, node_config_data, running_node, write_config

ROOT = Path(__file__).resolve().parents[2]
# 127.0.0.1 (the test's own client) stays exempt; the peers below come from 127.0.0.2 and 127.0.0.3.
_SECTIONS = {"limits": {"connections_per_address": 3, "connections_exempt": ["127.0.0.1/32"]}}


class _Conn:
    """A raw HTTP/1.1 connection from a chosen source address, kept open between requests."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, source: str, port: int) -> "_Conn":
        reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
        return cls(reader, writer)

    async def get(self, path: str = "/healthz") -> tuple[int, dict[str, str], bytes]:
        """One GET on this connection; (status, headers, body). Status 0: the server closed without an answer."""
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        await self.writer.drain()
        try:
            head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), 10)
        except (asyncio.IncompleteReadError, ConnectionError):
            return 0, {}, b""
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
        body = await asyncio.wait_for(self.reader.readexactly(int(headers.get("content-length", "0"))), 10)
        return int(lines[0].split()[1]), headers, body

    async def closed_by_server(self) -> bool:
        try:
            return await asyncio.wait_for(self.reader.read(1), 10) == b""
        except ConnectionError:
            return True

    def close(self) -> None:
        self.writer.close()


async def _until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.01)


async def test_connection_limit__over_the_limit_is_refused_429_and_other_addresses_are_served(tmp_path):
    """Three connections from 127.0.0.2 are served and kept open; a fourth is answered 429 (problem document,
    Retry-After) and closed; 127.0.0.3 and the exempt 127.0.0.1 are served meanwhile; once one of the three
    closes, 127.0.0.2 gets in again; /metrics counts the refusal."""
    config = node_config(tmp_path, "baku", sections=_SECTIONS)
    async with running_node(tmp_path, "baku", config=config) as baku:
        port = config.listen_port
        limit = baku.app[LIMITS].connections
        held = [await _Conn.open("127.0.0.2", port) for _ in range(3)]
        for conn in held:
            assert (await conn.get())[0] == 200
        extra = await _Conn.open("127.0.0.2", port)
        status, headers, body = await extra.get()
        assert status == 429
        assert headers["content-type"] == "application/problem+json" and headers["retry-after"] == "5"
        problem = json.loads(body)
        assert problem["status"] == 429 and problem["title"] == "Too many connections"
        assert await extra.closed_by_server()
        extra.close()

        other = await _Conn.open("127.0.0.3", port)
        assert (await other.get())[0] == 200
        assert (await other.get())[0] == 200  # and again on the same connection
        for conn in held:  # the held ones still work
            assert (await conn.get())[0] == 200
        status, _, _ = await baku.get("/healthz", accept="application/json")
        assert status == 200  # 127.0.0.1 is exempt
        assert limit.open == {"127.0.0.2": 3, "127.0.0.3": 1}

        held.pop().close()
        await _until(lambda: limit.open.get("127.0.0.2") == 2)
        again = await _Conn.open("127.0.0.2", port)
        assert (await again.get())[0] == 200

        status, text, _ = await baku.get("/metrics", accept="text/plain")
        assert status == 200 and "agency_connections_refused_total 1.0" in text
        for conn in (*held, other, again):
            conn.close()
        await _until(lambda: limit.open == {})


async def test_connection_limit__a_flood_from_one_address_is_refused_while_another_is_served(tmp_path):
    """300 connections at once from 127.0.0.2 (limit 3): three are served, every other one is answered 429
    and closed; GETs from 127.0.0.3 made during the flood are all answered 200."""
    config = node_config(tmp_path, "baku", sections=_SECTIONS)
    async with running_node(tmp_path, "baku", config=config) as baku:
        port = config.listen_port
        answered: list[int] = []
        everyone = asyncio.Event()

        async def one() -> int:
            conn = await _Conn.open("127.0.0.2", port)
            try:
                status, _, _ = await conn.get()
                answered.append(status)
                if len(answered) == 300:
                    everyone.set()
                if status == 200:
                    await asyncio.wait_for(everyone.wait(), 60)  # holds its place until all were answered
                return status
            finally:
                conn.close()

        async def reader() -> list[int]:
            conn = await _Conn.open("127.0.0.3", port)
            try:
                return [(await conn.get())[0] for _ in range(20)]
            finally:
                conn.close()

        flood = [asyncio.create_task(one()) for _ in range(300)]
        served = await reader()
        statuses = await asyncio.gather(*flood)
        assert served == [200] * 20
        assert sorted(statuses) == [200] * 3 + [429] * 297, statuses
        assert baku.app[LIMITS].connections.refused == statuses.count(429)


def test_connection_limit__addresses_counted_exempt_and_ipv6_per_64():
    """IPv4 per address, IPv4-mapped IPv6 as its IPv4 address, IPv6 per /64; exempt networks and non-IP peers
    (a Unix socket) are not counted; a limit of 0 counts nothing."""
    limit = ConnectionLimit(2, exempt=["127.0.0.0/8", "10.1.0.0/16"])
    assert limit.address_of(("192.0.2.7", 5000)) == "192.0.2.7"
    assert limit.address_of(("::ffff:192.0.2.7", 5000, 0, 0)) == "192.0.2.7"
    assert limit.address_of(("2001:db8:1:2:aaaa::1", 5000, 0, 0)) == "2001:db8:1:2::/64"
    assert limit.address_of(("2001:db8:1:2:bbbb::9", 5000, 0, 0)) == "2001:db8:1:2::/64"
    assert limit.address_of(("127.0.0.5", 1)) is None and limit.address_of(("10.1.2.3", 1)) is None
    assert limit.address_of("/run/agency.sock") is None and limit.address_of(None) is None
    assert ConnectionLimit(0).address_of(("192.0.2.7", 1)) is None
    assert limit.admit("192.0.2.7") and limit.admit("192.0.2.7") and not limit.admit("192.0.2.7")
    limit.release("192.0.2.7")
    assert limit.admit("192.0.2.7") and limit.refused == 1 and limit.open == {"192.0.2.7": 2}


def test_connection_limit__config_defaults_and_a_bad_network_refused(tmp_path):
    """The defaults are 128 per address with loopback exempt; a network that is not one is a ConfigError naming
    the key."""
    data = node_config_data(tmp_path, "baku")
    loaded = config_from_dict(data, environ={})
    assert loaded.limits["connections_per_address"] == 128
    assert loaded.limits["connections_exempt"] == ["127.0.0.0/8", "::1/128"]
    data["limits"] = {"connections_exempt": ["10.0.0.0/8", "partner.example"]}
    with pytest.raises(ConfigError, match="connections_exempt"):
        config_from_dict(data, environ={})


def test_connection_limit__agency_node_run_applies_it(tmp_path):
    """`agency-node run` itself (a real process, limit 1, nothing exempt): a second connection from the same
    address while the first is open is answered 429."""
    data = node_config_data(tmp_path, "baku", sections={"limits": {"connections_per_address": 1,
                                                                   "connections_exempt": []}})
    asyncio.run(migrate_in_own_context(data["node"]["database_url"]))
    config = write_config(tmp_path / "node.toml", data)
    proc = subprocess.Popen([sys.executable, "-m", "node.cli", "-c", str(config), "run"], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    port = data["node"]["listen_port"]
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, proc.stderr.read().decode()[-3000:]  # type: ignore[union-attr]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as resp:
                    assert resp.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "the node did not answer"
                time.sleep(0.05)
        first = socket.create_connection(("127.0.0.1", port))
        first.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert first.recv(4096).startswith(b"HTTP/1.1 200")
        with socket.create_connection(("127.0.0.1", port), timeout=10) as second:
            second.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert second.recv(4096).startswith(b"HTTP/1.1 429 Too Many Requests")
        first.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
