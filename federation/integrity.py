"""Object integrity proofs (FEP-8b32) with the ``eddsa-jcs-2022`` cryptosuite (W3C Data Integrity EdDSA v1.0).

Pure: no I/O. Creating a proof (spec section 3.3, "Create Proof" with JCS):

1. proof configuration = the proof options (type, cryptosuite, created, verificationMethod, proofPurpose,
   optional expires) with ``@context`` set to the document's ``@context``; canonicalised with JCS (RFC 8785);
2. the document without ``proof``, canonicalised with JCS;
3. hash data = SHA-256(canonical proof configuration) || SHA-256(canonical document);
4. ``proofValue`` = "z" + base58btc(Ed25519 signature of the hash data).

Verification undoes that and checks the options first, so each failure has its own `ProofError` code. Which key
may sign for whom (the actor's ``assertionMethod``) is decided by the caller, `federation.provenance`.

RFC 8785 canonical JSON comes from the ``rfc8785`` package (Trail of Bits), which implements the ECMAScript
number serialisation that hand-rolled ``json.dumps(sort_keys=True)`` gets wrong.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

import orjson
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from federation.errors import ProofError
from federation.multikey import MultikeyError, decode_multibase, encode_multibase

__all__ = [
    "CRYPTOSUITE", "DATA_INTEGRITY_CONTEXT", "PROOF_TYPE", "ProofOptions", "ProofSigner", "canonical", "check_options", "create_proof",
    "hash_data", "parse_xsd_datetime", "proof_of", "sign_document", "verify_document",
]

CRYPTOSUITE = "eddsa-jcs-2022"
PROOF_TYPE = "DataIntegrityProof"
DATA_INTEGRITY_CONTEXT = "https://w3id.org/security/data-integrity/v1"


_SAFE_INT = 2**53 - 1
_sha256 = hashlib.sha256


def _orjson_is_jcs(value: Any) -> bool:
    """Whether orjson's sorted output of `value` is its RFC 8785 form: only dicts with ASCII keys (byte order is
    then UTF-16 order), lists, strings, booleans, None and integers in the safe range. Floats (ECMAScript number
    formatting), other key sets and other types go to `rfc8785`. orjson escapes strings as JCS does (the short
    forms \\b \\t \\n \\f \\r, \\u00xx in lower case for the other controls, nothing else)."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if -_SAFE_INT <= item <= _SAFE_INT:
                continue
            return False
        if kind is dict:
            for key in item:
                if type(key) is not str or not key.isascii():
                    return False
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
        else:
            return False
    return True


