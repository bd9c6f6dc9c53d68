"""Our actors' proof keys: Ed25519 Multikeys made once per actor, listed in the actor document, and rotated.

Rotation (``agency-node keys rotate`` or ``POST /api/keys/rotate``) makes a new RSA and a new Ed25519 key. The
old Ed25519 key stays in ``assertionMethod`` with ``expires`` set to the rotation time, so proofs made before
then still verify anywhere; proofs it makes afterwards do not. The old RSA key is kept in ``proof_key`` for the
record only: HTTP signatures are checked on receipt, and peers refetch our actor when a cached key fails. The
RSA key id stays ``#main-key`` (Mastodon keeps one key per actor and refetches it when a signature fails).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import Any

from tortoise.transactions import in_transaction

from federation.integrity import ProofSigner
from federation.keys import generate_rsa_pem
from federation.multikey import generate_ed25519_pem, load_ed25519_private, multikey_document
from federation.vocab import LocalUrls, iso
from node.identity.models import ActorKey, ProofKey

log = logging.getLogger("agency_node.keys")

ED25519 = "ed25519"
RSA = "rsa"


def multikey_id(urls: LocalUrls, username: str, public_multibase: str) -> str:
    """The Multikey's id: the actor URL with the key's own multibase as fragment (unique across rotations)."""
    return f"{urls.actor(username)}#{public_multibase}"


async def ensure_proof_keys(urls: LocalUrls, usernames: list[str]) -> dict[str, list[ProofKey]]:
    """Each actor's Ed25519 keys, current first then retired (newest first); makes the first one when missing."""
    for name in usernames:
        if not await ProofKey.filter(actor=name, kind=ED25519, expires_at=None).exists():
            pem, multibase = await asyncio.to_thread(generate_ed25519_pem)
            await ProofKey.get_or_create(key_id=multikey_id(urls, name, multibase),
                                         defaults={"actor": name, "kind": ED25519, "private_key_pem": pem,
                                                   "public_key": multibase})
            log.info("keys.ed25519_generated", extra={"actor": name})
    return await load_proof_keys(usernames)


async def load_proof_keys(usernames: list[str]) -> dict[str, list[ProofKey]]:
    """Each actor's Ed25519 keys, the current one first."""
    rows = await ProofKey.filter(actor__in=usernames, kind=ED25519).order_by("-id")
    out: dict[str, list[ProofKey]] = {name: [] for name in usernames}
    for row in rows:
        out[row.actor].append(row)
    for keys in out.values():
        keys.sort(key=lambda k: (k.expires_at is not None, -(k.id or 0)))
    return out


def proof_signer(keys: list[ProofKey]) -> ProofSigner | None:
    """The signer for an actor's current Ed25519 key (None when it has none)."""
    current = next((k for k in keys if k.expires_at is None and k.private_key_pem), None)
    if current is None:
        return None
    return ProofSigner(current.key_id, load_ed25519_private(current.private_key_pem))


def assertion_methods(urls: LocalUrls, username: str, keys: list[ProofKey]) -> list[dict[str, Any]]:
    """The actor's ``assertionMethod``: the current Multikey, then retired ones with their ``expires``."""
    controller = urls.actor(username)
    return [multikey_document(k.key_id, controller, k.public_key,
                              expires=iso(k.expires_at) if k.expires_at else None) for k in keys]


async def rotate(urls: LocalUrls, username: str, now: datetime | None = None) -> tuple[ActorKey, ProofKey]:
    """Retire `username`'s current RSA and Ed25519 keys and make new ones, in one transaction."""
    return (await rotate_all(urls, [username], now))[username]


async def rotate_all(urls: LocalUrls, usernames: list[str], now: datetime | None = None
                     ) -> dict[str, tuple[ActorKey, ProofKey]]:
    """Retire the current RSA and Ed25519 keys of every actor in `usernames` and make new ones, all in one
    transaction: after a crash either every actor has new keys or none has (a rerun then rotates them all)."""
    now = now or datetime.now(timezone.utc)
    fresh = {}
    for name in usernames:  # made before the transaction: an RSA key takes about 100 ms to generate
        fresh[name] = (await asyncio.to_thread(generate_rsa_pem), await asyncio.to_thread(generate_ed25519_pem))
    out: dict[str, tuple[ActorKey, ProofKey]] = {}
    async with in_transaction() as conn:
        for name, ((rsa_private, rsa_public), (ed_pem, ed_multibase)) in fresh.items():
            current = await ActorKey.get(actor=name).using_db(conn)
            await ProofKey.create(actor=name, kind=RSA, key_id=f"{urls.key_id(name)}@{now.timestamp():.6f}",
                                  private_key_pem=None, public_key=current.public_key_pem,
                                  created_at=current.created_at, expires_at=now, using_db=conn)
            await ActorKey.filter(id=current.id).using_db(conn).update(private_key_pem=rsa_private,
                                                                       public_key_pem=rsa_public)
            # The retired Ed25519 key's private half is erased: nothing may sign with it again.
            await ProofKey.filter(actor=name, kind=ED25519, expires_at=None).using_db(conn).update(
                expires_at=now, private_key_pem=None)
            new = await ProofKey.create(actor=name, kind=ED25519, key_id=multikey_id(urls, name, ed_multibase),
                                        private_key_pem=ed_pem, public_key=ed_multibase, using_db=conn)
            out[name] = (await ActorKey.get(id=current.id).using_db(conn), new)
    log.info("keys.rotated", extra={"actors": ",".join(usernames)})
    return out
