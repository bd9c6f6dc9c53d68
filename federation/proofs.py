"""Signing what we send and serve with object integrity proofs (FEP-8b32, eddsa-jcs-2022).

Every story object we serve or embed, and every Create, Update, Delete and Announce we send, carries a
``DataIntegrityProof`` by the sending actor's current Ed25519 Multikey. Signing happens on the final document
(just before it is serialised for the queue, or served), so fields that other parts of the node add to a story
are covered too. Objects of other servers (an Announce's embedded story) are never re-signed: their own proof
must survive untouched, which is the point of FEP-8b32.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from datetime import datetime, timezone
from typing import Any

import orjson

from federation.context import Federation
from federation.integrity import DATA_INTEGRITY_CONTEXT

__all__ = ["SIGNED_ACTIVITY_TYPES", "STORY_OBJECT_TYPES", "ServedProofCache", "sign_activity", "sign_object",
           "with_proof_context"]

SIGNED_ACTIVITY_TYPES = frozenset({"Create", "Update", "Delete", "Announce"})
STORY_OBJECT_TYPES = frozenset({"Article", "Note", "Page"})
_AS = "https://www.w3.org/ns/activitystreams"


def with_proof_context(context: Any) -> list[Any]:
    """`context` with the Data Integrity context appended when it is missing.

    Appended, not inserted: the entries before it (inline term definitions included) keep their places, and the
    Data Integrity context's protected terms (`proof`, `DataIntegrityProof`) are not redefined by any of them.
    """
    items = list(context) if isinstance(context, list) else ([context] if context else [_AS])
    if DATA_INTEGRITY_CONTEXT not in items:
        items.append(DATA_INTEGRITY_CONTEXT)
    return items


def _ours(fed: Federation, url: Any) -> bool:
    return isinstance(url, str) and url.startswith(fed.urls.base_url + "/")


def sign_object(fed: Federation, username: str, obj: dict[str, Any], *,
                context: Any = None, now: datetime | None = None) -> dict[str, Any]:
    """Our object with a proof by `username` (unchanged when that actor has no proof key)."""
    signer = fed.proof_signers.get(username)
    if signer is None:
        return obj
    doc = {k: v for k, v in obj.items() if k != "proof"}
    ctx = with_proof_context(doc.pop("@context", context))
    doc = {"@context": ctx, **doc}
    return signer.sign(doc, now or datetime.now(timezone.utc))


def sign_activity(fed: Federation, username: str, activity: dict[str, Any], *,
                  now: datetime | None = None) -> dict[str, Any]:
    """Sign an outgoing activity of a signed type, and first the story of ours it embeds (if any)."""
    if activity.get("type") not in SIGNED_ACTIVITY_TYPES or username not in fed.proof_signers:
        return activity
    now = now or datetime.now(timezone.utc)
    doc = dict(activity)
    obj = doc.get("object")
    if isinstance(obj, dict) and obj.get("type") in STORY_OBJECT_TYPES and _ours(fed, obj.get("id")) \
            and "proof" not in obj:
        # The embedded story keeps its own @context: without it, its proof could not be checked on its own
        # once a receiver (or a forwarder's receiver) takes it out of the activity.
        doc["object"] = sign_object(fed, username, obj, context=doc.get("@context"), now=now)
    return sign_object(fed, username, doc, now=now)


class ServedProofCache:
    """Signed copies of documents we serve, reused while the document and the signing key are unchanged.

    Canonicalising and signing a story costs about 0.5 ms (bench/proofs.py), several times the rest of a GET;
    the cache key is a hash of the document's plain serialisation (cheap) and the key id, so any change to the
    story, or a key rotation, signs afresh. Bounded (least recently used out).
    """

    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self._items: OrderedDict[tuple[bytes, str], dict[str, Any]] = OrderedDict()

    def sign(self, fed: Federation, username: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Like `sign_object`, from the cache when this exact document was signed by this key before."""
        signer = fed.proof_signers.get(username)
        if signer is None:
            return obj
        key = (hashlib.sha256(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)).digest(), signer.verification_method)
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
            return found
        signed = sign_object(fed, username, obj)
        self._items[key] = signed
        if len(self._items) > self.size:
            self._items.popitem(last=False)
        return signed
