"""eddsa-jcs-2022 proofs and Multikeys: known answers from the W3C spec, and every way a proof can be wrong."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.errors import ProofError
from federation.integrity import canonical, hash_data, sign_document, verify_document
from federation.multikey import (
    MultikeyError, b58decode, b58encode, ed25519_from_multibase, ed25519_to_multibase, encode_multibase,
    multikey_document, private_from_multibase,
)

W3C = Path(__file__).resolve().parent.parent / "fixtures" / "w3c-vc-di-eddsa"
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)


def _w3c(name: str):
    text = (W3C / name).read_text(encoding="utf-8")
    return json.loads(text) if name.endswith(".json") else text.strip()


@pytest.fixture
def key():
    return Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


@pytest.fixture
def story(key):
    doc = {"@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/data-integrity/v1"],
           "id": "https://a.example/stories/1", "type": "Article", "attributedTo": "https://a.example/actors/a",
           "name": "Kur", "content": "<p>Şəhər 1.5 dərəcə</p>", "contentMap": {"az": "<p>Şəhər 1.5 dərəcə</p>"}}
    return sign_document(doc, key, verification_method="https://a.example/actors/a#z6Mk", created=NOW)


def test_w3c_vector__key_pair_multibase_round_trips():
    """The spec's private key gives the spec's publicKeyMultibase, and it parses back."""
    pair = _w3c("keyPair.json")
    private = private_from_multibase(pair["privateKeyMultibase"])
    assert ed25519_to_multibase(private.public_key()) == pair["publicKeyMultibase"]
    assert ed25519_to_multibase(ed25519_from_multibase(pair["publicKeyMultibase"])) == pair["publicKeyMultibase"]


def test_w3c_vector__canonical_document_and_hash():
    """JCS of the unsecured Alumni Credential and its SHA-256 equal the spec's values."""
    unsecured = {k: v for k, v in _w3c("signedJCS.json").items() if k != "proof"}
    assert canonical(unsecured).decode("utf-8") == _w3c("canonDocJCS.txt")
    assert hashlib.sha256(canonical(unsecured)).hexdigest() == _w3c("docHashJCS.txt")


def test_w3c_vector__canonical_proof_config_and_hash():
    """The proof configuration canonicalises and hashes to the spec's values (did:key revision)."""
    config = dict(_w3c("proofConfigJCS.json"))
    config["verificationMethod"] = ("did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
                                    "#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2")
    assert canonical(config).decode("utf-8") == _w3c("didkey-proofCanonJCS.txt")
    assert hashlib.sha256(canonical(config)).hexdigest() == _w3c("didkey-proofHashJCS.txt")


def test_w3c_vector__signature_is_reproduced_exactly():
    """Signing the spec's hash data with the spec's key gives the spec's signature and proofValue."""
    signed = _w3c("signedJCS.json")
    private = private_from_multibase(_w3c("keyPair.json")["privateKeyMultibase"])
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    signature = private.sign(hash_data(unsecured, _w3c("proofConfigJCS.json")))
    assert signature.hex() == _w3c("sigHexJCS.txt")
    assert encode_multibase(signature) == signed["proof"]["proofValue"]


def test_w3c_vector__signed_credential_verifies_and_a_changed_one_does_not():
    """The spec's signed credential verifies with its key; one changed character fails as bad-signature."""
    signed = _w3c("signedJCS.json")
    public = ed25519_from_multibase(_w3c("keyPair.json")["publicKeyMultibase"])
    options = verify_document(signed, public, now=NOW)
    assert options.verification_method.endswith("#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2")
    altered = copy.deepcopy(signed)
    altered["credentialSubject"]["alumniOf"] = "The School of Forgeries"
    with pytest.raises(ProofError) as err:
        verify_document(altered, public, now=NOW)
    assert err.value.code == "bad-signature"


