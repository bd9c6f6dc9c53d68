"""The delivery worker: sends queued activities to inboxes with bounded concurrency, retries, and parking.

`run_once()` claims due rows, sends them, records each outcome on its row, and returns how many it handled.
Each 2xx is recorded as soon as it arrives (in the next shared write of the worker's `SettleGroup`, which starts
the moment the previous one ends), and a request's concurrency slot is only given back once its outcome is on
disk: so at any moment at most `concurrency` deliveries are answered but not yet recorded, and a crash resends no
more than those (the requests in flight). `run_forever` keeps the claims' heartbeat (`federation.queue`).
After each claim it expands one batch of a big audience's followers into rows (`federation.expansion`), and it
claims again while earlier claims are still being sent, once fewer rows wait for a slot than there are slots.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from dataclasses import dataclass, fields
from datetime import datetime, timedelta, timezone
from typing import Any

import aiohttp

from federation.context import Federation
from federation.errors import PrivateAddressError
from federation.expansion import expand
from federation.outbox import deliverable
from federation.hosts import record_failure, record_success
from federation.claims import claim_columns
from federation.queue import SettleGroup, run_claiming
from federation.retry import Outcome, classify_status, parse_retry_after, schedule_retry
from federation.states import DeliveryState as S
from federation.store.models import Delivery, Follower, OutboxActivity, RemoteActor

log = logging.getLogger("agency_node.delivery")

# Signatures made ahead (`HttpClient.sign_posts`) are used only this soon: some servers accept a Date only within
# a minute or so of their clock.
_FRESH_SECONDS = 20.0

# Claims one `run_once` may make one after another while earlier ones are being sent (each of `batch` rows, but
# the first, of at most `_FIRST_CLAIM`: see `_run_once`).
_CLAIMS_PER_RUN = 8
_FIRST_CLAIM = 32


@dataclass(frozen=True, slots=True)
class _Claimed:
    """What a worker needs of a claimed row: read in the claiming statement itself
    (`federation.claims.claim_columns`), not as model instances."""

    id: int
    activity_id: int
    inbox: str
    host: str
    attempts: int
    created_at: Any  # as the driver returns it: only a retry needs it (`first_attempt_at`), converted then

    @property
    def first_attempt_at(self) -> datetime:
        return Delivery._meta.fields_map["created_at"].to_python_value(self.created_at)


_CLAIMED = tuple(f.name for f in fields(_Claimed))


class DeliveryWorker:
    """Delivers `Delivery` rows. Safe to run in several processes against one PostgreSQL database."""

    def __init__(self, fed: Federation, *, concurrency: int = 64, per_host: int = 8, batch: int | None = None,
                 lock_for: timedelta | None = None, timeout: float = 15.0) -> None:
        self.fed = fed
        self.timeout = timeout
        self.batch = batch or concurrency * 4
        self.claims = fed.delivery_claims
        self.lock_for = lock_for or self.claims.lock_for
        self._holding = 0  # batches in progress
        self._global = asyncio.Semaphore(concurrency)
        self._concurrency = concurrency
        self._waiting = 0  # claimed rows not yet holding a slot
        self._room = asyncio.Event()
        # One semaphore per host while some delivery to it holds or awaits it: a fan-out to tens of thousands of
        # hosts would otherwise keep one per host ever reached.
        self._per_host_limit = per_host
        self._per_host: weakref.WeakValueDictionary[str, asyncio.Semaphore] = weakref.WeakValueDictionary()
        # activity id -> (body bytes, digest header, sender): read once per activity.
        self._bodies: dict[int, tuple[bytes, str, str]] = {}
        self._failing_hosts: set[str] = set()
        self._settle = SettleGroup(Delivery, from_state=S.SENDING)
        self._allowed = deliverable(fed)

    async def run_once(self, now: datetime | None = None) -> int:
        """Claim and send one batch of due deliveries; return how many were handled (0: nothing due)."""
        self._holding += 1  # the heartbeat only beats while a batch holds claims
        try:
            return await self._run_once(now)
        finally:
            self._holding -= 1

    async def _run_once(self, now: datetime | None = None) -> int:
        # Claims follow one another while the requests of the earlier ones are still out: a new one as soon as
        # fewer rows wait for a slot than there are slots, so the slots never run dry at the tail of a claim.
        # After each claim, one batch of a big audience's followers is turned into rows (two-stage fan-out,
        # federation/expansion.py), so they are written while the claimed rows go out. The first claim is small
        # and its first signature made at once (`_start_claim`): the first requests of a story published onto an
        # idle worker wait neither for a whole batch to be claimed (256 rows took about 20 ms on PostgreSQL) nor
        # for an expansion.
        handled, sending = 0, []
        try:
            for n in range(_CLAIMS_PER_RUN):
                claimed, task = await self._start_claim(now, self.batch if n else min(self.batch, _FIRST_CLAIM),
                                                        first=n == 0)
                last = n == _CLAIMS_PER_RUN - 1  # rows expanded now would wait for the next run's claim
                expanded = 0 if last else (await expand(self._allowed, batch=self.fed.fanout_batch))[0]
                handled += expanded + claimed
                if task is not None:
                    sending.append(task)
                if not expanded and not claimed:
                    break
                while self._waiting >= self._concurrency:
                    # Only the claims still being sent: with a finished one among them, the wait returned at once
                    # and this loop spun once per turn of the event loop (1.6 times per delivery in a profile).
                    pending = [t for t in sending if not t.done()]
                    if not pending:
                        break
                    self._room.clear()
                    room = asyncio.ensure_future(self._room.wait())
                    try:
                        await asyncio.wait([room, *pending], return_when=asyncio.FIRST_COMPLETED)
                    finally:
                        room.cancel()
        finally:
            if sending:  # every claimed row ends recorded (or its task's error is raised) before returning
                results = await asyncio.gather(*sending, return_exceptions=True)
                for result in results:
                    if isinstance(result, BaseException):
                        raise result
        return handled

    async def _start_claim(self, now: datetime | None, limit: int, first: bool = False
                           ) -> tuple[int, asyncio.Future[Any] | None]:
        """Claim up to `limit` due rows and start sending them; (rows claimed, the task sending them). `first`: the
        first row's signature is made here, not in the pool (a busy event loop held the GIL that a signing thread
        needs several times per signature: its first signature took 4 to 20 ms instead of under one)."""
        now = now or datetime.now(timezone.utc)
        parked = sorted(await self.fed.parked.current())
        token, found = await claim_columns(Delivery, _CLAIMED, now=now, limit=limit, lock_for=self.lock_for,
                                           ready_state=S.QUEUED, busy_state=S.SENDING, exclude_hosts=parked,
                                           owner=self.fed.run_id, stale_seconds=self.claims.stale_seconds,
                                           raw=("created_at",))  # parsing it for every row cost 2% of a fan-out
        if not found:
            return 0, None
        rows = [_Claimed(**r) for r in found]
        await self._load_bodies({r.activity_id for r in rows})
        bodies = {r.id: self._bodies[r.activity_id] for r in rows}
        # Signed ahead in the pool, in order and a chunk at a time, while the first requests go out.
        sendable = [r for r in rows if self.fed.trust.allows_host(r.host)]
        signed = dict(zip((r.id for r in sendable), self.fed.http.sign_posts(
            [(r.inbox, bodies[r.id][0], self.fed.signers[bodies[r.id][2]], bodies[r.id][1]) for r in sendable],
            at_once=1 if first else 0)))
        started = time.monotonic()
        self._waiting += len(rows)
        task = asyncio.ensure_future(asyncio.gather(
            *(self._deliver(token, row, bodies[row.id], signed.get(row.id), started) for row in rows)))
        return len(rows), task

    async def run_forever(self, stop: asyncio.Event, idle_poll: float = 5.0) -> None:
        """Deliver until `stop` is set; sleep on the wake-up event when idle (the rows stay the only truth).

        Beats for the rows it holds all along; first, when it is the only worker on its database, it takes back
        the rows a dead predecessor held (`federation.queue.run_claiming`)."""
        await run_claiming(Delivery, self.fed.run_id, self.claims, ready_state=S.QUEUED, busy_state=S.SENDING,
                           run_once=self.run_once, wakeup=self.fed.delivery_wakeup, stop=stop, idle_poll=idle_poll,
                           log=log, name="delivery", holding=lambda: self._holding > 0)

    async def _load_bodies(self, activity_ids: set[int]) -> None:
        missing = [i for i in activity_ids if i not in self._bodies]
        if missing:
            for act in await OutboxActivity.filter(id__in=missing).only("id", "body", "digest", "actor"):
                # The digest stored with the activity (`federation.outbox.enqueue`, of these very bytes).
                self._bodies[act.id] = (act.body.encode("utf-8"), act.digest, act.actor)
        if len(self._bodies) > 10_000:  # bounded: bodies are re-read from the rows when needed
            keep = {i: self._bodies[i] for i in activity_ids if i in self._bodies}
            self._bodies = keep

    async def _deliver(self, token: str, row: _Claimed, body_of: tuple[bytes, str, str],
                       signed: asyncio.Future[dict[str, str] | None] | None, signed_at: float) -> None:
        if not self.fed.trust.allows_host(row.host):
            # Blocked after the row was queued: never send; the row says why.
            self._took_slot()
            await self._record(token, row, Outcome.PERMANENT, None, "domain blocked by the trust policy", None)
            return
        host_slots = self._per_host.get(row.host)
        if host_slots is None:
            host_slots = self._per_host[row.host] = asyncio.Semaphore(self._per_host_limit)
        try:
            await host_slots.acquire()
            try:
                await self._global.acquire()
            except BaseException:
                host_slots.release()
                raise
        finally:
            self._took_slot()
        try:
            await self._send(token, row, body_of, signed, signed_at)
        finally:
            self._global.release()
            host_slots.release()

    def _took_slot(self) -> None:
        """One claimed row less waits for a slot: the claiming loop may claim again when few are left."""
        self._waiting -= 1
        if self._waiting < self._concurrency:
            self._room.set()

    async def _send(self, token: str, row: _Claimed, body_of: tuple[bytes, str, str],
                    signed: asyncio.Future[dict[str, str] | None] | None, signed_at: float) -> None:
        """POST the row's activity and record the outcome, holding the row's slots throughout."""
        body, digest, username = body_of
        status: int | None = None
        retry_after: float | None = None
        error = ""
        headers = await signed if signed is not None else None
        if time.monotonic() - signed_at > _FRESH_SECONDS:
            headers = None  # waited long for a slot (a slow host): sign afresh, with a current Date
        try:
            resp = await self.fed.http.post(row.inbox, body, self.fed.signers[username], timeout=self.timeout,
                                            digest=digest, headers=headers)
            status = resp.status
            retry_after = parse_retry_after(resp.headers.get("Retry-After"), datetime.now(timezone.utc))
            outcome = classify_status(status)
            if outcome is not Outcome.DONE:
                error = resp.body[:200].decode("utf-8", "replace")
        except (PrivateAddressError, aiohttp.InvalidURL) as exc:
            # Policy or a URL no one can fetch (a decimal host, say): trying again cannot help.
            outcome, error = Outcome.PERMANENT, f"{type(exc).__name__}: {exc}"[:300]
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            outcome, error = Outcome.RETRY, f"{type(exc).__name__}: {exc}"[:300]
        # Recorded before the slot is given back: answered-but-unrecorded never exceeds the requests in flight.
        await self._record(token, row, outcome, status, error, retry_after)

    async def _record(self, token: str, row: _Claimed, outcome: Outcome, status: int | None, error: str,
                      retry_after: float | None) -> None:
        now = datetime.now(timezone.utc)
        if outcome is Outcome.DONE:
            await self._settle.settle(row.id, token, to_state=S.DELIVERED, last_status=status, delivered_at=now,
                                      last_error=None)
            self.fed.observer.delivery("delivered")
            if row.host in self._failing_hosts:
                self._failing_hosts.discard(row.host)
                await record_success(row.host)
                self.fed.parked.discard(row.host)
            return
        if outcome is Outcome.RETRY:
            self._failing_hosts.add(row.host)
            parked = await record_failure(row.host, self.fed.retry)
            when = schedule_retry(attempts=row.attempts, first_attempt_at=row.first_attempt_at, now=now,
                                  policy=self.fed.retry, retry_after=retry_after)
            if when is not None:
                await self._settle.settle(row.id, token, to_state=S.QUEUED, next_attempt_at=when,
                                          last_status=status, last_error=error[:300] or None)
                self.fed.observer.delivery("retried")
                if parked:
                    self.fed.parked.add(row.host)
                    log.warning("delivery.host_parked", extra={"host": row.host})
                return
            error = f"gave up after {row.attempts} attempts: {error}"
        elif outcome is Outcome.GONE:
            await _drop_gone_inbox(row.inbox)
        await self._settle.settle(row.id, token, to_state=S.DEAD, last_status=status,
                                  last_error=error[:300] or None)
        self.fed.observer.delivery("failed" if outcome is Outcome.RETRY else "dead")
        log.info("delivery.dead", extra={"inbox": row.inbox, "status": status})


async def _drop_gone_inbox(inbox: str) -> None:
    """410 Gone: the actors behind this inbox are gone; stop delivering to them."""
    actor_ids = await RemoteActor.filter(inbox=inbox).values_list("id", flat=True)
    if actor_ids:
        await Follower.filter(actor_id__in=list(actor_ids)).delete()
        await RemoteActor.filter(id__in=list(actor_ids)).update(deleted_at=datetime.now(timezone.utc))
