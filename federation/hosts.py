"""Per-host health: a circuit breaker that parks hosts that keep failing and revives them when they talk to us."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone

from tortoise.expressions import F

from federation.retry import RetryPolicy, should_park
from federation.store.models import Delivery, HostHealth


async def record_success(host: str) -> None:
    """A delivery to `host` succeeded."""
    await HostHealth.filter(host=host).update(consecutive_failures=0, parked=False,
                                               last_success_at=datetime.now(timezone.utc))


async def record_failure(host: str, policy: RetryPolicy) -> bool:
    """A delivery to `host` failed (retryably); return True when this failure parks the host."""
    now = datetime.now(timezone.utc)
    row, _ = await HostHealth.get_or_create(host=host)
    await HostHealth.filter(id=row.id).update(consecutive_failures=F("consecutive_failures") + 1,
                                              last_failure_at=now)
    await row.refresh_from_db()
    if not row.parked and should_park(row.consecutive_failures, policy):
        await HostHealth.filter(id=row.id).update(parked=True)
        return True
    return False


async def revive_host(host: str) -> bool:
    """`host` sent us something: un-park it so its queued deliveries flow again. True if it was parked."""
    now = datetime.now(timezone.utc)
    updated = await HostHealth.filter(host=host, parked=True).update(
        parked=False, consecutive_failures=0, last_success_at=now)
    if updated:
        # What waited for the host goes out now, not at the end of a long back-off.
        await Delivery.filter(host=host, state="queued").update(next_attempt_at=now)
    return bool(updated)


async def parked_hosts() -> list[str]:
    """Hosts currently parked."""
    return list(await HostHealth.filter(parked=True).values_list("host", flat=True))


class ParkedHosts:
    """The set of parked hosts, kept in memory and reloaded from the database at most every `ttl` seconds.

    The inbox consults it on every request and the delivery worker on every batch, instead of a query each time.
    This process's own parking and reviving update it at once (`add`, `discard`); another process's show up
    within `ttl`, so a host parked elsewhere may wait that long to be revived by a request it sends here.
    """

    def __init__(self, ttl: float = 5.0) -> None:
        self.ttl = ttl
        self._hosts: set[str] = set()
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def current(self) -> frozenset[str]:
        """The parked hosts (reloaded when the copy is older than `ttl`)."""
        return frozenset(await self._fresh())

    async def contains(self, host: str) -> bool:
        """Whether `host` is parked, as far as this process knows (asked on every inbox request: no copy of the
        set is made for it)."""
        return host in await self._fresh()

    async def _fresh(self) -> set[str]:
        """The set itself, reloaded first when older than `ttl`."""
        if time.monotonic() >= self._expires:
            async with self._lock:  # one reload for a crowd of requests, not one each
                if time.monotonic() >= self._expires:
                    self._hosts = set(await parked_hosts())
                    self._expires = time.monotonic() + self.ttl
        return self._hosts

    def add(self, host: str) -> None:
        self._hosts.add(host)

    def discard(self, host: str) -> None:
        self._hosts.discard(host)
