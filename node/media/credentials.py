"""The agency's C2PA signing credentials and the operator's trust anchors, read from [media] once at start-up.

``c2pa_cert_chain`` (PEM, the leaf first, then its CAs) and ``c2pa_private_key`` (PKCS8 PEM, EC P-256 for ES256)
make the node sign its own photos; ``c2pa_trust_anchors`` (a PEM bundle) names the CAs whose signers the node
trusts when it checks a manifest. All three are optional: a node without them verifies manifests (untrusted) and
signs nothing. Every problem is a `ConfigError` naming the key; the private key itself never appears in a message
or a log, and is kept out of reprs.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from node import __version__
from node.config import Config, ConfigError

__all__ = ["Credentials", "NO_CREDENTIALS", "load_credentials"]

# An 8x8 grey JPEG: signed once at start-up, so that a certificate c2pa refuses (wrong key usage, a CA as the
# leaf) is a start-up error naming the key, not a surprise on the first upload.
_PROBE_JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1x"
    "eXBkeFxlZ2P/wAALCAAIAAgBAREA/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQR"
    "BRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4"
    "eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/9oACAEB"
    "AAA/ACv/2Q==")


@dataclass(frozen=True)
class Credentials:
    """What the node signs C2PA manifests with (if anything) and which signers it trusts."""

    agency: str = ""                                   # the agency's name: the manifest's author
    chain_pem: bytes = field(default=b"", repr=False)  # leaf first; c2pa wants bytes, not str
    key_pem: bytes = field(default=b"", repr=False)    # PKCS8; a secret
    anchors_pem: str = ""                              # PEM bundle of trust anchors; "" trusts nobody
    generator: str = f"Agency Node/{__version__}"

    @property
    def signing(self) -> bool:
        return bool(self.chain_pem and self.key_pem)


NO_CREDENTIALS = Credentials()


def _read(config: Config, key: str) -> bytes:
    path = Path(config.media[key])
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{config.source}: media.{key}: no such file {path}") from None
    except IsADirectoryError:
        raise ConfigError(f"{config.source}: media.{key}: {path} is a folder, not a PEM file") from None
    except OSError as exc:
        raise ConfigError(f"{config.source}: media.{key}: cannot read {path}: {exc.strerror}") from None


def _certificates(config: Config, key: str, data: bytes) -> list[x509.Certificate]:
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError:
        certs = []
    if not certs:
        raise ConfigError(f"{config.source}: media.{key}: no PEM certificate in {config.media[key]}")
    return certs


def load_credentials(config: Config) -> Credentials:
    """The credentials [media] names, checked: files readable, the key an unencrypted EC P-256 key matching the
    chain's first certificate, and c2pa willing to sign with them. Raises `ConfigError` naming the key."""
    media, where = config.media, config.source
    anchors = ""
    if media.get("c2pa_trust_anchors"):
        data = _read(config, "c2pa_trust_anchors")
        _certificates(config, "c2pa_trust_anchors", data)
        anchors = data.decode("ascii", "replace")
    if not media.get("c2pa_cert_chain"):
        return Credentials(agency=config.agency.name, anchors_pem=anchors)
    chain = _read(config, "c2pa_cert_chain")
    leaf = _certificates(config, "c2pa_cert_chain", chain)[0]
    key_pem = _read(config, "c2pa_private_key")
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError, serialization.UnsupportedAlgorithm):
        # Never echo the file: it is the agency's signing key.
        raise ConfigError(f"{where}: media.c2pa_private_key: not an unencrypted PEM private key (PKCS8)") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ConfigError(f"{where}: media.c2pa_private_key: must be an EC P-256 key (C2PA signs with ES256)")
    if key.public_key() != leaf.public_key():
        raise ConfigError(f"{where}: media.c2pa_private_key: does not match the first certificate of "
                          "media.c2pa_cert_chain (the signing certificate comes first, then its CAs)")
    if b"BEGIN PRIVATE KEY" not in key_pem:  # c2pa reads PKCS8 only; re-encode a SEC1 ("EC PRIVATE KEY") file
        key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    credentials = Credentials(agency=config.agency.name, chain_pem=chain, key_pem=key_pem, anchors_pem=anchors)
    _probe(credentials, where)
    return credentials


def _probe(credentials: Credentials, where: str) -> None:
    import c2pa

    manifest = {"claim_generator_info": [{"name": "Agency Node", "version": __version__}],
                "assertions": [{"label": "c2pa.actions", "data": {"actions": [{
                    "action": "c2pa.created",
                    "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCreation"}]}}]}
    try:
        signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(b"es256", credentials.chain_pem, credentials.key_pem,
                                                           None))
        with c2pa.Builder(manifest) as builder:
            builder.sign(signer, "image/jpeg", io.BytesIO(_PROBE_JPEG), io.BytesIO())
    except c2pa.C2paError as exc:
        raise ConfigError(f"{where}: media.c2pa_cert_chain: c2pa will not sign with this certificate and key: "
                          f"{exc} (the signing certificate needs keyUsage digitalSignature and an extendedKeyUsage "
                          "such as emailProtection)") from None
