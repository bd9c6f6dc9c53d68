"""The limit on open connections per peer address ([limits] connections_per_address).

A peer that opens connection after connection (a flood, or a broken client that never reuses one) would otherwise
hold the node's sockets, memory and request handlers until nobody else gets in. Every accepted TCP connection
passes a gate before aiohttp sees it: an address that already holds `connections_per_address` open connections is
answered at once with a fixed 429 problem document (with Retry-After) and closed, without a request handler, a task
or a parse; other addresses are served as before. An address is an IPv4 address or an IPv6 /64 (what one
subscriber is usually given). Exempt networks ([limits] connections_exempt; loopback by default, since a reverse
proxy on this host makes every client look local) are never counted.
"""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Any, Callable, Iterable

import orjson

__all__ = ["DEFAULT_EXEMPT", "DEFAULT_PER_ADDRESS", "ConnectionLimit"]

DEFAULT_PER_ADDRESS = 128
DEFAULT_EXEMPT = ("127.0.0.0/8", "::1/128")
RETRY_AFTER = 5
# How long a refused connection may stay open for its request to arrive: reading that request before closing
# makes the close a FIN the client reads the answer before, rather than a reset that may discard it.
REFUSED_LINGER_SECONDS = 1.0


def _refusal(per_address: int) -> bytes:
    body = orjson.dumps({"type": "about:blank", "title": "Too many connections", "status": 429,
                         "detail": f"this address has {per_address} connections open to this node already: reuse "
                                   "one of them, or retry later", "retry_after": RETRY_AFTER})
    head = ("HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/problem+json\r\n"
            f"Retry-After: {RETRY_AFTER}\r\nConnection: close\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode("ascii") + body


class ConnectionLimit:
    """The open connections of each peer address, and the gate that keeps them under `per_address` (0: no
    limit). `refused` counts the connections turned away; `on_refused` (if set) is called for each."""

    def __init__(self, per_address: int = DEFAULT_PER_ADDRESS, exempt: Iterable[str] = DEFAULT_EXEMPT) -> None:
        self.per_address = per_address
        self.exempt = tuple(ipaddress.ip_network(net, strict=False) for net in exempt)
        self.open: dict[str, int] = {}
        self.refused = 0
        self.on_refused: Callable[[], None] | None = None
        self._answer = _refusal(per_address)

    def address_of(self, peername: Any) -> str | None:
        """The address a connection from `peername` counts against; None when it is not counted (exempt, or not
        an IP peer such as a Unix socket)."""
        if self.per_address <= 0 or not isinstance(peername, tuple) or not peername:
            return None
        try:
            ip = ipaddress.ip_address(str(peername[0]).split("%", 1)[0])
        except ValueError:
            return None
        if ip.version == 6 and ip.ipv4_mapped is not None:  # an IPv4 client on a dual-stack socket
            ip = ip.ipv4_mapped
        if any(ip in net for net in self.exempt):
            return None
        if ip.version == 6:
            return str(ipaddress.ip_network(f"{ip}/64", strict=False))
        return str(ip)

    def admit(self, address: str) -> bool:
        """Count one more connection of `address`; False (nothing counted) when it already holds the limit."""
        held = self.open.get(address, 0)
        if held >= self.per_address:
            self.refused += 1
            if self.on_refused is not None:
                self.on_refused()
            return False
        self.open[address] = held + 1
        return True

    def release(self, address: str) -> None:
        """One connection of `address` closed."""
        held = self.open.get(address, 0) - 1
        if held > 0:
            self.open[address] = held
        else:
            self.open.pop(address, None)

    def protocol_factory(self, make: Callable[[], asyncio.Protocol]) -> Callable[[], asyncio.Protocol]:
        """A protocol factory for `loop.create_server`: each connection passes this limit, then is handed to a
        protocol from `make` (aiohttp's `runner.server`)."""
        return lambda: _Gate(self, make)


class _Gate(asyncio.Protocol):
    """One accepted connection: served by the inner protocol when its address is under the limit (every event
    passed on), else answered 429 and closed."""

    __slots__ = ("_limit", "_make", "_inner", "_address", "_transport", "_timer")

    def __init__(self, limit: ConnectionLimit, make: Callable[[], asyncio.Protocol]) -> None:
        self._limit, self._make = limit, make
        self._inner: asyncio.Protocol | None = None
        self._address: str | None = None
        self._transport: asyncio.BaseTransport | None = None
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        address = self._limit.address_of(transport.get_extra_info("peername"))
        if address is not None and not self._limit.admit(address):
            self._transport = transport
            transport.write(self._limit._answer)  # type: ignore[attr-defined]
            self._timer = asyncio.get_running_loop().call_later(REFUSED_LINGER_SECONDS, transport.close)
            return
        self._address = address
        self._inner = self._make()
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self._inner is not None:
            self._inner.data_received(data)
        elif self._transport is not None:  # the refused request has arrived (and is dropped): close now
            self._transport.close()

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._inner is not None else None

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._transport = None
        if self._inner is None:
            return
        try:
            self._inner.connection_lost(exc)
        finally:
            if self._address is not None:
                self._limit.release(self._address)
                self._address = None
