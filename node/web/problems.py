"""RFC 9457 problem documents for every HTTP error, and a middleware that guarantees them."""

from __future__ import annotations

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
    except Exception:
        log.exception("web.unhandled", extra={"path": request.path})
        return problem(500, "Internal Server Error", "the node failed to handle this request; it was logged")
