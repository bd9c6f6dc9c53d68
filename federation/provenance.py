"""Checking where a story comes from: its object integrity proof against its origin agency's published key.

`check(fed, obj)` finds the proof (on the object, or on the activity that carries it when the activity's actor
is the object's author), then:

1. the proof's options must be eddsa-jcs-2022 / DataIntegrityProof / assertionMethod (federation.integrity);
2. the verification method must live on the origin's host, where the origin is the object's ``attributedTo``
   (or the activity's ``actor``): a forwarder cannot vouch for someone else's story;
3. the origin actor (from our cache, else fetched) must list that key in its ``assertionMethod``, with itself as
   ``controller``; when it does not, or when the signature fails, the actor is fetched once more, since the
   origin may have rotated its keys;
4. a key listed with ``expires`` only vouches for proofs created before that time;
5. the signature must match this copy of the document.

The answer is a `ProofVerdict`: verified, unsigned, invalid (with a code and a reason) or unknown-key (the
origin could not be reached and its key is not cached). Nothing here stores anything; the application keeps the verdicts it wants
(the newsroom: `node.wire.provenance`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urldefrag

from federation.context import Federation
from federation.errors import FetchError, KeyUnavailable, ProofError
from federation.integrity import check_options, parse_xsd_datetime, proof_of, verify_document
from federation.multikey import MultikeyError, ed25519_from_multibase
from federation.store.models import RemoteActor
from schemas.activitystreams import object_id, same_origin

__all__ = ["ProofVerdict", "check"]

VERIFIED, UNSIGNED, INVALID, UNKNOWN_KEY = "verified", "unsigned", "invalid", "unknown-key"


@dataclass(frozen=True)
class ProofVerdict:
    """What a proof check found. `signed_document` is the document whose proof was checked."""

    status: str
    code: str = ""
    reason: str = ""
    origin: str = ""
    key_id: str = ""
    created: datetime | None = None
    expires: datetime | None = None
    signed_document: dict[str, Any] | None = None

    @property
    def verified(self) -> bool:
        return self.status == VERIFIED

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready summary (API answers, CLI output)."""
        return {"status": self.status, "code": self.code or None, "reason": self.reason or None,
                "origin": self.origin or None, "key_id": self.key_id or None,
                "created": _iso(self.created), "expires": _iso(self.expires)}


def _iso(dt: datetime | None) -> str | None:
    return dt.astimezone(timezone.utc).isoformat().replace("+00:00", "Z") if dt else None


