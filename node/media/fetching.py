"""Fetching a partner's media file over the node's shared HTTP client, streamed and bounded.

The client is the one the engine signs and fetches with (`federation.http.HttpClient`): its connector refuses
private and loopback addresses when they are resolved, at connect time and again on every redirect, unless the
operator allows them. Here each fetch adds its own bounds: a connect and read timeout (a stalled transfer is given
up) and a ceiling for the whole file, at most `FetchLimits.max_redirects` redirects, and the [media] size limit of
the file's kind, checked against ``Content-Length`` before reading and again while the bytes stream into the store
(`node.media.storage`), which keeps nothing of a file cut off.

The type is found from the first bytes (`node.media.sniff`), as for an upload; a file whose bytes are not the type
its attachment announced is refused. The bytes are stored exactly as received: nothing is cleaned or re-encoded,
since the digest the origin signed covers them as they are.

`FetchProblem` says what went wrong: with a verdict when trying again cannot help, without one (``retryable``)
for what may pass (a timeout, a reset connection, 429 or 5xx, with the peer's Retry-After).
"""

from __future__ import annotations

import asyncio
import hashlib
import contextlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, AsyncIterator, Mapping

import aiohttp

from federation.errors import PrivateAddressError
from federation.retry import Outcome, classify_status, parse_retry_after
from node.media import sniff as sniffing
from node.media.storage import MediaStore, TooLarge
from node.media.wire_states import Verdict

__all__ = ["FetchLimits", "FetchProblem", "Fetched", "announced_kind", "digest_of", "fetch_into_store",
           "normal_type"]

READ_CHUNK = 256 * 1024
# Names peers use for the types the sniffer knows under one name.
_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "audio/mp3": "audio/mpeg",
            "audio/x-wav": "audio/wav", "audio/wave": "audio/wav", "audio/x-flac": "audio/flac",
            "audio/x-m4a": "audio/mp4", "audio/m4a": "audio/mp4", "video/x-m4v": "video/mp4",
            "image/x-tiff": "image/tiff", "audio/x-aac": "audio/aac"}
# Containers that hold sound or pictures alike: the first bytes cannot always tell which the file is.
_FAMILIES = ({"video/mp4", "audio/mp4"}, {"video/webm", "audio/webm"}, {"video/ogg", "audio/ogg"})
_AS_KINDS = {"Image": "image", "Video": "video", "Audio": "audio", "Document": "document"}


@dataclass(frozen=True)
class FetchLimits:
    """What one fetch may take: bytes per kind ([media] max_<kind>_bytes), seconds, redirects."""

    sizes: Mapping[str, int]
    timeout: float = 30.0        # to connect, and between two reads
    max_seconds: float = 1800.0  # for the whole file
    max_redirects: int = 3


class FetchProblem(Exception):
    """A fetch that did not give a file; ``verdict`` None means a later attempt may work."""

    def __init__(self, verdict: Verdict | None, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.verdict, self.reason, self.retry_after = verdict, reason[:300], retry_after

    @property
    def retryable(self) -> bool:
        return self.verdict is None


@dataclass(frozen=True)
class Fetched:
    sha256: str        # hex, of the bytes as received
    size: int
    media_type: str    # found from the bytes
    kind: str
    created: bool      # False when the store already held these bytes


def normal_type(media_type: Any) -> str:
    """A media type without parameters, lower case, under the name the sniffer uses."""
    base = str(media_type or "").split(";", 1)[0].strip().lower()
    return _ALIASES.get(base, base)


def announced_kind(media_type: Any, as_type: Any = None) -> str:
    """The kind an attachment announces: from its mediaType, else its ActivityStreams type ("" if neither)."""
    base = normal_type(media_type)
    top = base.split("/", 1)[0]
    if top in ("image", "video", "audio"):
        return top
    if base == "application/pdf":
        return "document"
    return _AS_KINDS.get(str(as_type), "")


def _same_type(announced: str, sniffed: str) -> bool:
    return announced == sniffed or any(announced in f and sniffed in f for f in _FAMILIES)


def _timeout(limits: FetchLimits) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=limits.max_seconds, sock_connect=limits.timeout, sock_read=limits.timeout)


