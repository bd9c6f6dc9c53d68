"""Loopback instruments for the SSRF tests: listeners that count connections, a tripwire on the event loop's
`sock_connect` that records every connect and refuses any off this machine, and a resolver of our own."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
from typing import Any, AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import ThreadedResolver
from aiohttp.abc import AbstractResolver, ResolveResult

__all__ = ["FixedResolver", "Listeners", "listeners", "tripwire"]


class Listeners:
    """Raw TCP listeners on one port of several loopback addresses, counting accepted connections."""

    def __init__(self) -> None:
        self.port = 0
        self.accepted: dict[str, int] = {}
        self._servers: list[asyncio.Server] = []

    async def start(self, addresses: tuple[str, ...] = ("127.0.0.2", "127.0.0.1", "::1")) -> None:
        for _ in range(20):
            with socket.socket() as s:
                s.bind(("127.0.0.2", 0))
                self.port = s.getsockname()[1]
            try:
                for address in addresses:
                    self._servers.append(await asyncio.start_server(self._counter(address), address, self.port))
                return
            except OSError:
                await self.close()
        raise RuntimeError("no common free port on the loopback addresses")

    def _counter(self, address: str) -> Callable[[Any, Any], Awaitable[None]]:
        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.accepted[address] = self.accepted.get(address, 0) + 1
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
            with contextlib.suppress(Exception):
                await writer.drain()
                writer.close()
        return accept

    async def close(self) -> None:
        for server in self._servers:
            server.close()
            await server.wait_closed()
        self._servers = []


@pytest.fixture
async def listeners() -> AsyncIterator[Listeners]:
    ls = Listeners()
    await ls.start()
    try:
        yield ls
    finally:
        await ls.close()


@pytest.fixture
async def tripwire(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every address the event loop connects a socket to; a non-loopback one is refused, never reached."""
    loop = asyncio.get_running_loop()
    seen: list[str] = []
    real = loop.sock_connect

    async def guarded(sock: socket.socket, address: Any) -> None:
        seen.append(address[0])
        if not ipaddress.ip_address(address[0]).is_loopback:
            raise ConnectionRefusedError(f"tripwire: {address[0]} is off this machine")
        await real(sock, address)

    monkeypatch.setattr(loop, "sock_connect", guarded)
    return seen


class FixedResolver(AbstractResolver):
    """Answers from a table; a list of answers is used up one query at a time (the last one repeats). Names not
    in the table (localhost, 0x7f.0.0.2) go to the system resolver, which parses them without any DNS query."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.queries: list[str] = []
        self._system = ThreadedResolver()

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[ResolveResult]:
        if host not in self.table:
            return await self._system.resolve(host, port, family)
        self.queries.append(host)
        answers = self.table[host]
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        return [ResolveResult(hostname=host, host=address, port=port, proto=0, flags=0,
                              family=socket.AF_INET6 if ":" in address else socket.AF_INET)
                for address in answer.split(",")]  # "a,b": an answer with several addresses

    async def close(self) -> None:
        pass
