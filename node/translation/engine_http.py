"""One HTTP exchange with a machine-translation engine's service (LibreTranslate, Apertium APy): the transport's
failures turned into the engine errors of `node.translation.mt`, the answer capped in size."""

from __future__ import annotations

import asyncio
from typing import Any, Mapping

import aiohttp

from federation.errors import PrivateAddressError
from federation.http import HttpClient
from node.translation.mt import EngineAnswerInvalid, EngineUnavailable

__all__ = ["MAX_ANSWER", "exchange"]

MAX_ANSWER = 8 * 1024 * 1024


async def exchange(http: HttpClient, name: str, method: str, url: str, *, timeout: float, data: Any = None,
                   headers: Mapping[str, str] | None = None) -> tuple[int, Mapping[str, str], bytes]:
    """(status, headers, body) of one request to engine `name`; no redirects followed. Raises EngineUnavailable
    (unreachable, a private address not allowed, no answer in time) or EngineAnswerInvalid (over MAX_ANSWER)."""
    try:
        async with http.session.request(method, url, data=data, headers=dict(headers or {}),
                                        timeout=aiohttp.ClientTimeout(total=timeout), allow_redirects=False) as resp:
            body = await resp.content.read(MAX_ANSWER + 1)
            status, answer_headers = resp.status, resp.headers
    except PrivateAddressError as exc:
        # An operator's local engine must be allowed explicitly (translation.allow_private_engine).
        raise EngineUnavailable(f"{name}: {exc} (set translation.allow_private_engine for a local engine)") from None
    except asyncio.TimeoutError:
        raise EngineUnavailable(f"{name}: no answer within {timeout:g} s") from None
    except (aiohttp.ClientError, OSError) as exc:
        raise EngineUnavailable(f"{name}: {type(exc).__name__}: {exc}"[:300]) from None
    if len(body) > MAX_ANSWER:
        raise EngineAnswerInvalid(f"{name}: answer over {MAX_ANSWER} bytes")
    return status, answer_headers, body
