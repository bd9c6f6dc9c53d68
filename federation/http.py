"""The node's HTTP client: one session, private addresses refused at connect time, signed GET and POST.

Signing runs in a small thread pool (cryptography releases the GIL), so a large fan-out does not stall the
event loop. Signatures are made afresh for every attempt and never stored.
"""

from __future__ import annotations

import asyncio
import ipaddress
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Mapping, Sequence

import aiohttp
import yarl
from aiohttp.abc import AbstractResolver, ResolveResult

from federation.errors import (
    ObjectGone, ObjectNotFound, ObjectUnavailable, PrivateAddressError, FetchError,
)
from federation.sig.cavage import sign_request
from federation.vocab import AS_MEDIA_TYPE, LD_MEDIA_TYPE

_ACCEPT = f"{AS_MEDIA_TYPE}, {LD_MEDIA_TYPE}"
_JSON_TYPES = ("application/activity+json", "application/ld+json", "application/json", "application/jrd+json")


@dataclass(frozen=True)
class HttpPolicy:
    """What outbound HTTP may do. Built by the application from config; `federation` never reads config."""

    user_agent: str
    timeout: float = 10.0
    max_response_bytes: int = 2 * 1024 * 1024
    allow_private: bool = False
    allowed_networks: tuple[str, ...] = ()
    _networks: tuple[Any, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_networks", tuple(ipaddress.ip_network(n, strict=False)
                                                    for n in self.allowed_networks))

    def permits(self, address: str) -> bool:
        """Whether a resolved address may be connected to."""
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if self.allow_private or any(ip in net for net in self._networks):
            return True
        inner = _embedded_ipv4(ip)
        if inner is not None and not self.permits(str(inner)):
            return False
        return ip.is_global and not ip.is_multicast


_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_COMPATIBLE = ipaddress.ip_network("::/96")


