"""Fetching remote actors and keys, with caches: actors in the database, parsed keys in memory with a TTL.

A failed verification refetches the key once (the peer may have rotated it); a key that could not be fetched
is remembered as unreachable for a few minutes, so a flood of requests does not become a flood of fetches.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urldefrag, urlsplit

from marshmallow import ValidationError

from federation.errors import (
    FetchError, KeyUnavailable, ObjectGone, ObjectNotFound, ObjectUnavailable, PrivateAddressError, SignatureError,
)
from federation.http import HttpClient, Signer
from federation.keys import load_public_key
from federation.store.models import RemoteActor
from schemas.actors import parse_actor, parse_public_key_doc


@dataclass(frozen=True)
class RemoteKey:
    key_id: str
    owner: str
    public_key: Any


class Fetcher:
    """Fetch and cache remote actors and their public keys. Outbound GETs are signed by the instance actor."""

    def __init__(self, http: HttpClient, instance_signer: Signer, *, key_ttl: float = 3600.0,
                 unreachable_ttl: float = 300.0) -> None:
        self.http = http
        self.signer = instance_signer
        self.key_ttl = key_ttl
        self.unreachable_ttl = unreachable_ttl
        self._keys: dict[str, tuple[float, RemoteKey]] = {}
        self._unreachable: dict[str, float] = {}

    async def fetch_json(self, url: str) -> Any:
        """A signed GET of an ActivityPub document."""
        return await self.http.get_json(url, self.signer)

    async def actor(self, uri: str, *, refresh: bool = False) -> RemoteActor:
        """The stored actor, fetched (and stored) when unknown or when `refresh` is asked."""
        if not refresh:
            found = await RemoteActor.get_or_none(uri=uri)
            if found is not None:
                return found
        doc = await self.fetch_json(uri)
        return await self.store_actor(doc, expected_id=uri)

    async def store_actor(self, doc: Any, *, expected_id: str | None = None) -> RemoteActor:
        """Validate an actor document and upsert it. The document must live where it says it does."""
        try:
            parsed = parse_actor(doc)
        except ValidationError as exc:
            raise ObjectUnavailable(f"invalid actor document: {exc.messages}") from None
        if expected_id is not None and urldefrag(parsed.id)[0] != urldefrag(expected_id)[0]:
            # An actor fetched from one URL claiming another id could impersonate it.
            if urlsplit(parsed.id).netloc != urlsplit(expected_id).netloc:
                raise ObjectUnavailable(f"actor at {expected_id} claims id {parsed.id} on another host")
        values = dict(
            host=urlsplit(parsed.id).netloc, type=parsed.type, preferred_username=parsed.preferred_username or "",
            name=(parsed.name or "")[:512], summary=parsed.summary or "", url=(parsed.url or "")[:512],
            icon_url=(parsed.icon_url or "")[:512], inbox=parsed.inbox, shared_inbox=parsed.shared_inbox,
            key_id=parsed.public_key_id, public_key_pem=parsed.public_key_pem, document=parsed.raw,
            fetched_at=datetime.now(timezone.utc), deleted_at=None,
        )
        actor, created = await RemoteActor.get_or_create(uri=parsed.id, defaults=values)
        if not created:
            await RemoteActor.filter(id=actor.id).update(**values)
            await actor.refresh_from_db()
        if parsed.public_key_id and parsed.public_key_pem:
            self._remember(RemoteKey(parsed.public_key_id, parsed.id, load_public_key(parsed.public_key_pem)))
        return actor

    def _remember(self, key: RemoteKey) -> None:
        self._keys[key.key_id] = (time.monotonic() + self.key_ttl, key)
        self._unreachable.pop(key.key_id, None)

    def forget_key(self, key_id: str) -> None:
        self._keys.pop(key_id, None)

    async def key(self, key_id: str, *, refresh: bool = False) -> RemoteKey:
        """The public key for a keyId: memory, then database, then the network. Raises KeyUnavailable."""
        now = time.monotonic()
        if not refresh:
            cached = self._keys.get(key_id)
            if cached and cached[0] > now:
                return cached[1]
            stored = await RemoteActor.filter(key_id=key_id, deleted_at=None).first()
            if stored is not None and stored.public_key_pem:
                key = RemoteKey(key_id, stored.uri, load_public_key(stored.public_key_pem))
                self._remember(key)
                return key
        if self._unreachable.get(key_id, 0) > now:
            raise KeyUnavailable(f"key {key_id} was unreachable moments ago")
        url = urldefrag(key_id)[0]
        try:
            doc = await self.fetch_json(url)
            found_id, owner, pem = parse_public_key_doc(doc, key_id)
            if isinstance(doc, dict) and doc.get("inbox") and doc.get("id") == owner:
                # The key came inside its owner's actor document: that document must live at the URL we fetched,
                # or a server could hand us a forged copy of someone else's actor.
                if urldefrag(owner)[0] != url:
                    raise SignatureError(f"key {key_id} is served by a document claiming to be {owner}")
                await self.store_actor(doc, expected_id=url)
            else:
                # A bare key document (GoToSocial's /main-key): believe it only if its owner's own actor
                # document lists this key, and take the key from there.
                owner_actor = await self.actor(owner, refresh=True)
                if owner_actor.key_id != found_id or not owner_actor.public_key_pem:
                    raise SignatureError(f"{owner} does not list key {key_id}")
                pem = owner_actor.public_key_pem
        except (ObjectGone, ObjectNotFound) as exc:
            # The key's document is gone for good: no signature by it can be checked, now or later.
            raise SignatureError(f"key {key_id} not found: {exc}") from None
        except PrivateAddressError as exc:
            # Policy, not a bad moment: answering 503 would invite the peer to retry for ever (a 401 says no).
            raise SignatureError(f"key {key_id} is on an address this node does not fetch from: {exc}") from None
        except (FetchError, ValidationError, ValueError) as exc:
            self._unreachable[key_id] = now + self.unreachable_ttl
            raise KeyUnavailable(f"cannot fetch key {key_id}: {exc}") from None
        key = RemoteKey(found_id or key_id, owner, load_public_key(pem))
        self._remember(key)
        return key