@contextlib.asynccontextmanager
async def _response(session: aiohttp.ClientSession, url: str, limits: FetchLimits, cap: int
                    ) -> AsyncIterator[aiohttp.ClientResponse]:
    """GET `url` and yield a 2xx response whose announced length is within `cap`; FetchProblem otherwise."""
    if not url.startswith(("https://", "http://")):
        raise FetchProblem(Verdict.REFUSED, f"not an http(s) URL: {url[:100]}")
    try:
        async with session.get(url, allow_redirects=True, max_redirects=limits.max_redirects,
                               timeout=_timeout(limits), headers={"Accept": "*/*"}) as resp:
            if not 200 <= resp.status < 300:
                outcome = classify_status(resp.status)
                if outcome is Outcome.RETRY:
                    raise FetchProblem(None, f"HTTP {resp.status}", retry_after=parse_retry_after(
                        resp.headers.get("Retry-After"), datetime.now(timezone.utc)))
                raise FetchProblem(Verdict.FAILED, f"HTTP {resp.status}")
            if resp.content_length is not None and resp.content_length > cap:
                raise FetchProblem(Verdict.TOO_LARGE, f"{resp.content_length:,} bytes announced, over the "
                                                      f"{cap:,} byte limit; not fetched")
            yield resp
    except FetchProblem:
        raise
    except PrivateAddressError as exc:
        raise FetchProblem(Verdict.REFUSED, f"private address refused: {exc}") from None
    except aiohttp.TooManyRedirects:
        raise FetchProblem(Verdict.REFUSED, f"more than {limits.max_redirects} redirects") from None
    except aiohttp.InvalidURL as exc:
        raise FetchProblem(Verdict.REFUSED, f"invalid URL: {exc}") from None
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
        raise FetchProblem(None, f"{type(exc).__name__}: {exc}") from None


async def _chunks(resp: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    async for chunk in resp.content.iter_chunked(READ_CHUNK):
        yield chunk


async def fetch_into_store(session: aiohttp.ClientSession, store: MediaStore, url: str, *, announced_type: str,
                           announced: str, limits: FetchLimits) -> Fetched:
    """Stream a file into the content-addressed store; FetchProblem when it is refused, too large or unreachable.

    `announced_type` is the attachment's mediaType ("" when it gave none), `announced` its kind ("" if unknown).
    """
    wanted = normal_type(announced_type)
    found: list[sniffing.Sniffed] = []

    def check_head(head: bytes) -> int:
        try:
            sniffed = sniffing.sniff(head)
        except sniffing.Refused as exc:
            raise FetchProblem(Verdict.REFUSED, f"not a file the stock takes: {exc.reason}") from None
        if wanted and not _same_type(wanted, sniffed.media_type):
            raise FetchProblem(Verdict.REFUSED, f"announced as {wanted}, but the bytes are {sniffed.media_type}")
        found.append(sniffed)
        return limits.sizes[sniffed.kind]

    cap = limits.sizes.get(announced) or max(limits.sizes.values())
    try:
        async with _response(session, url, limits, cap) as resp:
            stored = await store.put_stream(_chunks(resp), check_head, head_bytes=sniffing.SNIFF_BYTES)
    except TooLarge as exc:
        kind = found[0].kind if found else "file"
        raise FetchProblem(Verdict.TOO_LARGE, f"a {kind} may be at most {exc.limit:,} bytes ([media] "
                                              f"max_{kind}_bytes); cut off, nothing kept") from None
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:  # while streaming
        raise FetchProblem(None, f"{type(exc).__name__}: {exc}") from None
    (sniffed,) = found
    return Fetched(stored.sha256, stored.size, sniffed.media_type, sniffed.kind, stored.created)


async def digest_of(session: aiohttp.ClientSession, url: str, *, limits: FetchLimits, announced: str = ""
                    ) -> tuple[str, int]:
    """The SHA-256 (hex) and size of the file at `url`, read as a stream and kept nowhere."""
    cap = limits.sizes.get(announced) or max(limits.sizes.values())
    digest, size = hashlib.sha256(), 0
    try:
        async with _response(session, url, limits, cap) as resp:
            async for chunk in _chunks(resp):
                size += len(chunk)
                if size > cap:
                    raise FetchProblem(Verdict.TOO_LARGE, f"over the {cap:,} byte limit; cut off")
                digest.update(chunk)
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
        raise FetchProblem(None, f"{type(exc).__name__}: {exc}") from None
    return digest.hexdigest(), size
