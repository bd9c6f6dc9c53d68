"""What the engine tells an observer about its work: delivery outcomes and inbox verdicts.

The engine counts nothing itself and imports no metrics library: the application passes an `Observer` in
(`Federation.observer`) and turns the calls into whatever it measures (the node: Prometheus counters). The default
observer does nothing. Calls are synchronous and must be cheap; they never change what the engine does.
"""

from __future__ import annotations

__all__ = ["DELIVERY_OUTCOMES", "INBOX_VERDICTS", "Observer", "refusal_class"]

# delivered: 2xx; retried: queued again after a transient failure; failed: gave up after the retries;
# dead: refused for good (a permanent 4xx, 410 Gone, a private address).
DELIVERY_OUTCOMES = ("delivered", "retried", "failed", "dead")
# accepted: stored for processing; duplicate: seen before; refused: answered 4xx/5xx (with a reason class);
# processed, ignored, failed: what the inbox worker made of a stored activity.
INBOX_VERDICTS = ("accepted", "duplicate", "refused", "processed", "ignored", "failed")

_REFUSALS = {400: "invalid", 401: "unauthenticated", 403: "blocked", 408: "timeout", 413: "too_large", 415: "media_type", 429: "rate_limited",
             503: "key_unavailable"}


def refusal_class(status: int) -> str:
    """A short, bounded name for why an inbox POST was refused (a metric label, never free text)."""
    return _REFUSALS.get(status, "other")


class Observer:
    """Receives the engine's events; subclass it and override what you measure."""

    def delivery(self, outcome: str) -> None:
        """One delivery attempt ended with `outcome` (one of DELIVERY_OUTCOMES)."""

    def inbox(self, verdict: str, reason: str = "") -> None:
        """One inbox activity got `verdict` (one of INBOX_VERDICTS); `reason` is a `refusal_class` when refused."""
