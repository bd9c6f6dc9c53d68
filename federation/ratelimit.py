"""Token-bucket rate limits keyed by who is asking (a remote host, a signing key, an editor's token).

A bucket holds up to `burst` requests and refills at `rate` per second; `take(key)` spends one and answers 0, or
answers how many seconds to wait (for a Retry-After) and spends nothing. Memory is bounded: past `max_keys`, the
key seen longest ago is forgotten (a full bucket is what it would have by then anyway, give or take).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

__all__ = ["RateLimit", "RateLimiter"]


@dataclass(frozen=True)
class RateLimit:
    """`burst` requests at once, then `rate` per second; a burst of 0 turns the limit off."""

    burst: int
    rate: float

    @property
    def off(self) -> bool:
        return self.burst <= 0 or self.rate <= 0


class RateLimiter:
    """Buckets per key for one RateLimit (see the module's docstring)."""

    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 50_000) -> None:
        self.limit, self._clock, self._max = limit, clock, max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when counted)

    def take(self, key: str) -> int:
        """Spend one request of `key`'s bucket: 0 when allowed, else whole seconds to wait (at least 1)."""
        if self.limit.off:
            return 0
        now = self._clock()
        tokens, then = self._buckets.pop(key, (float(self.limit.burst), now))
        tokens = min(float(self.limit.burst), tokens + (now - then) * self.limit.rate)
        if tokens >= 1.0:
            wait, tokens = 0, tokens - 1.0
        else:
            wait = max(1, math.ceil((1.0 - tokens) / self.limit.rate))
        if len(self._buckets) >= self._max:
            self._buckets.pop(next(iter(self._buckets)))  # dicts keep insertion order: the oldest goes
        self._buckets[key] = (tokens, now)  # re-inserted: most recently seen last
        return wait
