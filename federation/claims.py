"""Claiming due queue rows: the one statement that takes them for a worker, and what claiming costs.

A claim is one conditional UPDATE that stamps a fresh token on due rows still in a claimable state; the rows
carrying the token afterwards are this worker's. Two workers can never both win a row: on PostgreSQL the UPDATE
picks its rows `FOR UPDATE SKIP LOCKED` (workers claiming at the same moment, all woken by one notification, take
different rows instead of losing the same ones), on SQLite writes are serialised. `CLAIMS` counts what claiming
costs each process.

Due rows are ready ones whose time has come, busy ones whose lock expired and, on queues whose rows have
`claim_owner` and `heartbeat_at` columns, busy ones whose owner stopped beating (a dead process's). The claiming
process's owner id and a first heartbeat are stamped on the rows it wins. Beating, taking back, settling and the
worker's loop are `federation.queue`'s.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from tortoise.models import Model

from federation.states import check_transition

M = TypeVar("M", bound=Model)


def has_owner(model: type[Model]) -> bool:
    """Whether `model`'s rows carry an owner and a heartbeat (the engine's delivery and inbox queues do)."""
    return "claim_owner" in model._meta.fields_map


async def claim(model: type[M], *, now: datetime, limit: int, lock_for: timedelta, ready_state: str,
                busy_state: str, exclude_hosts: list[str] | None = None, owner: str | None = None,
                stale_seconds: float | None = None) -> tuple[str, list[M]]:
    """Claim up to `limit` due rows of `model`: ready ones, busy ones whose lock expired and, with
    `stale_seconds`, busy ones whose owner stopped beating that long ago. `owner` is stamped on the rows.
    One UPDATE (`claim_columns`), then the rows it won as model instances."""
    token, won = await claim_columns(model, ("id",), now=now, limit=limit, lock_for=lock_for,
                                     ready_state=ready_state, busy_state=busy_state,
                                     exclude_hosts=exclude_hosts, owner=owner, stale_seconds=stale_seconds)
    if not won:
        return "", []
    counts = CLAIMS[model._meta.db_table]
    started = time.perf_counter()
    counts.statements += 1
    rows = await model.filter(id__in=[r["id"] for r in won]).order_by("id")
    counts.seconds += time.perf_counter() - started
    return token, rows


@dataclass
class ClaimCounts:
    """What this process's claims on one queue cost: statements run, claims that won rows and the rows they won,
    claims that found nothing due (on PostgreSQL, also those whose rows another worker was claiming), and the
    time spent claiming (wall clock)."""

    statements: int = 0
    claims: int = 0
    rows: int = 0
    empty: int = 0
    seconds: float = 0.0


# Per table, since the process started (`agency-node worker` prints them when it stops; bench/workers.py reads them).
CLAIMS: dict[str, ClaimCounts] = {}


async def claim_columns(model: type[Model], columns: tuple[str, ...], *, now: datetime, limit: int,
                        lock_for: timedelta, ready_state: str, busy_state: str,
                        exclude_hosts: list[str] | None = None, owner: str | None = None,
                        stale_seconds: float | None = None, raw: tuple[str, ...] = ()
                        ) -> tuple[str, list[dict[str, Any]]]:
    """Claim up to `limit` due rows of `model` as `claim` describes, in one `UPDATE ... RETURNING`
    (`claim_statement`) that hands back only `columns` (as plain values converted by the model's fields; those
    named in `raw` as the driver returns them, for the caller to convert if it ever needs them).

    The hot queues use it directly: turning every claimed row into a model instance costs more than the claim
    itself. The re-check of the due condition in the outer WHERE is what keeps two PostgreSQL workers from both
    winning a row (the second UPDATE re-evaluates it after the first commits); there the inner SELECT also skips
    rows another worker is claiming (`FOR UPDATE SKIP LOCKED`), so workers woken together take different rows.
    Counted in `CLAIMS`."""
    check_transition(ready_state, busy_state)
    meta = model._meta
    db = meta.db
    token = str(uuid.uuid4())
    sql, params = claim_statement(model, columns, token, now=now, limit=limit, lock_for=lock_for,
                                  ready_state=ready_state, busy_state=busy_state, exclude_hosts=exclude_hosts,
                                  owner=owner, stale_seconds=stale_seconds)
    table = meta.db_table
    counts = CLAIMS.setdefault(table, ClaimCounts())
    started = time.perf_counter()
    try:
        counts.statements += 1
        found = await db.execute_query_dict(sql, params)
    finally:
        counts.seconds += time.perf_counter() - started
    if not found:
        counts.empty += 1
        return "", []
    counts.claims += 1
    counts.rows += len(found)
    fields_map = meta.fields_map
    convert = [(c, meta.fields_db_projection[c], fields_map[c]) for c in columns if c not in raw]
    keep = [(c, meta.fields_db_projection[c]) for c in columns if c in raw]
    rows = [{**{c: f.to_python_value(r[name]) for c, name, f in convert}, **{c: r[name] for c, name in keep}}
            for r in found]
    rows.sort(key=lambda r: r.get("id", 0))
    return token, rows


def claim_statement(model: type[Model], columns: tuple[str, ...], token: str, *, now: datetime, limit: int,
                    lock_for: timedelta, ready_state: str, busy_state: str, exclude_hosts: list[str] | None = None,
                    owner: str | None = None, stale_seconds: float | None = None) -> tuple[str, list[Any]]:
    """`claim_columns`' UPDATE ... RETURNING for the model's dialect, and its parameters."""
    meta = model._meta
    pg = meta.db.capabilities.dialect == "postgres"
    params: list[Any] = []

    def mark(value: Any, field_name: str | None = None) -> str:
        params.append(meta.fields_map[field_name].to_db_value(value, model) if field_name else value)
        return f"${len(params)}" if pg else f"?{len(params)}"  # numbered: each clause is written once, used twice

    owned = has_owner(model)
    sets = [f"state = {mark(busy_state)}", f"claim_token = {mark(token)}",
            f"locked_until = {mark(now + lock_for, 'locked_until')}", "attempts = attempts + 1"]
    if owned:
        sets += [f"claim_owner = {mark(owner)}", f"heartbeat_at = {mark(now, 'heartbeat_at')}"]

    ready = f"(state = {mark(ready_state)} AND next_attempt_at <= {mark(now, 'next_attempt_at')})"
    expired = f"(state = {mark(busy_state)} AND locked_until < {mark(now, 'locked_until')})"
    due = [ready, expired]  # ready rows whose time has come, busy rows whose lock expired...
    if owned and stale_seconds is not None:  # ... and busy rows whose owner stopped beating
        stale = now - timedelta(seconds=stale_seconds)
        due.append(f"(state = {mark(busy_state)} AND heartbeat_at < {mark(stale, 'heartbeat_at')})")
    hosts = f" AND host NOT IN ({', '.join(mark(h) for h in exclude_hosts)})" if exclude_hosts else ""
    table = meta.db_table
    names = ", ".join(f'"{meta.fields_db_projection[c]}"' for c in columns)
    order = f"ORDER BY next_attempt_at, id LIMIT {int(limit)}"
    if pg:
        # The picked ids are an array computed once (an InitPlan). As `id IN (subquery)` beside the outer re-check,
        # the planner may run the subquery again for each row it scans, and since the rows it has just claimed are
        # no longer due, every run picks `limit` more: one claim took every due row.
        pick = f'SELECT id FROM "{table}" WHERE ({" OR ".join(due)}){hosts} {order}'
        picked = f"id = ANY(ARRAY({pick} FOR UPDATE SKIP LOCKED))"
    else:
        # Each kind of due row picked on its own, oldest first along the (state, next_attempt_at) index, and the
        # oldest of those taken: one OR over them made SQLite read every row of the state and sort them all, a
        # cost that grew with the backlog (2 ms a claim with 2,400 inbox items waiting, 0.05 ms this way).
        branches = " UNION ".join(f'SELECT * FROM (SELECT id, next_attempt_at FROM "{table}" WHERE {clause}{hosts} '
                                  f"{order})" for clause in due)
        picked = f"id IN (SELECT id FROM ({branches}) {order})"
    sql = f'UPDATE "{table}" SET {", ".join(sets)} WHERE {picked} AND ({" OR ".join(due)}) RETURNING {names}'
    return sql, params
