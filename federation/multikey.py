"""Ed25519 keys as Multikeys (FEP-521a, W3C Controlled Identifiers): base58btc multibase with multicodec headers.

Pure: no I/O. A public key travels as ``publicKeyMultibase = "z" + base58btc(0xed 0x01 || 32 key bytes)``
(so it always starts with ``z6Mk``); a private key, where one is ever written out, with the ed25519-priv header
0x80 0x26. Keys are stored as PKCS#8 PEM like the RSA keys, so both kinds load through the same code paths.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "MultikeyError", "b58decode", "b58encode", "decode_multibase", "digest_multibase", "ed25519_from_multibase",
    "ed25519_to_multibase", "encode_multibase", "generate_ed25519_pem", "load_ed25519_private",
    "multikey_document", "private_from_multibase", "sha256_of_digest_multibase",
]

# Multihash prefix of a SHA-256 digest: the function code 0x12 and the length 32.
SHA256_MULTIHASH = b"\x12\x20"
_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]  # 58 * 58 = 3364 two-digit strings
_INDEX = {c: i for i, c in enumerate(_ALPHABET)}
ED25519_PUB_HEADER = b"\xed\x01"
ED25519_PRIV_HEADER = b"\x80\x26"
BASE58BTC = "z"


class MultikeyError(ValueError):
    """A multibase string or Multikey is malformed or of an unsupported kind (the message says which)."""


def b58encode(data: bytes) -> str:
    """Bitcoin base58 (leading zero bytes become '1')."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    out = []
    while number:  # two digits per division (half the big-integer work of one at a time): every proof pays it
        number, rem = divmod(number, 3364)
        out.append(_PAIRS[rem])
    return "1" * zeros + "".join(reversed(out)).lstrip("1")


def b58decode(text: str) -> bytes:
    """Inverse of `b58encode`; raises MultikeyError on a character outside the alphabet."""
    number = 0
    for char in text:
        try:
            number = number * 58 + _INDEX[char]
        except KeyError:
            raise MultikeyError(f"invalid base58btc character {char!r}") from None
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def encode_multibase(data: bytes) -> str:
    """Multibase base58btc: 'z' + base58btc(data)."""
    return BASE58BTC + b58encode(data)


def digest_multibase(sha256_digest: bytes) -> str:
    """A SHA-256 digest as a multibase-encoded multihash (``digestMultibase`` of the W3C VC data model): 'z' +
    base58btc(0x12 0x20 + the 32 digest bytes)."""
    if len(sha256_digest) != 32:
        raise MultikeyError("a SHA-256 digest is 32 bytes")
    return encode_multibase(SHA256_MULTIHASH + sha256_digest)


def sha256_of_digest_multibase(text: str) -> bytes:
    """The SHA-256 digest inside a ``digestMultibase`` value; MultikeyError when it is not a SHA-256 multihash."""
    raw = decode_multibase(text)
    if raw[:2] != SHA256_MULTIHASH or len(raw) != 34:
        raise MultikeyError("digestMultibase is not a SHA-256 multihash (0x12 0x20 + 32 bytes)")
    return raw[2:]


def decode_multibase(text: str) -> bytes:
    """Decode a base58btc multibase string (the only base Data Integrity EdDSA uses)."""
    if not isinstance(text, str) or not text:
        raise MultikeyError("multibase value is missing or not a string")
    if text[0] != BASE58BTC:
        raise MultikeyError(f"unsupported multibase prefix {text[0]!r} (expected 'z', base58btc)")
    return b58decode(text[1:])


def ed25519_to_multibase(key: Ed25519PublicKey) -> str:
    """The publicKeyMultibase of an Ed25519 public key (``z6Mk...``)."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return encode_multibase(ED25519_PUB_HEADER + raw)


@lru_cache(maxsize=1024)
def ed25519_from_multibase(text: str) -> Ed25519PublicKey:
    """Parse a publicKeyMultibase; raises MultikeyError unless it is a 32-byte Ed25519 multicodec key."""
    data = decode_multibase(text)
    if data[:2] != ED25519_PUB_HEADER:
        raise MultikeyError("not an Ed25519 Multikey (multicodec header is not 0xed01)")
    if len(data) != 34:
        raise MultikeyError(f"Ed25519 Multikey has {len(data) - 2} key bytes, not 32")
    return Ed25519PublicKey.from_public_bytes(data[2:])


def private_from_multibase(text: str) -> Ed25519PrivateKey:
    """Parse a secretKeyMultibase (ed25519-priv, 0x8026), as the W3C test vectors publish their key."""
    data = decode_multibase(text)
    if data[:2] != ED25519_PRIV_HEADER or len(data) != 34:
        raise MultikeyError("not an Ed25519 secret Multikey (0x8026 header and 32 bytes)")
    return Ed25519PrivateKey.from_private_bytes(data[2:])


def generate_ed25519_pem() -> tuple[str, str]:
    """A fresh Ed25519 key pair as (private PKCS#8 PEM, publicKeyMultibase)."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode("ascii")
    return pem, ed25519_to_multibase(key.public_key())


@lru_cache(maxsize=256)
def load_ed25519_private(pem: str) -> Ed25519PrivateKey:
    """Load (once) a stored Ed25519 private key."""
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise MultikeyError("stored key is not an Ed25519 private key")
    return key


def multikey_document(key_id: str, controller: str, public_multibase: str,
                      expires: str | None = None) -> dict[str, str]:
    """A FEP-521a Multikey entry for an actor's ``assertionMethod``; `expires` marks a retired key."""
    doc = {"id": key_id, "type": "Multikey", "controller": controller, "publicKeyMultibase": public_multibase}
    if expires:
        doc["expires"] = expires
    return doc
