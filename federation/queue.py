"""Claiming stored queue rows safely across workers and processes.

A claim is one conditional UPDATE that stamps a fresh token on due rows still in a claimable state; the rows
carrying the token afterwards are this worker's. Two workers can never both win a row: on PostgreSQL the second
UPDATE re-checks its WHERE after the first commits, on SQLite writes are serialised. A worker that dies leaves
its rows locked until `locked_until`, after which any worker may claim them again.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, TypeVar

from tortoise.expressions import F, Q
from tortoise.models import Model

from federation.states import check_transition

M = TypeVar("M", bound=Model)


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
    updated = await model.filter(id=row_id, claim_token=token, state=from_state).update(
        state=to_state, locked_until=None, **values)
    return bool(updated)
