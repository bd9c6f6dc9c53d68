"""What becomes of claimed queue rows across workers and processes: heartbeats, take-back, settling, and the loop
every queue worker runs. The rows are claimed by `federation.claims`.

Whose claims are whose (queues whose rows have `claim_owner` and `heartbeat_at` columns): every process has an
owner id (a random run id, `Federation.run_id`) stamped on the rows it claims, and while it runs it refreshes
their `heartbeat_at` every `ClaimPolicy.heartbeat_seconds` (`keep_beating`). Rows whose heartbeat stopped for
`ClaimPolicy.stale_seconds` belong to a dead process and any worker claims them again, seconds after the crash
instead of after `locked_until`; `locked_until` stays as the longest a live worker may hold one claim. A node that
knows it is the only worker (SQLite: one process) takes back every claim not its own at start-up
(`take_back`), at once.

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
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Awaitable, Callable

from tortoise.expressions import Q
from tortoise.models import Model

from federation.claims import has_owner
from federation.states import check_transition


async def idle_wait(wakeup: asyncio.Event, stop: asyncio.Event, timeout: float, *, clear: bool = True) -> None:
    """Sleep until `wakeup` is set again (with `clear=False`: returns at once if it is set), `stop` is set, or
    `timeout` seconds pass."""
    if clear:
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
        # Cleared before the batch, not after: a wake-up that comes while the batch looks for rows (rows committed
        # just after its query, told by another process's NOTIFY) then ends the idle wait at once, not at the poll.
        wakeup.clear()
        try:
            handled = await run_once()
        except Exception:
            log.exception(failure)
            handled = 0
        if handled == 0:
            await idle_wait(wakeup, stop, idle_poll, clear=False)


@dataclass(frozen=True)
class ClaimPolicy:
    """How long claims are held, and how soon a dead owner's claims are taken back (built by the application).

    `lock_seconds`: the longest one live worker may hold a claim (a hung task's rows come back after it).
    `heartbeat_seconds`: how often a running worker stamps `heartbeat_at` on the rows it holds.
    `stale_seconds`: a claim whose heartbeat is older than this belongs to a dead process and is claimed again.
    `take_back_at_start`: the worker is the only one on its database (SQLite): at start it takes back every claim
    that is not its own, at once (they can only be a dead predecessor's).
    """

    lock_seconds: float = 120.0
    heartbeat_seconds: float = 2.0
    stale_seconds: float = 10.0
    take_back_at_start: bool = False

    def __post_init__(self) -> None:
        if not 0 < self.heartbeat_seconds < self.stale_seconds:
            raise ValueError("heartbeat_seconds must be positive and shorter than stale_seconds")

    @property
    def lock_for(self) -> timedelta:
        return timedelta(seconds=self.lock_seconds)


async def beat(model: type[Model], owner: str, *, busy_state: str, now: datetime) -> int:
    """Refresh the heartbeat of every row `owner` holds; returns how many."""
    meta = model._meta
    if meta.db.capabilities.dialect == "postgres":
        # Rows locked now are being settled (they leave the busy state): skip them rather than wait. A beat that
        # waited for them while holding others deadlocked with the settling write (`settle_many`, one transaction
        # for many rows) of its own process: found by bench/workers.py with four worker processes.
        table = meta.db_table
        updated, _ = await meta.db.execute_query(
            f'UPDATE "{table}" SET heartbeat_at = $1 WHERE id IN (SELECT id FROM "{table}" '
            "WHERE claim_owner = $2 AND state = $3 FOR UPDATE SKIP LOCKED)", [now, owner, busy_state])
        return updated
    return await model.filter(claim_owner=owner, state=busy_state).update(heartbeat_at=now)


async def keep_beating(model: type[Model], owner: str, *, busy_state: str, every: float, stop: asyncio.Event,
                       log: Any, holding: Callable[[], bool] = lambda: True) -> None:
    """Beat (`beat`) every `every` seconds until `stop` is set, skipping the beats while `holding()` says the
    worker holds no claim (an idle node writes nothing). A failed beat (the database busy) is logged and tried
    again at the next beat: the claims only expire after several missed beats."""
    while not stop.is_set():
        try:
            if holding():
                await beat(model, owner, busy_state=busy_state, now=datetime.now(timezone.utc))
        except Exception:
            log.warning("queue.heartbeat_failed", exc_info=True)
        try:
            await asyncio.wait_for(stop.wait(), every)
        except TimeoutError:
            pass


async def take_back(model: type[Model], owner: str, *, ready_state: str, busy_state: str) -> int:
    """Put every busy row not held by `owner` back in the queue, due now; returns how many.

    Only for a worker that knows it is the only one on its database: the rows can then only be a dead
    predecessor's. The attempt they counted stays counted (the dead process may have made it)."""
    check_transition(busy_state, ready_state)
    unowned = Q(state=busy_state) & (Q(claim_owner__isnull=True) | ~Q(claim_owner=owner))
    return await model.filter(unowned).update(state=ready_state, claim_token=None, claim_owner=None,
                                              locked_until=None, heartbeat_at=None)


async def take_back_all(model: type[Model], *, ready_state: str, busy_state: str) -> int:
    """Put every busy row of a queue without owners (a lock only) back in the queue, due now; returns how many.

    For a worker that knows it is the only one on its database and has not claimed anything yet (a SQLite node
    starting): every busy row is then a dead predecessor's, which would otherwise wait for its lock to expire."""
    check_transition(busy_state, ready_state)
    return await model.filter(state=busy_state).update(state=ready_state, claim_token=None, locked_until=None)


async def run_claiming(model: type[Model], owner: str, policy: "ClaimPolicy", *, ready_state: str, busy_state: str,
                       run_once: Callable[[], Awaitable[int]], wakeup: asyncio.Event, stop: asyncio.Event,
                       idle_poll: float, log: Any, name: str, holding: Callable[[], bool]) -> None:
    """A queue worker's life: first, when `policy` says it is the only worker on its database, take back the
    rows a dead predecessor held (`take_back`); then run batches (`run_batches`) and beat for the rows it holds
    (`keep_beating`) side by side until `stop` is set. Events are logged as `<name>.taken_back`,
    `<name>.take_back_failed` and `<name>.batch_failed`."""
    if policy.take_back_at_start:
        try:
            taken = await take_back(model, owner, ready_state=ready_state, busy_state=busy_state)
            if taken:
                log.warning(f"{name}.taken_back", extra={"rows": taken})
        except Exception:  # the database busy at start: the heartbeat hands those rows over a little later
            log.exception(f"{name}.take_back_failed")
    await asyncio.gather(
        run_batches(run_once, wakeup, stop, idle_poll=idle_poll, log=log, failure=f"{name}.batch_failed"),
        keep_beating(model, owner, busy_state=busy_state, every=policy.heartbeat_seconds, stop=stop, log=log,
                     holding=holding))


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
        if has_owner(model):
            sets.append("heartbeat_at = NULL")
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
