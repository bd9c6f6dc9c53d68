"""Waking the workers of every process at once on PostgreSQL: LISTEN on one dedicated connection per process.

Each queue's table carries a trigger (node/migrations/0017_queue_notify.py) that sends a NOTIFY on the queue's
channel in the transaction that queues rows, so PostgreSQL delivers it when, and only when, that transaction
commits (and the story table one when a story is scheduled, for the embargo scheduler). A process that runs workers listens on those channels on a connection of its own (never one of the pool:
a pooled connection goes back to the pool and its LISTEN with it) and sets the wake-up event of the matching worker.
The rows stay the only truth: a notification only ends a worker's idle wait early, and the workers still poll
(every 5 s) in case one is lost.

The connection is watched: when it ends (the server restarted, `pg_terminate_backend`, a network cut noticed by
a periodic `SELECT 1`) the listener connects again, with a growing pause while the server refuses, and wakes every
worker once it listens again, as rows may have been queued while nobody was listening. SQLite serves one process:
its workers are woken in-process when rows are queued, and nothing here runs.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any, Callable

import asyncpg

__all__ = ["CHANNELS", "QueueListener", "connect_args"]

log = logging.getLogger("agency_node.notify")

# The queue each channel wakes (the migration's triggers send on these names).
CHANNELS = {"delivery": "agency_delivery", "inbox": "agency_inbox", "translation": "agency_translation",
            "media": "agency_media", "embargo": "agency_embargo"}

# The URL's options that configure tortoise's pool, not one asyncpg connection.
_POOL_ONLY = {"minsize", "maxsize", "schema", "application_name", "connection_name", "fetch_inserted",
              "connection_class", "loop", "max_queries", "max_inactive_connection_lifetime", "setup", "init"}


def connect_args(database_url: str) -> dict[str, Any]:
    """`asyncpg.connect` keyword arguments for the database of a tortoise PostgreSQL URL (credentials, port, ssl and
    the other connection options it carries; the pool's options dropped)."""
    from tortoise.backends.base.config_generator import expand_db_url

    url = database_url
    if url.startswith("postgresql://"):
        url = "postgres://" + url[len("postgresql://"):]
    creds = dict(expand_db_url(url)["credentials"])
    settings = dict(creds.pop("server_settings", None) or {})
    if creds.get("schema"):
        settings["search_path"] = creds["schema"]
    settings["application_name"] = "agency-node listener"
    accepted = set(inspect.signature(asyncpg.connect).parameters)
    args = {k: v for k, v in creds.items() if k not in _POOL_ONLY and k in accepted}
    args["server_settings"] = settings
    return args


class QueueListener:
    """LISTENs on `wakers`' channels and calls the waker of each notification's channel (see the module's doc).

    `run(stop)` keeps a connection listening until `stop` is set, reconnecting whenever it is lost.
    `check_every`: how often an idle connection is checked with a query (a cut that sent no FIN is noticed then).
    """

    def __init__(self, connect: dict[str, Any], wakers: dict[str, Callable[[], None]], *,
                 check_every: float = 10.0, retry_min: float = 0.1, retry_max: float = 5.0,
                 timeout: float = 5.0) -> None:
        self.connect = connect
        self.wakers = dict(wakers)
        self.check_every, self.retry_min, self.retry_max, self.timeout = check_every, retry_min, retry_max, timeout
        self.connections = 0  # how many times a connection started listening (1 + reconnections)
        self.notifications = 0
        self.listening = asyncio.Event()  # set while a connection listens (tests wait on it)
        self._conn: Any = None

    def wake_all(self) -> None:
        """Wake every worker (after a reconnection: rows may have come while no one listened)."""
        for wake in self.wakers.values():
            wake()

    def _on_notification(self, _conn: Any, _pid: int, channel: str, _payload: str) -> None:
        self.notifications += 1
        wake = self.wakers.get(channel)
        if wake is not None:
            wake()

    async def run(self, stop: asyncio.Event) -> None:
        """Listen until `stop` is set; a lost connection is replaced, a refusing server tried again and again."""
        pause = self.retry_min
        failing = False
        while not stop.is_set():
            try:
                conn = await asyncpg.connect(timeout=self.timeout, **self.connect)
            except (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                if not failing:  # once per outage, not once per try
                    log.warning("notify.connect_failed", extra={"error": f"{type(exc).__name__}: {exc}"[:200]})
                failing = True
                if await _wait(stop, pause):
                    return
                pause = min(pause * 2, self.retry_max)
                continue
            self._conn = conn
            try:
                await self._listen(conn, stop)
            except (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("notify.connection_lost", extra={"error": f"{type(exc).__name__}: {exc}"[:200]})
            finally:
                self.listening.clear()
                self._conn = None
                await _close(conn)
            failing, pause = False, self.retry_min

    async def _listen(self, conn: Any, stop: asyncio.Event) -> None:
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _c: lost.set())
        for channel in self.wakers:
            await conn.add_listener(channel, self._on_notification)
        self.connections += 1
        self.listening.set()
        log.info("notify.listening", extra={"channels": len(self.wakers), "connections": self.connections})
        self.wake_all()
        while not stop.is_set():
            if await _first(stop, lost, self.check_every) or lost.is_set():
                break
            # Nothing heard for a while: make sure the connection is still there.
            await conn.fetchval("SELECT 1", timeout=self.timeout)
        if lost.is_set() and not stop.is_set():
            raise asyncpg.InterfaceError("the listening connection was closed")

    async def stop_listening(self) -> None:
        """Close the connection now (`run` then connects again unless its `stop` is set)."""
        if self._conn is not None:
            await _close(self._conn)


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep `seconds` or until `stop` is set; True when it was set."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
        return True
    except asyncio.TimeoutError:
        return False


async def _first(stop: asyncio.Event, lost: asyncio.Event, seconds: float) -> bool:
    """Wait until `stop` or `lost` is set, or `seconds` pass; True when `stop` was set."""
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(lost.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
    return stop.is_set()


async def _close(conn: Any) -> None:
    if conn.is_closed():
        return
    try:
        await asyncio.wait_for(conn.close(), 2.0)
    except (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
        conn.terminate()
