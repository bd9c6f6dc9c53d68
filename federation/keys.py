"""Key pairs: generate RSA-2048, serialise to PEM, and load PEMs once (loading with validation costs ~45 ms)."""

from __future__ import annotations

from functools import lru_cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes


def generate_rsa_pem() -> tuple[str, str]:
    """A fresh RSA-2048 key pair as (private PKCS#8 PEM, public SubjectPublicKeyInfo PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")
    return private_pem, public_pem


@lru_cache(maxsize=64)
def load_private_key(pem: str) -> PrivateKeyTypes:
    """Parse a private key PEM, cached: callers may call this on every signature."""
    return serialization.load_pem_private_key(pem.encode("ascii"), password=None)


@lru_cache(maxsize=4096)
def load_public_key(pem: str) -> PublicKeyTypes:
    """Parse a public key PEM (SubjectPublicKeyInfo, or the PKCS#1 'RSA PUBLIC KEY' some servers send), cached."""
    return serialization.load_pem_public_key(pem.strip().encode("ascii"))