def test_sign_document__round_trip_and_proof_shape(story, key):
    """Our proof has the FEP-8b32 shape and verifies; the key's own text is never in it."""
    proof = story["proof"]
    assert proof["type"] == "DataIntegrityProof" and proof["cryptosuite"] == "eddsa-jcs-2022"
    assert proof["proofPurpose"] == "assertionMethod" and proof["created"] == "2026-11-29T12:00:00Z"
    assert proof["proofValue"].startswith("z")
    assert verify_document(story, key.public_key(), now=NOW).created == NOW


def test_verify_document__member_order_and_whitespace_do_not_matter(story, key):
    """JCS: a copy re-serialised with other member order and spacing still verifies."""
    shuffled = json.loads(json.dumps(dict(reversed(list(story.items()))), indent=3))
    verify_document(shuffled, key.public_key(), now=NOW)


@pytest.mark.parametrize(("change", "code"), [
    (lambda d: d["proof"].update(cryptosuite="eddsa-rdfc-2022"), "wrong-cryptosuite"),
    (lambda d: d["proof"].update(type="Ed25519Signature2020"), "wrong-cryptosuite"),
    (lambda d: d["proof"].pop("verificationMethod"), "missing-verification-method"),
    (lambda d: d["proof"].update(proofPurpose="authentication"), "malformed-proof"),
    (lambda d: d["proof"].update(proofValue="z0OIl"), "malformed-proof"),
    (lambda d: d["proof"].update(proofValue="z3"), "malformed-proof"),
    (lambda d: d["proof"].update(created="yesterday"), "malformed-proof"),
    (lambda d: d["proof"].update(created="2026-11-29T12:00:01Z"), "bad-signature"),
    (lambda d: d.update(name="Altered"), "bad-signature"),
    (lambda d: d["contentMap"].update(az="<p>Yalan</p>"), "bad-signature"),
    (lambda d: d.pop("proof"), "unsigned"),
    (lambda d: d.update(proof="z123"), "malformed-proof"),
])
def test_verify_document__each_fault_has_its_code(story, key, change, code):
    """Wrong suite, missing method, malformed values and altered content each fail with their own code."""
    doc = copy.deepcopy(story)
    change(doc)
    with pytest.raises(ProofError) as err:
        verify_document(doc, key.public_key(), now=NOW)
    assert err.value.code == code, err.value.reason


def test_verify_document__expired_proof(key):
    """A proof past its `expires` is reported as expired, not as a bad signature."""
    doc = sign_document({"id": "https://a.example/x", "type": "Note"}, key, verification_method="https://a.example/k",
                        created=NOW - timedelta(days=2), expires=NOW - timedelta(days=1))
    with pytest.raises(ProofError) as err:
        verify_document(doc, key.public_key(), now=NOW)
    assert err.value.code == "expired"
    verify_document(doc, key.public_key(), now=NOW - timedelta(days=1, hours=1))


def test_verify_document__other_key_fails(story):
    """A proof checked against another key fails."""
    other = Ed25519PrivateKey.generate().public_key()
    with pytest.raises(ProofError) as err:
        verify_document(story, other, now=NOW)
    assert err.value.code == "bad-signature"


def test_base58__round_trips_with_leading_zeros():
    """base58btc keeps leading zero bytes as '1's and round-trips arbitrary bytes."""
    for data in (b"", b"\0\0\1", bytes(range(40)), b"\xff" * 33):
        assert b58decode(b58encode(data)) == data
    assert b58encode(b"\0\0\1") == "112"


@pytest.mark.parametrize("text", ["", "m7QAAAA", "z0000", "zQmNotAnEd25519Key",
                                  "z" + b58encode(b"\xed\x01" + b"\1" * 31),
                                  "z" + b58encode(b"\x12\x05" + b"\1" * 32)])
def test_ed25519_from_multibase__rejects_malformed_multikeys(text):
    """Wrong prefix, bad characters, wrong multicodec header or length: MultikeyError with a reason."""
    with pytest.raises(MultikeyError):
        ed25519_from_multibase(text)


