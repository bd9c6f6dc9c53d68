"""RFC 9457 problem documents for every HTTP error (the app's middleware, node/web/app.py, answers every
failure with one)."""

from __future__ import annotations

import errno
import logging
from typing import Any

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


# The database cannot take the request now, but will: SQLite busy past its timeout (another process holds the write
# lock) or its file/folder made read-only; PostgreSQL restarting, shutting down or gone from under a connection.
# Matched by words and class names so that this module needs neither driver.
_UNAVAILABLE_WORDS = ("database is locked", "database table is locked", "attempt to write a readonly database",
                      "disk i/o error",  # SQLite's words for a write the file system refused (immutable file)
                      "unable to open database file", "the database system is starting up",
                      "the database system is shutting down", "the database system is in recovery mode",
                      "is not currently accepting connections",
                      "terminating connection due to administrator command", "connection is closed",
                      "connection was closed in the middle of operation", "server closed the connection unexpectedly")
_UNAVAILABLE_CLASSES = {"ConnectionDoesNotExistError", "CannotConnectNowError", "AdminShutdownError",
                        "CrashShutdownError", "ConnectionFailureError", "DBConnectionError",
                        "InternalClientError"}  # asyncpg: a connection cut mid-operation, then reused
_UNAVAILABLE_ERRNOS = (errno.ECONNREFUSED, errno.ECONNRESET, errno.EROFS)
RETRY_AFTER_SECONDS = 5


def database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` (or what it wraps) says the database is locked, read-only or restarting: a passing state
    that deserves a 503 with Retry-After, not a 500."""
    seen = 0
    while exc is not None and seen < 5:
        if type(exc).__name__ in _UNAVAILABLE_CLASSES:
            return True
        if isinstance(exc, OSError) and exc.errno in _UNAVAILABLE_ERRNOS:
            return True
        if any(words in str(exc).lower() for words in _UNAVAILABLE_WORDS):
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
        seen += 1
    return False


class ProblemError(Exception):
    """Raise from a handler to answer with a problem document."""

    def __init__(self, status: int, title: str, detail: str = "", **extra: Any) -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra


def problem_for(request: web.BaseRequest, exc: Exception) -> web.Response:
    """The problem document answering a request whose handling raised `exc`: a ProblemError's own, an aiohttp HTTP
    error's status, 507 for a full disk, 503 for a database that is passingly unavailable, else a 500 that hides the
    crash (logged). An aiohttp redirect or other non-error HTTPException is raised again."""
    if isinstance(exc, ProblemError):
        return problem(exc.status, exc.title, exc.detail, **exc.extra)
    if isinstance(exc, web.HTTPException):
        if exc.status < 400:
            raise exc
        return problem(exc.status, exc.reason, exc.text if exc.text and not exc.text.startswith(str(exc.status))
                       else "")
    if disk_full(exc):
        log.error("web.disk_full", extra={"path": request.path})
        return problem(507, "Insufficient storage", "the node's disk (or database) is full: nothing was "
                       "stored; try again once the operator has freed space")
    if database_unavailable(exc):
        log.error("web.database_unavailable", extra={"path": request.path, "error": str(exc)[:200]})
        return problem(503, "Service Unavailable", "the node's database is locked, read-only or restarting: "
                       "nothing was stored; try again shortly", retry_after=RETRY_AFTER_SECONDS)
    log.error("web.unhandled", extra={"path": request.path}, exc_info=exc)
    return problem(500, "Internal Server Error", "the node failed to handle this request; it was logged")
