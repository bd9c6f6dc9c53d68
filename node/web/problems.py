"""RFC 9457 problem documents for every HTTP error, and a middleware that guarantees them."""

from __future__ import annotations

import errno
import logging
from typing import Any, Awaitable, Callable

import orjson
from aiohttp import web

log = logging.getLogger("agency_node.web")

PROBLEM_TYPE = "application/problem+json"


def problem(status: int, title: str, detail: str = "", **extra: Any) -> web.Response:
    """A problem+json response."""
    doc = {"type": "about:blank", "title": title, "status": status, **({"detail": detail} if detail else {})}
    doc.update(extra)
    headers = {}
    if "retry_after" in extra:
        headers["Retry-After"] = str(extra["retry_after"])
    return web.Response(status=status, body=orjson.dumps(doc), content_type=PROBLEM_TYPE, headers=headers)


_FULL = (errno.ENOSPC, errno.EDQUOT)
# SQLite says "database or disk is full" (SQLITE_FULL); PostgreSQL "could not extend file ...: No space left on
# device" (SQLSTATE 53100); tortoise passes them on as its OperationalError with the driver's message.
_FULL_WORDS = ("database or disk is full", "no space left on device")


def disk_full(exc: BaseException) -> bool:
    """Whether `exc` (or what it wraps) says the disk or the database is full."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, OSError) and exc.errno in _FULL:
            return True
        if any(words in str(exc).lower() for words in _FULL_WORDS):
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
        seen += 1
    return False


class ProblemError(Exception):
    """Raise from a handler to answer with a problem document."""

    def __init__(self, status: int, title: str, detail: str = "", **extra: Any) -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra


@web.middleware
async def problem_middleware(request: web.Request,
                             handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    """Turn aiohttp's HTTP errors and our ProblemErrors into problem documents; hide unexpected crashes."""
    try:
        return await handler(request)
    except ProblemError as exc:
        return problem(exc.status, exc.title, exc.detail, **exc.extra)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return problem(exc.status, exc.reason, exc.text if exc.text and not exc.text.startswith(str(exc.status))
                       else "")
    except Exception as exc:
        if disk_full(exc):
            log.error("web.disk_full", extra={"path": request.path})
            return problem(507, "Insufficient storage", "the node's disk (or database) is full: nothing was "
                           "stored; try again once the operator has freed space")
        log.exception("web.unhandled", extra={"path": request.path})
        return problem(500, "Internal Server Error", "the node failed to handle this request; it was logged")
