"""Wrong passwords per client address: a sliding window kept in memory (per process), so one address cannot
try passwords across many accounts faster than `address_failures` per `address_window_seconds`."""

from __future__ import annotations

import math
import time
from collections import deque
from typing import Callable

__all__ = ["AddressLimiter"]


class AddressLimiter:
    """Counts failures per address; `retry_after` says how long an address must wait (0: it may try)."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic,
                 max_addresses: int = 100_000) -> None:
        self.limit, self.window, self._clock, self._max = limit, window, clock, max_addresses
        self._failures: dict[str, deque[float]] = {}

    def _prune(self, address: str, now: float) -> deque[float]:
        seen = self._failures.get(address)
        if seen is None:
            return deque()
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        if not seen:
            del self._failures[address]
        return seen

    def retry_after(self, address: str) -> int:
        """Seconds until `address` may try again (whole seconds, at least 1 when blocked), or 0."""
        now = self._clock()
        seen = self._prune(address, now)
        if len(seen) < self.limit:
            return 0
        return max(1, math.ceil(seen[len(seen) - self.limit] + self.window - now))

    def failed(self, address: str) -> None:
        """Record one wrong password from `address`."""
        now = self._clock()
        if address not in self._failures and len(self._failures) >= self._max:
            # Memory is bounded: forget the address seen longest ago (dicts keep insertion order).
            self._failures.pop(next(iter(self._failures)))
        self._failures.setdefault(address, deque()).append(now)
