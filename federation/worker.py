"""The inbox worker: hands stored inbox items to the application's listeners and the engine's handlers.

Like the delivery worker it exposes `run_once()` (tests call it) and `run_forever()`. Every claimed row ends in a
final state or back in the queue with its reason (`federation.payload` says which errors are which): an
activity we cannot use (a bad shape, too long, too deep, a permanent fetch refusal) is ignored with the reason; a
transient failure (the database busy, a peer unreachable) is retried with back-off, then marked failed for the
operator after `MAX_ATTEMPTS` or the retry horizon, never swallowed silently.

A run of consecutive activities of a type the application handles in batches (`InboxListeners.on_batch`: the wire's
new stories) goes to that batch listener first, which settles what it stored in its own transaction; what it does
not take goes down the single chain afterwards, in order.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, fields
from typing import Any
from datetime import datetime, timedelta, timezone

import orjson

from federation.context import Federation
from federation.errors import FetchError
from federation.listeners import BatchListener, Ignored
from federation.payload import PAYLOAD_ERRORS, TRANSIENT_ERRORS, check_depth, unusable_reason
from federation.handlers import DEFAULTS
from federation.handlers.base import batch_lookups, followed_actors
from federation.claims import claim_columns
from federation.queue import Move, SettleGroup, run_claiming, settle_many
from federation.retry import next_delay
from federation.states import InboxState as S
from federation.store.models import InboxItem
from schemas.activitystreams import parse_activity

log = logging.getLogger("agency_node.inbox_worker")

MAX_ATTEMPTS = 8


@dataclass(frozen=True, slots=True)
class _Claimed:
    """What the worker needs of a claimed row: read in the claiming statement itself
    (`federation.claims.claim_columns`), not as model instances (their datetimes parsed, their fields set one by one)."""

    id: int
    actor_uri: str
    type: str
    body: str
    signature: str
    attempts: int
    received_at: Any  # as the database driver gave it (converted in `_retry_or_fail`, the one reader)


_CLAIMED = tuple(f.name for f in fields(_Claimed))


class ReceivedActivity(dict):
    """A normalised activity that also keeps the document exactly as received (`raw`): an object integrity
    proof on the activity covers the received form (``to`` as a string, say), not the normalised one."""

    raw: dict


class InboxWorker:
    """Processes `InboxItem` rows in arrival order."""

    def __init__(self, fed: Federation, *, batch: int = 100, lock_for: timedelta | None = None) -> None:
        self.fed = fed
        self.batch = batch
        self.claims = fed.inbox_claims
        self.lock_for = lock_for or self.claims.lock_for
        self._holding = 0  # batches in progress
        self._settle_group = SettleGroup(InboxItem, from_state=S.PROCESSING)
        self._settling: list[asyncio.Future[None]] = []

    async def run_once(self, now: datetime | None = None) -> int:
        """Process one batch of received items; return how many were handled (0: nothing due)."""
        self._holding += 1  # the heartbeat only beats while a batch holds claims
        try:
            return await self._run_once(now)
        finally:
            self._holding -= 1

    async def _run_once(self, now: datetime | None = None) -> int:
        now = now or datetime.now(timezone.utc)
        token, found = await claim_columns(InboxItem, _CLAIMED, now=now, limit=self.batch, lock_for=self.lock_for,
                                           ready_state=S.RECEIVED, busy_state=S.PROCESSING,
                                           owner=self.fed.run_id, stale_seconds=self.claims.stale_seconds,
                                           raw=("received_at",))  # read only when an item fails
        rows = [_Claimed(**r) for r in found]
        # The senders' follow state in one query for the batch, not one per item.
        with batch_lookups(await followed_actors(row.actor_uri for row in rows) if rows else {}):
            try:
                activities = [await self._parse(token, row) for row in rows]
                i = 0
                while i < len(rows):  # in order: a Follow must be handled before its Undo
                    activity = activities[i]
                    together = self.fed.listeners.batch_listener(activity["type"]) if activity else None
                    if together is None:
                        if activity is not None:
                            await self._process(token, rows[i], activity)
                        i += 1
                        continue
                    # A run of this type (rows that did not parse are settled already and do not break it).
                    j = i + 1
                    while j < len(rows) and (activities[j] is None or activities[j]["type"] == activity["type"]):
                        j += 1
                    await self._process_run(token, [(rows[k], activities[k]) for k in range(i, j) if activities[k]],
                                            together)
                    i = j
            finally:
                # Each outcome was written while the next item was processed; wait for the last writes.
                settling, self._settling = self._settling, []
                await asyncio.gather(*settling)
        return len(rows)

    async def run_forever(self, stop: asyncio.Event, idle_poll: float = 5.0) -> None:
        """Process until `stop` is set, sleeping on the wake-up event when idle, beating for the rows it holds;
        first, when it is the only worker on its database, it takes back the rows a dead predecessor held
        (`federation.queue.run_claiming`)."""
        await run_claiming(InboxItem, self.fed.run_id, self.claims, ready_state=S.RECEIVED,
                           busy_state=S.PROCESSING, run_once=self.run_once, wakeup=self.fed.inbox_wakeup, stop=stop,
                           idle_poll=idle_poll, log=log, name="inbox", holding=lambda: self._holding > 0)

    async def _parse(self, token: str, row: _Claimed) -> ReceivedActivity | None:
        """The row's activity, normalised; None when it cannot be read (the row is then settled)."""
        try:
            raw = orjson.loads(row.body)
            check_depth(raw)
            activity = ReceivedActivity(parse_activity(raw))
        except Exception as exc:
            await self._failed(token, row, exc)
            return None
        activity.raw = raw
        return activity

    async def _process(self, token: str, row: _Claimed, activity: ReceivedActivity) -> None:
        try:
            note = await self.fed.listeners.dispatch(self.fed, activity, row.signature, DEFAULTS)
        except Exception as exc:
            await self._failed(token, row, exc)
            return
        self._done(token, row, note)

    async def _process_run(self, token: str, run: list[tuple[_Claimed, ReceivedActivity]],
                           together: BatchListener) -> None:
        """Hand a run of activities of one type to the type's batch listener; the ones it did not take go down
        the single chain afterwards, in their order."""
        settled: set[int] = set()
        now = datetime.now(timezone.utc)

        async def settle_in_transaction(notes: dict[int, str]) -> None:
            await settle_many(InboxItem, [Move(run[i][0].id, token, S.PROCESSED,
                                               {"note": note[:300], "processed_at": now}) for i, note in notes.items()],
                              from_state=S.PROCESSING)
            settled.update(notes)

        try:
            outcomes = await together(self.fed, [(activity, row.signature) for row, activity in run],
                                      settle_in_transaction)
            if len(outcomes) != len(run):
                raise RuntimeError(f"the batch listener answered {len(outcomes)} of {len(run)} activities")
        except Exception:
            # Nothing of the batch was kept (its listener commits all of it or nothing): each goes on its own.
            log.exception("inbox.batch_failed", extra={"activity_type": run[0][1]["type"], "count": len(run)})
            outcomes = [None] * len(run)
        for index, ((row, activity), outcome) in enumerate(zip(run, outcomes)):
            if isinstance(outcome, str) and index in settled:
                self.fed.observer.inbox(str(S.PROCESSED))  # settled with its story, in the listener's transaction
            elif outcome is None:
                await self._process(token, row, activity)
            elif isinstance(outcome, BaseException):
                await self._failed(token, row, outcome)
            else:
                self._done(token, row, outcome)

    def _done(self, token: str, row: _Claimed, note: str | None) -> None:
        self._settle(row.id, token, to_state=S.PROCESSED, note=(note or "")[:300],
                     processed_at=datetime.now(timezone.utc))

    async def _failed(self, token: str, row: _Claimed, exc: BaseException) -> None:
        """Settle a row whose handling raised `exc`: ignored with the reason, retried later, or failed."""
        now = datetime.now(timezone.utc)
        if isinstance(exc, Ignored):
            self._settle(row.id, token, to_state=S.IGNORED, note=str(exc)[:300], processed_at=now)
            return
        reason = unusable_reason(exc)
        if reason is not None:
            if not isinstance(exc, (*PAYLOAD_ERRORS, FetchError)):
                # A handler met a shape it did not expect: the row is settled, but a developer should look.
                log.warning("inbox.handler_unusable", exc_info=exc, extra={"activity_type": row.type})
            self._settle(row.id, token, to_state=S.IGNORED, note=reason[:300], processed_at=now)
            return
        if not isinstance(exc, (FetchError, *TRANSIENT_ERRORS)) and row.attempts <= 1:
            # Unknown trouble: the traceback once, not on every retry.
            log.error("inbox.handler_failed", exc_info=exc, extra={"activity_type": row.type})
        await self._retry_or_fail(token, row, f"{type(exc).__name__}: {exc}")

    def _settle(self, row_id: int, token: str, *, to_state: str, **values: object) -> None:
        """Record an item's outcome in the next shared write, without waiting for it (see `run_once`)."""
        if to_state in (S.PROCESSED, S.IGNORED, S.FAILED):
            self.fed.observer.inbox(str(to_state))
        self._settling.append(asyncio.ensure_future(
            self._settle_group.settle(row_id, token, to_state=to_state, **values)))

    async def _retry_or_fail(self, token: str, row: _Claimed, error: str) -> None:
        now = datetime.now(timezone.utc)
        received = InboxItem._meta.fields_map["received_at"].to_python_value(row.received_at)
        received = received if received.tzinfo else received.replace(tzinfo=timezone.utc)
        horizon = (now - received).total_seconds() >= self.fed.retry.give_up_after
        if row.attempts >= MAX_ATTEMPTS or horizon:
            self._settle(row.id, token, to_state=S.FAILED,
                         note=error[:300], processed_at=now)
            return
        self._settle(row.id, token, to_state=S.RECEIVED, note=error[:300],
                     next_attempt_at=now + timedelta(seconds=next_delay(row.attempts, self.fed.retry)))
