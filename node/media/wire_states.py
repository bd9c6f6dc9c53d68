"""The states of a partner's media file on its way into our stock, declared to the engine's queue so that its
claims and settles guard these rows as they guard deliveries.

The names are our own (no other machine uses them): `federation.states.check_transition` judges a pair of names
by the first machine that has both, so sharing a name such as "pending" or "dead" would borrow another queue's
edges.
"""

from __future__ import annotations

from enum import StrEnum

from federation.states import declare

__all__ = ["MediaFetchState", "Verdict"]


class MediaFetchState(StrEnum):
    WAITING = "waiting"      # to be fetched at its next attempt (first, retry, or the attachment changed)
    FETCHING = "fetching"    # claimed by a worker; lock expiry returns it to the pool after a crash
    STORED = "stored"        # the bytes are in the stock (verified, or no digest to check)
    REJECTED = "rejected"    # kept out of the stock: mismatch, too large, refused
    GAVE_UP = "gave-up"      # could not be fetched: a permanent error, or retries exhausted
    WITHDRAWN = "withdrawn"  # the story was deleted or killed before the file came


class Verdict(StrEnum):
    """What became of the file, for the editor (the row's ``verdict``)."""

    VERIFIED = "verified"    # the bytes match the attachment's digestMultibase
    MISMATCH = "mismatch"    # they do not (expected and actual are on the row): kept out of the stock
    NO_DIGEST = "no-digest"  # the peer sent no digest (Mastodon, GoToSocial): stored unverified
    TOO_LARGE = "too-large"  # over the [media] limit of its kind: cut off, nothing kept
    REFUSED = "refused"      # a private address, a type not announced or not one the stock takes, a bad digest
    FAILED = "failed"        # could not be fetched (permanent answer, or after the retry horizon)


S = MediaFetchState
_EDGES: dict[MediaFetchState, frozenset[MediaFetchState]] = {
    S.WAITING: frozenset({S.FETCHING, S.WITHDRAWN, S.WAITING}),
    S.FETCHING: frozenset({S.STORED, S.REJECTED, S.GAVE_UP, S.WAITING, S.WITHDRAWN,
                           S.FETCHING}),  # re-claimed after its lock expired (the worker that held it died)
    # An Update that changes the file behind an attachment's URL, or an operator's retry: fetch again.
    S.STORED: frozenset({S.WAITING}),
    S.REJECTED: frozenset({S.WAITING, S.WITHDRAWN}),
    S.GAVE_UP: frozenset({S.WAITING, S.WITHDRAWN}),
    S.WITHDRAWN: frozenset(),
}

declare(MediaFetchState, _EDGES)
