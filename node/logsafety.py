"""The database drivers' DEBUG lines without the values of queries.

tortoise (``tortoise.db_client``), aiosqlite and asyncpg log every query with its parameters at DEBUG, and a
connection pool with its settings: private key PEMs as they are stored, session CSRF tokens, the database
password. An operator who turns DEBUG on to see the queries must not get the node's secrets with them, so these
loggers keep the SQL text and lose the values. `hide_query_values()` is idempotent; `open_context` calls it.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

__all__ = ["DRIVER_LOGGERS", "hide_query_values"]

DRIVER_LOGGERS = ("tortoise.db_client", "aiosqlite", "asyncpg", "asyncpg.pool", "asyncpg.connection",
                  "asyncpg.protocol")
HIDDEN = "[values hidden]"


class _Call:
    """Stands for an aiosqlite call: its function's name and SQL text, never its parameters."""

    def __init__(self, call: functools.partial[Any]) -> None:
        sql = call.args[0] if call.args and isinstance(call.args[0], str) else ""
        self.text = f"{getattr(call.func, '__name__', 'call')}({sql!r}, {HIDDEN})" if sql else \
            f"{getattr(call.func, '__name__', 'call')}({HIDDEN})"

    def __repr__(self) -> str:
        return self.text

    __str__ = __repr__


class _HideValues(logging.Filter):
    """Keeps a record's message and a leading SQL string; every other argument is replaced."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and args:
            first = args[0]
            if isinstance(first, functools.partial):  # aiosqlite: "executing %s" with the bound call
                first = _Call(first)
            elif not (record.name == "tortoise.db_client" and isinstance(first, str)):  # tortoise: "%s: %s"
                first = HIDDEN
            record.args = (first, *(HIDDEN for _ in args[1:]))
        elif isinstance(args, dict) and args:
            record.args = {k: HIDDEN for k in args}
        return True


_FILTER = _HideValues()


def hide_query_values() -> None:
    """Install the filter on the drivers' loggers (once)."""
    for name in DRIVER_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
