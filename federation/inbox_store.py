"""Storing verified inbox activities in shared writes: one transaction for every request that arrived meanwhile.

A busy inbox receives many activities at once; writing each in its own transaction makes the database the
bottleneck. `InboxWriter.store` queues an activity and returns once the transaction holding it has committed, so
a 202 is still only ever sent for an activity that is on disk. Group commit: the next write starts the moment the
previous one ends, with whatever arrived meanwhile; nothing waits on a timer.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timezone

from tortoise.transactions import in_transaction

from federation.store.bulk import marks
from federation.store.models import InboxItem


@dataclass(frozen=True)
class Received:
    """A verified activity, ready to store."""

    activity_id: str
    actor_uri: str
    type: str
    body: str
    signature: str
    key_id: str


class InboxWriter:
    """Stores `Received` activities for concurrent requests in shared transactions, deduplicated by activity id."""

    def __init__(self) -> None:
        self._pending: list[tuple[Received, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def store(self, item: Received) -> bool:
        """Store `item`; True if stored now, False if an activity with its id was already there."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._writer is None or self._writer.done():
            # The writer task inherits this request's context, so it writes to this node's database.
            self._writer = asyncio.get_running_loop().create_task(self._write())
        return await future

    async def _write(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                stored = await store_batch([item for item, _ in batch])
            except BaseException as exc:  # every waiter answers with the error; nothing was committed
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
            else:
                for (_, future), ok in zip(batch, stored):
                    if not future.done():
                        future.set_result(ok)


async def store_batch(items: list[Received]) -> list[bool]:
    """Insert the activities not stored yet, in one transaction; for each item, whether it was new."""
    now = datetime.now(timezone.utc)
    fresh: dict[str, Received] = {}
    for item in items:
        fresh.setdefault(item.activity_id, item)  # a second copy in the same batch is a duplicate of the first
    new: set[str] = set()
    async with in_transaction() as conn:
        dialect = conn.capabilities.dialect
        rows = list(fresh.values())
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start:start + _CHUNK]
            # One statement: ON CONFLICT DO NOTHING skips the ids stored already (by an earlier request, or by
            # another process a moment ago) and RETURNING names the rows it did insert. Plain parameters instead
            # of model objects (building those cost more than the insert), and no SELECT before it.
            inserted = await conn.execute_query_dict(_insert_sql(dialect, len(chunk)), [
                value for i in chunk
                for value in (i.activity_id, i.actor_uri, i.type, i.body, i.signature, i.key_id, "received", 0, now,
                              now)])
            new.update(row["activity_id"] for row in inserted)
    result, seen = [], set()
    for item in items:
        result.append(item.activity_id in new and item.activity_id not in seen)
        seen.add(item.activity_id)
    return result


_COLUMNS = ("activity_id", "actor_uri", "type", "body", "signature", "key_id", "state", "attempts",
            "next_attempt_at", "received_at")
_CHUNK = 500  # rows per INSERT: 5,000 parameters, far below SQLite's 32,766 and PostgreSQL's 32,767


@lru_cache(maxsize=64)
def _insert_sql(dialect: str, rows: int) -> str:
    width = len(_COLUMNS)
    values = ", ".join(f"({marks(dialect, width, r * width + 1)})" for r in range(rows))
    return (f'INSERT INTO "{InboxItem._meta.db_table}" ({", ".join(_COLUMNS)}) VALUES {values} '
            "ON CONFLICT (activity_id) DO NOTHING RETURNING activity_id")