def _embedded_ipv4(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, NAT64, IPv4-compatible): Python calls some of these
    global whatever IPv4 address they lead to (2002:7f00:1::, 64:ff9b::a00:1), so that address is checked too."""
    if ip.version != 6:
        return None
    assert isinstance(ip, ipaddress.IPv6Address)
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if any(ip in net for net in _NAT64) or (ip in _COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


@dataclass(frozen=True)
class Signer:
    """Who signs a request: a key id and its loaded private key."""

    key_id: str
    private_key: Any


class _GuardedConnector(aiohttp.TCPConnector):
    """Filters resolved addresses at connect time, so a DNS answer cannot smuggle in a private address.

    Keeps idle connections warm for at most `max_idle_hosts` hosts: a fan-out to tens of thousands of hosts
    would otherwise hold one open socket per host for the whole keep-alive time, and run out of file
    descriptors. (aiohttp has no such bound; `_release` and `_conns` are its pool, unchanged since 3.8.)"""

    def __init__(self, policy: HttpPolicy, *, max_idle_hosts: int = 2000, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._policy = policy
        self._max_idle_hosts = max_idle_hosts

    def _release(self, key: Any, protocol: Any, *, should_close: bool = False) -> None:
        if not should_close and key not in self._conns and len(self._conns) >= self._max_idle_hosts:
            should_close = True  # the pool is full of other hosts' idle connections: close this one
        super()._release(key, protocol, should_close=should_close)

    async def _resolve_host(self, host: str, port: int,
                            traces: Sequence[Any] | None = None) -> list[ResolveResult]:
        results = await super()._resolve_host(host, port, traces)
        allowed = [r for r in results if self._policy.permits(r["host"])]
        if not allowed:
            raise PrivateAddressError(f"{host} resolves only to non-public addresses")
        return allowed


@lru_cache(maxsize=4096)
def _parsed(url: str) -> yarl.URL:
    """`url` parsed once for the inboxes a fan-out reaches story after story (aiohttp parses every str again)."""
    return yarl.URL(url)


@lru_cache(maxsize=16)
def _timeout(seconds: float) -> aiohttp.ClientTimeout:
    """One (immutable) timeout object per value, not one per request of a fan-out."""
    return aiohttp.ClientTimeout(total=seconds)


def _chunks(total: int, chunk: int) -> list[int]:
    """Sizes of the signing tasks for `total` posts: 1, 1, 2, 4, ... doubling up to `chunk`, then `chunk`."""
    sizes, size, left = [], 1, total
    while left > 0:
        take = min(size, chunk, left)
        sizes.append(take)
        left -= take
        if len(sizes) > 1:
            size *= 2
    return sizes


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]  # the answer's headers, looked up case-insensitively
    body: bytes


class HttpClient:
    """Signed requests over one shared `aiohttp.ClientSession`."""

    def __init__(self, policy: HttpPolicy, *, signing_threads: int = 2,
                 resolver: AbstractResolver | None = None) -> None:
        # `resolver` replaces aiohttp's DNS resolver (tests answer with their own, e.g. a rebinding one); its
        # answers pass through the same connect-time filter as any other.
        self.policy = policy
        self._resolver = resolver
        self._pool = ThreadPoolExecutor(max_workers=signing_threads, thread_name_prefix="sign")
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        # Connections stay open a minute between uses (aiohttp's default is 15 s): a fan-out reaches the same
        # hosts story after story, and a new connection costs more than the request it carries.
        connector = _GuardedConnector(self.policy, limit=0, ttl_dns_cache=300, keepalive_timeout=60,
                                      **({"resolver": self._resolver} if self._resolver else {}))
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self.policy.timeout),
            headers={"User-Agent": self.policy.user_agent},
            auto_decompress=True,
            # Federation sends no cookies and keeps none: a jar would be searched on every request of a fan-out.
            cookie_jar=aiohttp.DummyCookieJar(),
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        self._pool.shutdown(wait=False, cancel_futures=True)

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("HttpClient.start() was not called")
        return self._session

    async def _signed_headers(self, method: str, url: str, body: bytes | None, signer: Signer,
                              digest: str | None = None) -> dict[str, str]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._pool, lambda: sign_request(method, url, body=body, key_id=signer.key_id,
                                             private_key=signer.private_key, digest=digest)
        )

    async def _read_capped(self, resp: aiohttp.ClientResponse) -> bytes:
        limit = self.policy.max_response_bytes
        if resp.content_length is not None and resp.content_length > limit:
            raise ObjectUnavailable(f"response of {resp.content_length} bytes is over the {limit} byte limit")
        chunks, size = [], 0
        async for chunk in resp.content.iter_chunked(65536):
            size += len(chunk)
            if size > limit:
                raise ObjectUnavailable(f"response is over the {limit} byte limit")
            chunks.append(chunk)
        return b"".join(chunks)

    def sign_posts(self, posts: Sequence[tuple[str, bytes, Signer, str | None]], *, chunk: int = 16,
                   at_once: int = 0) -> list[asyncio.Future[dict[str, str] | None]]:
        """Sign many POSTs (url, body, signer, digest) in the signing pool, `chunk` to a task; one future per
        post, in order, resolving to its headers (None where signing failed: `post` then signs it itself and
        raises as it would). One pool task per signature cost about a fifth of the signature itself in thread
        hand-offs on the event loop. The first tasks are smaller (1, 1, 2, 4, ... up to `chunk`), so the first
        requests wait for one signature, not for a whole chunk of them; the first `at_once` are signed right here,
        on the calling thread (no hand-off at all, for a request that should leave at once)."""
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[dict[str, str] | None]] = [loop.create_future() for _ in posts]

        def sign_part(part: Sequence[tuple[str, bytes, Signer, str | None]]) -> list[dict[str, str] | None]:
            out: list[dict[str, str] | None] = []
            for url, body, signer, digest in part:
                try:
                    out.append(sign_request("POST", url, body=body, key_id=signer.key_id,
                                            private_key=signer.private_key, digest=digest))
                except Exception:  # noqa: BLE001 - `post` signs this one again and raises there
                    out.append(None)
            return out

        def resolve(start: int, size: int, done: asyncio.Future[list[dict[str, str] | None]]) -> None:
            results = None if done.cancelled() or done.exception() is not None else done.result()
            for i, future in enumerate(futures[start:start + size]):
                if not future.done():
                    future.set_result(results[i] if results is not None else None)

        here = start = min(at_once, len(posts))
        for size in _chunks(len(posts) - here, chunk):  # the pool starts on these first
            task = loop.run_in_executor(self._pool, sign_part, posts[start:start + size])
            task.add_done_callback(lambda done, start=start, size=size: resolve(start, size, done))
            start += size
        for future, headers in zip(futures[:here], sign_part(posts[:here])):
            future.set_result(headers)
        return futures

    async def post(self, url: str, body: bytes, signer: Signer, *, timeout: float | None = None,
                   digest: str | None = None, headers: dict[str, str] | None = None) -> Response:
        """POST a signed activity; return the answer (body cut to 2 KiB). Network failures raise. `digest`:
        the body's Digest header value when the caller computed it once for many inboxes; `headers`: this
        request's signed headers, made moments ago by `sign_posts`."""
        if headers is None:
            headers = await self._signed_headers("POST", url, body, signer, digest)
        # The signed headers carry the Content-Type (aiohttp adds none of its own then).
        async with self.session.post(_parsed(url), data=body, headers=headers, allow_redirects=False,
                                     timeout=_timeout(timeout) if timeout else None) as resp:
            snippet = await resp.content.read(2048)
            return Response(resp.status, resp.headers, snippet)

    async def get_json(self, url: str, signer: Signer | None, *, accept: str = _ACCEPT) -> Any:
        """GET a JSON document (signed when a signer is given: authorized fetch). Raises FetchError kinds."""
        import orjson

        try:
            headers = (await self._signed_headers("GET", url, None, signer)) if signer else {}
            headers["Accept"] = accept
            async with self.session.get(url, headers=headers, allow_redirects=True, max_redirects=3) as resp:
                if resp.status == 410:
                    raise ObjectGone(f"{url}: 410 Gone")
                if resp.status == 404:
                    raise ObjectNotFound(f"{url}: 404 Not Found")
                if resp.status >= 400:
                    raise ObjectUnavailable(f"{url}: HTTP {resp.status}")
                ctype = resp.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
                if ctype not in _JSON_TYPES:
                    raise ObjectUnavailable(f"{url}: not JSON ({ctype or 'no content type'})")
                data = await self._read_capped(resp)
        except FetchError:
            raise
        except aiohttp.InvalidURL:
            # Not a URL anyone can fetch, now or later: nothing there (a retry would fail the same way).
            raise ObjectNotFound(f"{url[:200]}: not a fetchable URL") from None
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise ObjectUnavailable(f"{url}: {type(exc).__name__}: {exc}") from None
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            raise ObjectUnavailable(f"{url}: invalid JSON") from None
