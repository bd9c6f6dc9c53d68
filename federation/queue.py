"""Claiming stored queue rows safely across workers and processes.

A claim is one conditional UPDATE that stamps a fresh token on due rows still in a claimable state; the rows
carrying the token afterwards are this worker's. Two workers can never both win a row: on PostgreSQL the second
UPDATE re-checks its WHERE after the first commits, on SQLite writes are serialised. A worker that dies leaves
its rows locked until `locked_until`, after which any worker may claim them again.

Settling (moving a claimed row on) is the hot path of a fan-out: one UPDATE per row. `settle` writes one row,
`settle_many` writes many rows in one round trip per group of like moves, and `SettleGroup` gathers the moves of
concurrent tasks into such groups (group commit: whoever arrives while a write is running goes into the next one,
nothing waits on a timer). The statements are plain SQL built once per shape, because building each UPDATE through
the ORM cost more than running it.

`run_batches` and `idle_wait` are the loop every queue worker runs: a batch, and when there was nothing to do,
a sleep that ends early on the worker's wake-up event or on stop (the rows stay the only truth).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable, TypeVar

from tortoise.expressions import F, Q
from tortoise.models import Model

from federation.states import check_transition

M = TypeVar("M", bound=Model)


async def idle_wait(wakeup: asyncio.Event, stop: asyncio.Event, timeout: float) -> None:
    """Sleep until `wakeup` is set again, `stop` is set, or `timeout` seconds pass."""
    wakeup.clear()
    waiters = [asyncio.ensure_future(wakeup.wait()), asyncio.ensure_future(stop.wait())]
    await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    for w in waiters:
        w.cancel()


async def run_batches(run_once: Callable[[], Awaitable[int]], wakeup: asyncio.Event, stop: asyncio.Event, *,
                      idle_poll: float, log: Any, failure: str) -> None:
    """Run `run_once()` until `stop` is set, idling (`idle_wait`) whenever a batch handled nothing. A failing
    batch (a database hiccup) is logged as `failure` and must not kill the worker: the rows keep the work."""
    while not stop.is_set():
        try:
            handled = await run_once()
        except Exception:
            log.exception(failure)
            handled = 0
        if handled == 0:
            await idle_wait(wakeup, stop, idle_poll)


async def claim(model: type[M], *, now: datetime, limit: int, lock_for: timedelta, ready_state: str,
                busy_state: str, exclude_hosts: list[str] | None = None) -> tuple[str, list[M]]:
    """Claim up to `limit` due rows of `model` (ready ones, and busy ones whose lock expired)."""
    check_transition(ready_state, busy_state)
    due = Q(state=ready_state, next_attempt_at__lte=now) | Q(state=busy_state, locked_until__lt=now)
    candidates = model.filter(due)
    if exclude_hosts:
        candidates = candidates.exclude(host__in=exclude_hosts)
    ids = await candidates.order_by("next_attempt_at", "id").limit(limit).values_list("id", flat=True)
    if not ids:
        return "", []
    token = str(uuid.uuid4())
    await model.filter(Q(id__in=list(ids)) & due).update(
        state=busy_state, claim_token=token, locked_until=now + lock_for, attempts=F("attempts") + 1
    )
    rows = await model.filter(claim_token=token, state=busy_state).order_by("id")
    return token, rows


async def settle(model: type[Model], row_id: int, token: str, *, from_state: str, to_state: str,
                 **values: Any) -> bool:
    """Move a claimed row on, only if this worker still holds it. Returns False if the claim was lost."""
    check_transition(from_state, to_state)
    sql, params = _settle_statement(model, from_state, to_state, sorted(values))
    updated, _ = await model._meta.db.execute_query(
        sql, params(Move(row_id, token, to_state, values)))
    return bool(updated)


@dataclass(frozen=True)
class Move:
    """One claimed row to settle: its id, the claim token it was taken with, where it goes, and what to set."""

    row_id: int
    token: str
    to_state: str
    values: dict[str, Any] = field(default_factory=dict)


async def settle_many(model: type[Model], moves: list[Move], *, from_state: str) -> None:
    """Settle many claimed rows: one statement per group of moves to the same state setting the same columns.

    Like `settle`, a row whose claim was lost (another worker re-claimed it after its lock expired) is left alone.
    """
    groups: dict[tuple[str, tuple[str, ...]], list[Move]] = {}
    for move in moves:
        check_transition(from_state, move.to_state)
        groups.setdefault((move.to_state, tuple(sorted(move.values))), []).append(move)
    db = model._meta.db
    for (to_state, columns), group in groups.items():
        sql, params = _settle_statement(model, from_state, to_state, list(columns))
        if len(group) == 1:
            await db.execute_query(sql, params(group[0]))
        else:
            await db.execute_many(sql, [params(m) for m in group])


class SettleGroup:
    """Settles rows for concurrent tasks in shared writes; `await settle(...)` returns once the row is written."""

    def __init__(self, model: type[Model], *, from_state: str) -> None:
        self.model = model
        self.from_state = from_state
        self._pending: list[tuple[Move, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def settle(self, row_id: int, token: str, *, to_state: str, **values: Any) -> None:
        """Queue one move and wait until it is written (raises what the write raised)."""
        check_transition(self.from_state, to_state)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((Move(row_id, token, to_state, values), future))
        if self._writer is None or self._writer.done():
            # The writer task inherits this task's context, so it writes to this node's database.
            self._writer = asyncio.get_running_loop().create_task(self._write())
        await future

    async def _write(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                await settle_many(self.model, [m for m, _ in batch], from_state=self.from_state)
            except BaseException as exc:  # every waiter learns its row was not written
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
            else:
                for _, future in batch:
                    if not future.done():
                        future.set_result(None)


_STATEMENTS: dict[tuple[str, str, str, str, tuple[str, ...]], tuple[str, list[str]]] = {}


def _settle_statement(model: type[Model], from_state: str, to_state: str, columns: list[str]) -> tuple[str, Any]:
    """The conditional UPDATE for one shape of move, and a function turning a `Move` into its parameters."""
    meta = model._meta
    dialect = meta.db.capabilities.dialect
    key = (dialect, meta.db_table, from_state, to_state, tuple(columns))
    if key not in _STATEMENTS:
        names = [meta.fields_db_projection[c] for c in columns]
        mark = (lambda i: f"${i}") if dialect == "postgres" else (lambda i: "?")
        sets = ["state = " + mark(1), "locked_until = NULL"]
        sets += [f'"{name}" = {mark(i)}' for i, name in enumerate(names, start=2)]
        n = len(names) + 2
        sql = (f'UPDATE "{meta.db_table}" SET {", ".join(sets)} '
               f"WHERE id = {mark(n)} AND claim_token = {mark(n + 1)} AND state = {mark(n + 2)}")
        _STATEMENTS[key] = (sql, columns)
    sql, cols = _STATEMENTS[key]
    fields_map = meta.fields_map

    def params(move: Move) -> list[Any]:
        values = [fields_map[c].to_db_value(move.values[c], model) for c in cols]
        return [move.to_state, *values, move.row_id, move.token, from_state]

    return sql, params