def _entries(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _listed_key(actor_doc: dict[str, Any], key_id: str) -> dict[str, Any] | None:
    for entry in _entries(actor_doc.get("assertionMethod")):
        if isinstance(entry, dict) and entry.get("id") == key_id:
            return entry
    return None


async def _origin_actor(fed: Federation, origin: str, *, refresh: bool) -> tuple[RemoteActor | None, bool]:
    """The origin's actor, cached or fetched, and whether a fetch asked for was refused (origin unreachable)."""
    try:
        return await fed.fetcher.actor(origin, refresh=refresh), False
    except (FetchError, KeyUnavailable):
        if refresh:
            return await RemoteActor.get_or_none(uri=origin, deleted_at=None), True
        return None, True


async def check(fed: Federation, obj: dict[str, Any], *, activity: dict[str, Any] | None = None,
                now: datetime | None = None, local_actor_docs: dict[str, dict[str, Any]] | None = None
                ) -> ProofVerdict:
    """Verify a story object's proof against its origin's key (see the module docstring)."""
    now = now or datetime.now(timezone.utc)
    # A story's origin is its author; an activity's (a forwarded one) is its actor.
    origin = object_id(obj.get("attributedTo")) or object_id(obj.get("actor")) or ""
    doc = obj
    if activity is not None:
        activity = getattr(activity, "raw", activity)  # the proof covers the activity as received
    try:
        proof = proof_of(obj)
        if proof is None and activity is not None and proof_of(activity) is not None \
                and object_id(activity.get("actor")) == origin:
            # The activity's proof covers the embedded object too (Fedify signs activities, not objects).
            doc, proof = activity, proof_of(activity)
        if proof is None:
            return ProofVerdict(UNSIGNED, "unsigned", "the story carries no object integrity proof", origin=origin)
        options = check_options(proof)
    except ProofError as exc:
        return ProofVerdict(INVALID, exc.code, exc.reason, origin=origin, signed_document=doc)
    base = dict(origin=origin, key_id=options.verification_method, created=options.created,
                expires=options.expires, signed_document=doc)
    if not origin:
        return ProofVerdict(INVALID, "controller-mismatch", "the story names no attributedTo", **base)
    if not same_origin(options.verification_method, origin):
        return ProofVerdict(INVALID, "controller-mismatch",
                            f"the proof's key {options.verification_method} is not on the host of {origin}", **base)

    refreshed = unreachable = False
    local = (local_actor_docs or {}).get(origin)
    while True:
        if local is not None:
            actor_doc: dict[str, Any] | None = local
        else:
            actor, unreachable = await _origin_actor(fed, origin, refresh=refreshed)
            actor_doc = actor.document if actor is not None else None
        if actor_doc is None:
            return ProofVerdict(UNKNOWN_KEY, "unknown-key",
                                f"the origin {origin} cannot be reached and its keys are not cached", **base)
        verdict = _check_with(actor_doc, doc, options.verification_method, origin, now, base)
        if refreshed and unreachable and verdict.code == "key-not-listed":
            # Only our cached copy lacks the key; the origin may list it now, but cannot be asked.
            return ProofVerdict(UNKNOWN_KEY, "unknown-key", f"{options.verification_method} is not in the cached "
                                f"actor {origin}, which cannot be reached now", **base)
        if verdict.verified or refreshed or local is not None or \
                verdict.code not in ("key-not-listed", "bad-signature", "key-expired"):
            return verdict
        refreshed = True  # the origin may have rotated its keys since we cached it: look once more


def _check_with(actor_doc: dict[str, Any], doc: dict[str, Any], key_id: str, origin: str, now: datetime,
                base: dict[str, Any]) -> ProofVerdict:
    entry = _listed_key(actor_doc, key_id)
    if entry is None:
        return ProofVerdict(INVALID, "key-not-listed",
                            f"{origin} does not list {key_id} in its assertionMethod", **base)
    if entry.get("controller") != origin or urldefrag(key_id)[0] != urldefrag(str(entry.get("id")))[0]:
        return ProofVerdict(INVALID, "controller-mismatch",
                            f"key {key_id} is controlled by {entry.get('controller')}, not {origin}", **base)
    if entry.get("type") != "Multikey":
        return ProofVerdict(INVALID, "malformed-multikey", f"key {key_id} is a {entry.get('type')}, not a Multikey",
                            **base)
    try:
        public_key = ed25519_from_multibase(entry.get("publicKeyMultibase"))
        key_expires = parse_xsd_datetime(entry["expires"], "key expires") if entry.get("expires") else None
    except MultikeyError as exc:
        return ProofVerdict(INVALID, "malformed-multikey", f"key {key_id}: {exc}", **base)
    except ProofError as exc:
        return ProofVerdict(INVALID, "malformed-multikey", f"key {key_id}: {exc.reason}", **base)
    if key_expires is not None:
        made = base.get("created") or now
        if made > key_expires:
            return ProofVerdict(INVALID, "key-expired",
                                f"key {key_id} was retired at {_iso(key_expires)}, before this proof was made", **base)
    try:
        verify_document(doc, public_key, now=now)
    except ProofError as exc:
        return ProofVerdict(INVALID, exc.code, exc.reason, **base)
    return ProofVerdict(VERIFIED, **base)