def test_multikey_document__fep521a_shape():
    """A Multikey entry names id, type, controller and key; a retired one carries `expires`."""
    doc = multikey_document("https://a.example/actors/a#z6Mk1", "https://a.example/actors/a", "z6Mk1",
                            expires="2026-11-29T12:00:00Z")
    assert doc == {"id": "https://a.example/actors/a#z6Mk1", "type": "Multikey",
                   "controller": "https://a.example/actors/a", "publicKeyMultibase": "z6Mk1",
                   "expires": "2026-11-29T12:00:00Z"}


def test_served_proof_cache__reuses_until_document_or_key_changes(key):
    """The same document and key give the same signed copy; a changed document or a new key sign afresh."""
    from types import SimpleNamespace

    from federation.integrity import ProofSigner
    from federation.proofs import ServedProofCache

    fed = SimpleNamespace(proof_signers={"a": ProofSigner("https://a.example/actors/a#k1", key)})
    cache = ServedProofCache(size=2)
    doc = {"id": "https://a.example/stories/1", "type": "Article", "name": "One"}
    first = cache.sign(fed, "a", doc)
    assert cache.sign(fed, "a", dict(doc)) is first
    changed = cache.sign(fed, "a", {**doc, "name": "Two"})
    assert changed["proof"] != first["proof"] and changed["name"] == "Two"
    other = Ed25519PrivateKey.generate()
    fed.proof_signers["a"] = ProofSigner("https://a.example/actors/a#k2", other)
    rotated = cache.sign(fed, "a", doc)
    assert rotated["proof"]["verificationMethod"].endswith("#k2")
    verify_document(rotated, other.public_key())


def test_verify_document__ld_signature_added_after_the_proof_is_ignored(story, key):
    """An RsaSignature2017 `signature` attached after the proof (Fedify, Mastodon style) does not break it."""
    with_ld = {**story, "signature": {"type": "RsaSignature2017", "creator": "https://a.example/actors/a#main-key",
                                      "created": "2026-11-29T12:00:00Z", "signatureValue": "AAAA"}}
    verify_document(with_ld, key.public_key(), now=NOW)
    with_ld["name"] = "Altered"
    with pytest.raises(ProofError):
        verify_document(with_ld, key.public_key(), now=NOW)


@pytest.mark.parametrize("moment, expected", [
    (datetime(2026, 11, 29, 12, 0, 0, 999999, tzinfo=timezone.utc), "2026-11-29T12:00:00Z"),
    (datetime(2026, 11, 29, 15, 30, 5, tzinfo=timezone(timedelta(hours=3, minutes=30))), "2026-11-29T12:00:05Z"),
    (datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=timezone.utc), "1969-12-31T23:59:59Z"),
])
def test_sign_document__created_is_utc_to_the_second(key, moment, expected):
    """The proof's `created` is the signing moment in UTC, truncated to the second, whatever zone it came in."""
    signed = sign_document({"id": "https://a.example/x", "type": "Note"}, key,
                           verification_method="https://a.example/a#k", created=moment)
    assert signed["proof"]["created"] == expected


def test_sign_document__leaves_the_given_document_untouched(key):
    """Signing copies: the caller's document (with or without an earlier proof) is not changed."""
    doc = {"@context": "https://www.w3.org/ns/activitystreams", "id": "https://a.example/x", "type": "Note",
           "tag": [{"type": "Hashtag", "name": "#x"}]}
    before = copy.deepcopy(doc)
    signed = sign_document(doc, key, verification_method="https://a.example/a#k", created=NOW)
    assert doc == before
    again = sign_document(signed, key, verification_method="https://a.example/a#k2", created=NOW)
    assert signed["proof"]["verificationMethod"] == "https://a.example/a#k"
    assert again["proof"]["verificationMethod"] == "https://a.example/a#k2"
    assert verify_document(again, key.public_key(), now=NOW)
