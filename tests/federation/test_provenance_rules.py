"""The origin rules of federation.provenance, on a given actor document (no network): which key may vouch."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation import provenance
from federation.integrity import sign_document
from federation.multikey import ed25519_to_multibase, multikey_document

ORIGIN = "https://a.example/actors/a"
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
MULTIBASE = ed25519_to_multibase(KEY.public_key())
KEY_ID = f"{ORIGIN}#{MULTIBASE}"


def _story(key_id: str = KEY_ID, attributed_to: str = ORIGIN, created: datetime = NOW) -> dict:
    doc = {"@context": ["https://www.w3.org/ns/activitystreams"], "id": "https://a.example/stories/1",
           "type": "Article", "attributedTo": attributed_to, "content": "<p>x</p>"}
    return sign_document(doc, KEY, verification_method=key_id, created=created)


def _actor(*keys: dict) -> dict:
    return {"id": ORIGIN, "type": "Organization", "inbox": ORIGIN + "/inbox", "assertionMethod": list(keys)}


async def _check(story: dict, actor: dict, now: datetime = NOW) -> provenance.ProofVerdict:
    return await provenance.check(None, story, local_actor_docs={ORIGIN: actor}, now=now)  # type: ignore[arg-type]


async def test_check__listed_key_verifies():
    """A proof by a Multikey the origin lists, controlled by the origin, verifies."""
    verdict = await _check(_story(), _actor(multikey_document(KEY_ID, ORIGIN, MULTIBASE)))
    assert verdict.verified and verdict.origin == ORIGIN and verdict.key_id == KEY_ID


@pytest.mark.parametrize(("entry", "code"), [
    ({"id": KEY_ID, "type": "Multikey", "controller": ORIGIN, "publicKeyMultibase": "zNotAKey0"},
     "malformed-multikey"),
    ({"id": KEY_ID, "type": "Multikey", "controller": ORIGIN, "publicKeyMultibase": "m" + MULTIBASE[1:]},
     "malformed-multikey"),
    ({"id": KEY_ID, "type": "Multikey", "controller": ORIGIN}, "malformed-multikey"),
    ({"id": KEY_ID, "type": "Ed25519VerificationKey2020", "controller": ORIGIN, "publicKeyMultibase": MULTIBASE},
     "malformed-multikey"),
    ({"id": KEY_ID, "type": "Multikey", "controller": "https://a.example/actors/other",
      "publicKeyMultibase": MULTIBASE}, "controller-mismatch"),
    ({"id": f"{ORIGIN}#other", "type": "Multikey", "controller": ORIGIN, "publicKeyMultibase": MULTIBASE},
     "key-not-listed"),
])
async def test_check__bad_listing_is_invalid_with_its_code(entry, code):
    """A malformed Multikey, another controller, or a key the actor does not list: invalid, with the reason."""
    verdict = await _check(_story(), _actor(entry))
    assert verdict.status == "invalid" and verdict.code == code and verdict.reason


async def test_check__key_of_another_host_cannot_vouch_for_the_origin():
    """A forwarder's (or anyone's) key on another host never verifies a story attributed to the origin."""
    verdict = await _check(_story(key_id="https://b.example/actors/b#" + MULTIBASE),
                           _actor(multikey_document(KEY_ID, ORIGIN, MULTIBASE)))
    assert verdict.code == "controller-mismatch"


async def test_check__retired_key_vouches_only_before_its_end():
    """A key listed with `expires` verifies proofs made before then, not after."""
    retired = multikey_document(KEY_ID, ORIGIN, MULTIBASE, expires="2026-11-29T12:00:00Z")
    assert (await _check(_story(created=NOW - timedelta(days=1)), _actor(retired), now=NOW + timedelta(days=30))
            ).verified
    late = await _check(_story(created=NOW + timedelta(seconds=1)), _actor(retired))
    assert late.code == "key-expired"


async def test_check__unsigned_story():
    """No proof on the story nor on a same-author activity: unsigned."""
    story = {k: v for k, v in _story().items() if k != "proof"}
    verdict = await _check(story, _actor())
    assert verdict.status == "unsigned"
