"""Exceptions raised by the `federation` package.

The tree, and what a route or worker usually does with each branch:

    FederationError                 base of everything below
    ├── SignatureError(reason)      an inbound HTTP signature is missing, malformed,
    │                               stale, or does not verify -> answer 401 (problem doc)
    ├── KeyUnavailable              the signer's key could not be fetched just now
    │                               -> answer 503, the peer retries (Mastodon 4.6 does so)
    ├── ProofError(code, reason)    an object integrity proof (FEP-8b32) is malformed, of
    │                               another cryptosuite, by an unlisted or expired key, or
    │                               does not match the document -> record it as invalid
    └── FetchError                  dereferencing a remote object failed
        ├── ObjectGone              410 Gone: the object or actor was deleted
        ├── ObjectNotFound          404: nothing there (or never was)
        ├── ObjectUnavailable       timeouts, 5xx, 429, bad payloads: try again later
        └── PrivateAddressError     the URL resolves to a private/loopback address
                                    that policy does not allow
"""

from __future__ import annotations

__all__ = [
    "FederationError",
    "SignatureError",
    "KeyUnavailable",
    "ProofError",
    "FetchError",
    "ObjectGone",
    "ObjectNotFound",
    "ObjectUnavailable",
    "PrivateAddressError",
]


class FederationError(Exception):
    """Base class of every error raised by the federation package."""


class SignatureError(FederationError):
    """An inbound request's signature cannot be accepted.

    `reason` is a short, stable, machine-ish text (for example "digest mismatch",
    "date outside window", "missing header: host", "bad signature",
    "unsupported algorithm") that is safe to log and to put in a problem document.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class KeyUnavailable(FederationError):
    """The signing key could not be fetched just now (answer HTTP 503, not 401)."""


class ProofError(FederationError):
    """An object integrity proof cannot be accepted.

    `code` is a stable word for programs (``wrong-cryptosuite``, ``malformed-proof``, ``missing-verification-method``,
    ``malformed-multikey``, ``key-not-listed``, ``controller-mismatch``, ``expired``, ``key-expired``,
    ``bad-signature``, ``unknown-key``); `reason` is a short sentence for people.
    """

    def __init__(self, code: str, reason: str):
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


class FetchError(FederationError):
    """Fetching a remote ActivityPub object failed."""


class ObjectGone(FetchError):
    """The remote object is gone for good (HTTP 410 or a Tombstone)."""


class ObjectNotFound(FetchError):
    """The remote object does not exist (HTTP 404)."""


class ObjectUnavailable(FetchError):
    """The remote object could not be fetched now; a later attempt may work."""


class PrivateAddressError(FetchError):
    """The target resolves to a private or loopback address that policy refuses."""