def canonical(value: Any) -> bytes:
    """RFC 8785 (JCS) canonical UTF-8 bytes of a JSON value; raises ProofError on values JSON cannot hold.

    The documents we sign and verify (no floats, ASCII keys) take orjson's sorted dump, about 20 times faster
    than the pure-Python `rfc8785`; everything else takes `rfc8785` (tests/federation/test_jcs.py checks that
    both agree on random documents)."""
    if _orjson_is_jcs(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except (orjson.JSONEncodeError, TypeError):  # a lone surrogate: rfc8785 says what is wrong
            pass
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise ProofError("malformed-proof", f"document cannot be canonicalised: {exc}") from None


def parse_xsd_datetime(value: Any, what: str) -> datetime:
    """An xsd:dateTime with a time zone (``2023-02-24T23:36:38Z``); raises ProofError otherwise."""
    if not isinstance(value, str) or "T" not in value:
        raise ProofError("malformed-proof", f"{what} is not an ISO 8601 date-time")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ProofError("malformed-proof", f"{what} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        raise ProofError("malformed-proof", f"{what} has no time zone")
    return parsed


@dataclass(frozen=True)
class ProofSigner:
    """Who signs object proofs for a local actor: its current Multikey id and Ed25519 private key."""

    verification_method: str
    private_key: Ed25519PrivateKey

    def sign(self, document: dict[str, Any], created: datetime) -> dict[str, Any]:
        """`document` with a fresh proof by this key."""
        return sign_document(document, self.private_key, verification_method=self.verification_method,
                             created=created)


@dataclass(frozen=True)
class ProofOptions:
    """What a proof says about itself, once checked (``verify_document`` returns it)."""

    verification_method: str
    created: datetime | None
    expires: datetime | None
    purpose: str


def hash_data(document: dict[str, Any], proof_options: dict[str, Any]) -> bytes:
    """SHA-256(JCS(proof config)) || SHA-256(JCS(document without proof)), the bytes that are signed."""
    unsecured = {k: v for k, v in document.items() if k != "proof"} if "proof" in document else document
    return _hash_data(unsecured, proof_options)


def _hash_data(unsecured: dict[str, Any], proof_options: dict[str, Any]) -> bytes:
    """`hash_data` for a document already without ``proof``; `proof_options` may still hold ``proofValue``.
    Neither is copied whole (signing and verifying call this on every story: only the small config is built)."""
    config = {k: v for k, v in proof_options.items() if k != "proofValue"}
    if "@context" in unsecured:
        config["@context"] = unsecured["@context"]
    return _sha256(canonical(config)).digest() + _sha256(canonical(unsecured)).digest()


def create_proof(document: dict[str, Any], private_key: Ed25519PrivateKey, *, verification_method: str,
                 created: datetime, expires: datetime | None = None,
                 purpose: str = "assertionMethod") -> dict[str, Any]:
    """A DataIntegrityProof over `document` (its own ``proof``, if any, is left out of what is signed)."""
    if "proof" in document:
        document = {k: v for k, v in document.items() if k != "proof"}
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "verificationMethod": verification_method,
        "proofPurpose": purpose,
        "created": _xsd(created),
    }
    if expires is not None:
        proof["expires"] = _xsd(expires)
    signature = private_key.sign(_hash_data(document, proof))
    proof["proofValue"] = encode_multibase(signature)
    return proof


def sign_document(document: dict[str, Any], private_key: Ed25519PrivateKey, *, verification_method: str,
                  created: datetime, expires: datetime | None = None) -> dict[str, Any]:
    """A copy of `document` carrying a fresh proof (any earlier proof is replaced)."""
    unsecured = {k: v for k, v in document.items() if k != "proof"} if "proof" in document else document
    proof = create_proof(unsecured, private_key, verification_method=verification_method, created=created,
                         expires=expires)
    return {**unsecured, "proof": proof}


def proof_of(document: Any) -> dict[str, Any] | None:
    """The document's eddsa-jcs-2022 proof, None when it has no proof at all.

    A proof set (a list) yields its first eddsa-jcs-2022 member, else its first member, so that a proof of
    another suite is reported as such instead of as "unsigned".
    """
    if not isinstance(document, dict) or "proof" not in document:
        return None
    proof = document["proof"]
    if isinstance(proof, list):
        dicts = [p for p in proof if isinstance(p, dict)]
        ours = [p for p in dicts if p.get("cryptosuite") == CRYPTOSUITE]
        proof = (ours or dicts or [None])[0]
    if not isinstance(proof, dict):
        raise ProofError("malformed-proof", "proof is not an object")
    return proof


def check_options(proof: dict[str, Any]) -> ProofOptions:
    """Check type, cryptosuite, purpose, method and dates; raise ProofError with the first problem."""
    if proof.get("type") != PROOF_TYPE:
        raise ProofError("wrong-cryptosuite", f"proof type {proof.get('type')!r} is not {PROOF_TYPE}")
    if proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError("wrong-cryptosuite", f"cryptosuite {proof.get('cryptosuite')!r} is not {CRYPTOSUITE}")
    method = proof.get("verificationMethod")
    if isinstance(method, dict):
        method = method.get("id")
    if not isinstance(method, str) or not method:
        raise ProofError("missing-verification-method", "proof names no verificationMethod")
    purpose = proof.get("proofPurpose")
    if purpose != "assertionMethod":
        raise ProofError("malformed-proof", f"proofPurpose {purpose!r} is not assertionMethod")
    if not isinstance(proof.get("proofValue"), str):
        raise ProofError("malformed-proof", "proof has no proofValue")
    created = parse_xsd_datetime(proof["created"], "created") if "created" in proof else None
    expires = parse_xsd_datetime(proof["expires"], "expires") if "expires" in proof else None
    return ProofOptions(method, created, expires, purpose)


def verify_document(document: dict[str, Any], public_key: Ed25519PublicKey, *,
                    now: datetime | None = None) -> ProofOptions:
    """Verify the document's proof with `public_key`; return its options or raise ProofError."""
    proof = proof_of(document)
    if proof is None:
        raise ProofError("unsigned", "the document carries no proof")
    options = check_options(proof)
    now = now or datetime.now(timezone.utc)
    if options.expires is not None and options.expires < now:
        raise ProofError("expired", f"the proof expired at {_xsd(options.expires)}")
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    proof_options = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in proof_options:
        # Spec: the document's @context must start with the proof's @context, in order.
        pctx, dctx = _as_list(proof_options["@context"]), _as_list(unsecured.get("@context"))
        if dctx[:len(pctx)] != pctx:
            raise ProofError("bad-signature", "the document's @context does not start with the proof's")
        if "@context" not in unsecured:
            unsecured["@context"] = proof_options["@context"]
    try:
        signature = decode_multibase(proof["proofValue"])
    except MultikeyError as exc:
        raise ProofError("malformed-proof", f"proofValue: {exc}") from None
    if len(signature) != 64:
        raise ProofError("malformed-proof", f"proofValue holds {len(signature)} bytes, not a 64-byte signature")
    for candidate in _candidates(unsecured):
        try:
            public_key.verify(signature, _hash_data(candidate, proof_options))
            return options
        except InvalidSignature:
            continue
    raise ProofError("bad-signature", "the signature does not match this copy of the document (altered, or another key)")


def _candidates(unsecured: dict[str, Any]) -> list[dict[str, Any]]:
    """The document as signed: as it is, and without a Linked Data Signature added after the proof.

    Fedify (and Mastodon-compatible servers) attach an RsaSignature2017 ``signature`` after creating the proof,
    so the proof covers the document without it; that signature is not part of what the proof vouches for.
    """
    found = [unsecured]
    ld = unsecured.get("signature")
    if isinstance(ld, dict) and "signatureValue" in ld:
        found.append({k: v for k, v in unsecured.items() if k != "signature"})
    return found


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _xsd(dt: datetime) -> str:
    """xsd:dateTime in UTC to the second (``2026-11-29T12:00:00Z``)."""
    # Formatting a datetime costs several times more than looking up its second: every proof pays it.
    return _xsd_second(math.floor(dt.timestamp()))


@lru_cache(maxsize=64)
def _xsd_second(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat().replace("+00:00", "Z")
