"""Receiving activities: verify the signature, check the key's owner, dedupe, store raw, answer 202.

Processing happens later in the inbox worker (`process_item`), one handler per activity type. Routes hand
`receive` the method, raw path, headers and body bytes; nothing here sees an aiohttp request.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping
from urllib.parse import urlsplit

import orjson
from marshmallow import ValidationError

from federation import provenance
from federation.context import Federation
from federation.errors import KeyUnavailable, ProofError, SignatureError
from federation.integrity import proof_of
from federation.hosts import revive_host
from federation.inbox_store import Received
from federation.observe import refusal_class
from federation.sig.cavage import inspect_request
from schemas.activitystreams import object_id, parse_activity, same_origin

log = logging.getLogger("agency_node.inbox")

_ACCEPTED_TYPES = ("application/activity+json", "application/ld+json", "application/json")
# Activities whose embedded object must live on the actor's own host: nobody may create, edit or delete
# another server's objects (Announce, by contrast, points at someone else's object on purpose).
_SAME_ORIGIN_OBJECT = ("Create", "Update", "Delete")


@dataclass
class Verdict:
    """The answer for the peer: an HTTP status and, for errors, a problem document."""

    status: int
    title: str = ""
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status < 300


async def receive(fed: Federation, *, method: str, raw_path: str, headers: Mapping[str, str], body: bytes,
                  local_username: str | None) -> Verdict:
    """Authenticate and store one inbox POST. Returns 202 for stored or duplicate, else a 4xx/5xx verdict."""
    verdict = await _receive(fed, method=method, raw_path=raw_path, headers=headers, body=body)
    if verdict.ok:
        fed.observer.inbox("duplicate" if verdict.extra.get("duplicate") else "accepted")
    else:
        fed.observer.inbox("refused", refusal_class(verdict.status))
    return verdict


async def _receive(fed: Federation, *, method: str, raw_path: str, headers: Mapping[str, str],
                   body: bytes) -> Verdict:
    ctype = headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    if ctype not in _ACCEPTED_TYPES:
        return Verdict(415, "Unsupported media type", "send application/activity+json")
    try:
        raw = orjson.loads(body)
    except orjson.JSONDecodeError:
        return Verdict(400, "Malformed JSON", "the body is not valid JSON")
    try:
        activity = parse_activity(raw)
    except ValidationError as exc:
        return Verdict(400, "Invalid activity", _first_message(exc.messages), {"errors": exc.messages})

    # 0. The trust policy: a blocked domain gets a clear refusal and nothing is fetched or stored for it.
    if not fed.trust.allows_host(activity["actor"]):
        return Verdict(403, "Domain blocked", f"{urlsplit(activity['actor']).netloc} may not federate with this node")

    # 1. The signature, before anything is stored.
    try:
        pending = inspect_request(method, raw_path, headers, body, now=datetime.now(timezone.utc),
                                  max_age=fed.signature_max_age, authority=headers.get("Host"))
    except SignatureError as exc:
        return Verdict(401, "Invalid signature", exc.reason)
    # The key must live on its actor's host, checked before fetching it: a key document on another host can
    # claim any owner (and fetching it would let that host make us cache a forged copy of the actor).
    # Mastodon, GoToSocial, Misskey and Fedify all keep the key at or next to the actor id.
    if not fed.trust.allows_host(pending.key_id):
        return Verdict(403, "Domain blocked", f"{urlsplit(pending.key_id).netloc} may not federate with this node")
    # A forwarded activity (signed over HTTP by someone else) is only considered when it carries its actor's own
    # object integrity proof (FEP-8b32); it is checked below, once the forwarder's signature is.
    try:
        forwarded = proof_of(raw) is not None
    except ProofError:
        forwarded = False
    if not same_origin(pending.key_id, activity["actor"]) and not forwarded:
        return Verdict(401, "Key not owned by actor",
                       f"key {pending.key_id} is not on the host of {activity['actor']}")
    try:
        key = await fed.fetcher.key(pending.key_id)
        valid = pending.verify(key.public_key)
        if not valid:
            # The peer may have rotated its key: fetch it once more before refusing.
            key = await fed.fetcher.key(pending.key_id, refresh=True)
            valid = pending.verify(key.public_key)
    except KeyUnavailable as exc:
        return Verdict(503, "Key unavailable", str(exc), {"retry_after": 60})
    except SignatureError as exc:
        if activity["type"] == "Delete" and object_id(activity.get("object")) == activity["actor"]:
            # A deleted actor's key is gone with it (Mastodon does the same): nothing to do, nothing to keep.
            return Verdict(202)
        return Verdict(401, "Invalid signature", exc.reason)
    if not valid:
        return Verdict(401, "Invalid signature", "the signature does not verify with the actor's key")

    # 2. The key must belong to the activity's actor, or the actor's own proof must vouch for a forwarded copy.
    scheme, key_id = pending.scheme, pending.key_id
    if key.owner != activity["actor"]:
        if not forwarded:
            return Verdict(401, "Key not owned by actor",
                           f"key {pending.key_id} belongs to {key.owner}, not to {activity['actor']}")
        verdict = await provenance.check(fed, raw)
        if verdict.status == provenance.UNKNOWN_KEY:
            return Verdict(503, "Key unavailable", verdict.reason, {"retry_after": 60})
        if not verdict.verified:
            return Verdict(401, "Invalid proof", f"forwarded by {key.owner}; {verdict.code}: {verdict.reason}")
        scheme, key_id = "proof", verdict.key_id
    if not same_origin(activity["id"], activity["actor"]):
        return Verdict(400, "Foreign activity id", "the activity id is not on its actor's host")
    obj = activity.get("object")
    if activity["type"] in _SAME_ORIGIN_OBJECT and isinstance(obj, dict) and obj.get("id"):
        if not same_origin(obj["id"], activity["actor"]):
            return Verdict(400, "Foreign object", "the object id is not on its actor's host")

    # 3. Store raw, once (in a transaction shared with whatever else arrived meanwhile).
    stored = await fed.inbox_writer.store(Received(
        activity_id=activity["id"], actor_uri=activity["actor"], type=activity["type"][:32],
        body=body.decode("utf-8"), signature=scheme, key_id=key_id[:512]))
    if not stored:
        return Verdict(202, extra={"duplicate": True})
    host = urlsplit(key.owner).netloc  # who talked to us: the actor, or the forwarder of a proven copy
    if await fed.parked.contains(host):
        await revive_host(host)
        fed.parked.discard(host)
    fed.inbox_wakeup.set()
    log.info("inbox.received", extra={"activity_type": activity["type"], "actor": activity["actor"]})
    return Verdict(202)


def _first_message(messages: Any) -> str:
    if isinstance(messages, dict):
        for key, value in messages.items():
            return f"{key}: {_first_message(value)}"
    if isinstance(messages, list) and messages:
        return _first_message(messages[0])
    return str(messages)
