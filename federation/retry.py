"""Retry policy as pure functions: when to try a delivery again, and what an answer or an error means."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from enum import StrEnum


class Outcome(StrEnum):
    DONE = "done"            # 2xx: delivered
    RETRY = "retry"          # 429, 5xx, timeouts, connection errors: try again later
    GONE = "gone"            # 410: the actor (or inbox) is gone; drop the follower
    PERMANENT = "permanent"  # other 4xx: the peer will never accept this; do not retry


@dataclass(frozen=True)
class RetryPolicy:
    """How deliveries are retried. Defaults follow Mastodon: exponential over about two and a half days."""

    base_delay: float = 30.0        # seconds before the first retry
    max_delay: float = 6 * 3600.0   # cap on one wait
    give_up_after: float = 60 * 3600.0  # from the first attempt
    jitter: float = 0.2             # +/- fraction applied to each delay
    park_after_failures: int = 10   # consecutive failures before a host is parked


def classify_status(status: int) -> Outcome:
    """What an HTTP status from an inbox means for the delivery."""
    if 200 <= status < 300:
        return Outcome.DONE
    if status == 410:
        return Outcome.GONE
    if status in (408, 425, 429) or status >= 500:
        return Outcome.RETRY
    if 400 <= status < 500:
        return Outcome.PERMANENT
    return Outcome.RETRY  # 1xx/3xx from an inbox is a misconfigured peer; try again later


def next_delay(attempts: int, policy: RetryPolicy, rng: random.Random | None = None) -> float:
    """Seconds to wait after `attempts` failed attempts (1 = the first failure), exponential with jitter."""
    rng = rng or random
    raw = min(policy.max_delay, policy.base_delay * (2 ** max(0, attempts - 1)))
    return max(0.0, raw * (1 + rng.uniform(-policy.jitter, policy.jitter)))


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds asked for by a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - now).total_seconds())


def schedule_retry(*, attempts: int, first_attempt_at: datetime, now: datetime, policy: RetryPolicy,
                   retry_after: float | None = None, rng: random.Random | None = None) -> datetime | None:
    """When to try next, or None when the delivery should be given up (past `give_up_after`)."""
    delay = next_delay(attempts, policy, rng)
    if retry_after is not None:
        # Honour the peer's wish (it may exceed our own cap), but never retry sooner than our own delay.
        delay = max(delay, min(retry_after, policy.give_up_after))
    when = now + timedelta(seconds=delay)
    if (when - first_attempt_at).total_seconds() > policy.give_up_after:
        return None
    return when


def should_park(consecutive_failures: int, policy: RetryPolicy) -> bool:
    """Whether a host with this many failures in a row should be parked (circuit open)."""
    return consecutive_failures >= policy.park_after_failures
