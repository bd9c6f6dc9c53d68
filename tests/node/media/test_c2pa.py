"""C2PA on photos: the agency signs its own images with its certificate chain, every image gets a verdict (valid and
trusted, valid but untrusted, tampered with the reason, none, error), through the stock and on a loopback node."""

from __future__ import annotations

import datetime
import hashlib
import io
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image

from node.config import ConfigError
from node.media import contentcred, stock
from node.media.credentials import Credentials, load_credentials
from node.media.storage import LocalStore
from tests.nodes import TOKEN, node_config, running_node

AUTH = {"Authorization": f"Bearer {TOKEN}"}
CAPTURE = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"
AGENCY = "Baku News Agency"


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Baku Test PKI")])


def _usage(*, sign: bool, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=sign, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                         encipher_only=False, decipher_only=False)


def make_pki(folder: Path, *, eku: bool = True) -> dict[str, Path]:
    """A test CA and an ES256 leaf signed by it (keyUsage digitalSignature, extendedKeyUsage emailProtection),
    written as PEM files: the chain (leaf first), the leaf's PKCS8 key, the CA as a trust anchor."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("Baku Test CA")).issuer_name(_name("Baku Test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=365))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(_usage(sign=False, ca=True), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(_name(AGENCY)).issuer_name(ca.subject)
            .public_key(leaf_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(sign=True, ca=False), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False))
    if eku:
        leaf = leaf.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
    leaf = leaf.sign(ca_key, hashes.SHA256())
    pem = serialization.Encoding.PEM
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"chain": folder / "chain.pem", "key": folder / "key.pem", "anchors": folder / "ca.pem"}
    paths["chain"].write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    paths["key"].write_bytes(leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))
    paths["anchors"].write_bytes(ca.public_bytes(pem))
    return paths


def jpeg(seed: int = 7, size: tuple[int, int] = (96, 64)) -> bytes:
    """A real JPEG with some texture (so that its scan data is more than a few bytes)."""
    image = Image.new("RGB", size)
    image.putdata([((x * seed) % 256, (y * 3 + seed) % 256, (x * y) % 256)
                   for y in range(size[1]) for x in range(size[0])])
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def media_section(pki: dict[str, Path], *, anchors: bool = True) -> dict[str, str]:
    section = {"c2pa_cert_chain": str(pki["chain"]), "c2pa_private_key": str(pki["key"])}
    if anchors:
        section["c2pa_trust_anchors"] = str(pki["anchors"])
    return section


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, Path]:
    return make_pki(tmp_path / "pki")


def credentials(tmp_path: Path, pki: dict[str, Path], *, anchors: bool = True) -> Credentials:
    return load_credentials(node_config(tmp_path, "baku", sections={"media": media_section(pki, anchors=anchors)}))


async def _stored(store: LocalStore, data: bytes) -> str:
    async def chunks():
        yield data
    return (await store.put_stream(chunks(), lambda head: 1 << 30)).sha256


async def _seal(tmp_path: Path, data: bytes, creds: Credentials | None,
                **kwargs) -> tuple[LocalStore, contentcred.Sealed]:
    store = LocalStore(tmp_path / "store")
    sha = await _stored(store, data)
    kwargs.setdefault("own", True)
    return store, await contentcred.seal(store, sha, "image/jpeg", creds, **kwargs)


# -- signing and verifying, unit --------------------------------------------------------------------------------

async def test_seal__own_image_is_signed_and_valid_trusted_with_the_ca_as_anchor(tmp_path, pki):
    """A signed own JPEG is a new file whose manifest names the agency, the claim generator and c2pa.created
    with the digital source type, and verifies as valid-trusted against the operator's CA."""
    original = jpeg()
    store, sealed = await _seal(tmp_path, original, credentials(tmp_path, pki), title="ferry.jpg",
                                source_type=CAPTURE)
    signed = store.path(sealed.sha256).read_bytes()
    assert sealed.sha256 == hashlib.sha256(signed).hexdigest() != hashlib.sha256(original).hexdigest()
    assert sealed.size == len(signed)
    verdict = sealed.verdict
    assert verdict["verdict"] == "valid-trusted" and verdict["signed_here"] is True
    assert verdict["signer"] == AGENCY and verdict["issuer"] == "Baku Test PKI"
    assert verdict["authors"] == [AGENCY] and verdict["claim_generator"].startswith("Agency Node/")
    assert verdict["actions"] == [{"action": "c2pa.created", "digital_source_type": CAPTURE}]
    assert contentcred.describe(verdict).startswith(f"C2PA: valid and trusted, signed by {AGENCY}")


@pytest.mark.parametrize("fmt, media_type", [("PNG", "image/png"), ("WEBP", "image/webp")])
async def test_seal__png_and_webp_are_signed_too(tmp_path, pki, fmt, media_type):
    """c2pa signs PNG and WebP as well as JPEG: an own PNG or WebP comes out signed and valid-trusted."""
    out = io.BytesIO()
    Image.open(io.BytesIO(jpeg())).save(out, fmt)
    store = LocalStore(tmp_path / "store")
    sha = await _stored(store, out.getvalue())
    sealed = await contentcred.seal(store, sha, media_type, credentials(tmp_path, pki), own=True,
                                    source_type=CAPTURE)
    assert sealed.sha256 != sha and sealed.verdict["verdict"] == "valid-trusted"
    assert Image.open(store.path(sealed.sha256)).format == fmt


async def test_seal__without_the_anchor_the_same_manifest_is_valid_untrusted(tmp_path, pki):
    """With no trust anchor configured, a valid manifest is valid-untrusted (c2pa's signingCredential.untrusted)."""
    _, sealed = await _seal(tmp_path, jpeg(), credentials(tmp_path, pki, anchors=False), source_type=CAPTURE)
    assert sealed.verdict["verdict"] == "valid-untrusted" and sealed.verdict["signer"] == AGENCY
    assert "not trusted by this node" in contentcred.describe(sealed.verdict)


async def test_read_verdict__a_flipped_byte_in_the_image_data_is_tampered_with_the_reason(tmp_path, pki):
    """One byte changed in the scan data after signing: tampered, with assertion.dataHash.mismatch as the reason."""
    creds = credentials(tmp_path, pki)
    store, sealed = await _seal(tmp_path, jpeg(), creds, source_type=CAPTURE)
    damaged = bytearray(store.path(sealed.sha256).read_bytes())
    damaged[-40] ^= 0xFF  # inside the entropy-coded data, before the EOI marker
    path = tmp_path / "damaged.jpg"
    path.write_bytes(bytes(damaged))
    verdict = contentcred.read_verdict(path, "image/jpeg", creds)
    assert verdict["verdict"] == "tampered" and verdict["codes"] == ["assertion.dataHash.mismatch"]
    assert verdict["reason"].startswith("assertion.dataHash.mismatch")
    assert "assertion.dataHash.mismatch" in contentcred.describe(verdict)


async def test_read_verdict__a_jpeg_without_a_manifest_is_none_and_a_broken_one_is_an_error(tmp_path):
    """No manifest: none. A file c2pa cannot parse: error with its reason."""
    plain, broken = tmp_path / "plain.jpg", tmp_path / "broken.jpg"
    plain.write_bytes(jpeg())
    broken.write_bytes(b"\xff\xd8\xff" + b"x" * 100)
    assert contentcred.read_verdict(plain, "image/jpeg")["verdict"] == "none"
    assert contentcred.describe(contentcred.read_verdict(plain, "image/jpeg")) == "C2PA: no manifest"
    verdict = contentcred.read_verdict(broken, "image/jpeg")
    assert verdict["verdict"] == "error" and "could not be parsed" in verdict["reason"]


async def test_seal__a_received_image_is_verified_never_re_signed(tmp_path, pki):
    """own=False: the file stays as received (same hash) and only gets its verdict, even on a signing node."""
    original = jpeg()
    _, sealed = await _seal(tmp_path, original, credentials(tmp_path, pki), own=False, source_type=CAPTURE)
    assert sealed.sha256 == hashlib.sha256(original).hexdigest() and sealed.size is None
    assert sealed.verdict["verdict"] == "none" and "signed_here" not in sealed.verdict


async def test_seal__removed_metadata_is_an_edit_and_an_earlier_manifest_becomes_the_parent(tmp_path, pki):
    """Metadata removed: c2pa.edited says what; an image that already carries a manifest is opened (its manifest
    kept as the parent ingredient) rather than claimed as newly created."""
    creds = credentials(tmp_path, pki)
    store, first = await _seal(tmp_path, jpeg(), creds, source_type=CAPTURE, removed=["GPS location"])
    assert [a["action"] for a in first.verdict["actions"]] == ["c2pa.created", "c2pa.edited"]
    assert first.verdict["actions"][1]["description"] == "metadata removed: GPS location"
    again = await contentcred.seal(store, first.sha256, "image/jpeg", creds, own=True, source_type=CAPTURE)
    assert again.verdict["verdict"] == "valid-trusted"
    assert [a["action"] for a in again.verdict["actions"]] == ["c2pa.opened", "c2pa.published"]


async def test_seal__no_digital_source_type_leaves_the_image_unsigned_and_says_why(tmp_path, pki):
    """C2PA's c2pa.created needs a digital source type; without one nothing false is claimed: unsigned, with why."""
    original = jpeg()
    _, sealed = await _seal(tmp_path, original, credentials(tmp_path, pki))
    assert sealed.sha256 == hashlib.sha256(original).hexdigest()
    assert sealed.verdict["verdict"] == "none" and sealed.verdict["signed_here"] is False
    assert "no digital source type" in contentcred.describe(sealed.verdict)


async def test_add__a_partners_signed_photo_is_kept_as_sent_and_a_byte_flipped_in_transit_is_tampered(tmp_path, pki):
    """Through the stock as a received file (own=False) on a node that signs: the partner's signed photo is kept
    byte for byte and verifies (untrusted: its CA is not ours); the same photo with a flipped byte is tampered."""
    _, partner = await _seal(tmp_path / "partner", jpeg(), credentials(tmp_path, pki), source_type=CAPTURE)
    sent = (tmp_path / "partner" / "store").joinpath(*_parts(partner.sha256)).read_bytes()
    damaged = bytearray(sent)
    damaged[-40] ^= 0x01
    ours = make_pki(tmp_path / "ours")
    config = node_config(tmp_path, "ankara", sections={"media": media_section(ours)})
    async with running_node(tmp_path, "ankara", config=config) as ankara:
        async def receive(data: bytes):
            async def chunks():
                yield data
            return await stock.add(ankara.node.media_store, chunks(), {}, own=False,
                                   limits=stock.limits_of(ankara.config.media),
                                   credentials=ankara.node.c2pa_credentials)
        kept, _ = await ankara.db(receive, sent)
        assert kept.sha256 == partner.sha256 and kept.c2pa["verdict"] == "valid-untrusted"
        assert kept.c2pa["signer"] == AGENCY and kept.c2pa["own"] is False and "signed_here" not in kept.c2pa
        flipped, _ = await ankara.db(receive, bytes(damaged))
        assert flipped.c2pa["verdict"] == "tampered" and flipped.c2pa["codes"] == ["assertion.dataHash.mismatch"]


def _parts(sha: str) -> tuple[str, str, str]:
    return sha[:2], sha[2:4], sha


# -- configuration ------------------------------------------------------------------------------------------------

def test_load_credentials__missing_or_mismatched_files_are_errors_naming_the_key(tmp_path, pki):
    """A missing file, a key that is not the leaf's, a certificate c2pa refuses: one ConfigError naming the key,
    never the key's bytes."""
    def error(**media: str) -> str:
        with pytest.raises(ConfigError) as info:
            load_credentials(node_config(tmp_path, "baku", sections={"media": {**media_section(pki), **media}}))
        return str(info.value)

    assert "PRIVATE KEY" not in repr(credentials(tmp_path, pki))  # the key stays out of reprs and tracebacks
    assert "media.c2pa_cert_chain: no such file" in error(c2pa_cert_chain=str(tmp_path / "nope.pem"))
    assert "media.c2pa_trust_anchors: no such file" in error(c2pa_trust_anchors=str(tmp_path / "nope.pem"))
    other = make_pki(tmp_path / "other")
    message = error(c2pa_private_key=str(other["key"]))
    assert "media.c2pa_private_key: does not match" in message and "PRIVATE KEY" not in message
    no_eku = make_pki(tmp_path / "no-eku", eku=False)
    assert "media.c2pa_cert_chain: c2pa will not sign" in error(c2pa_cert_chain=str(no_eku["chain"]),
                                                                c2pa_private_key=str(no_eku["key"]))
    with pytest.raises(ConfigError, match="media.c2pa_private_key"):
        node_config(tmp_path, "baku", sections={"media": {"c2pa_cert_chain": str(pki["chain"])}})


# -- through the API on a loopback node -----------------------------------------------------------------------------

async def _upload(node, body: bytes, **params: str) -> tuple[int, dict]:
    headers = {**AUTH, "Content-Type": "image/jpeg", "Content-Disposition": 'attachment; filename="ferry.jpg"'}
    async with node.session.post(node.base_url + "/api/media", data=body, params=params, headers=headers) as resp:
        return resp.status, await resp.json(content_type=None)


async def test_api__an_upload_on_a_signing_node_is_served_signed_and_shown_valid_trusted(tmp_path, pki):
    """The served bytes carry a manifest that verifies and names the agency; the item, the same upload again and
    the story's media description all show valid-trusted."""
    config = node_config(tmp_path, "baku", sections={"media": media_section(pki)})
    original = jpeg()
    async with running_node(tmp_path, "baku", config=config) as baku:
        status, item = await _upload(baku, original, alt="Aktau ferry", digital_source_type="digitalCapture")
        assert status == 201, item
        assert item["id"] != hashlib.sha256(original).hexdigest()
        assert item["c2pa"]["verdict"] == "valid-trusted" and item["c2pa"]["signed_here"] is True
        assert item["c2pa_verdict"].startswith(f"C2PA: valid and trusted, signed by {AGENCY}")
        async with baku.session.get(item["url"]) as resp:
            served = await resp.read()
        assert hashlib.sha256(served).hexdigest() == item["id"] and len(served) == item["size"]
        path = tmp_path / "served.jpg"
        path.write_bytes(served)
        verdict = contentcred.read_verdict(path, "image/jpeg", baku.node.c2pa_credentials)
        assert verdict["verdict"] == "valid-trusted" and verdict["authors"] == [AGENCY]

        status, again = await _upload(baku, original, digital_source_type="digitalCapture")
        assert status == 200 and again["id"] == item["id"]
        status, shown = await baku.api("GET", f"/api/media/{item['id']}")
        assert shown["c2pa"]["verdict"] == "valid-trusted"
        described = await baku.db(stock.story_media, None, [item["id"]], url_of=lambda sha: sha)
        assert described[0]["c2pa"]["verdict"] == "valid-trusted" and described[0]["c2pa"]["signer"] == AGENCY


async def test_api__a_node_without_a_certificate_stores_the_upload_unsigned(tmp_path):
    """No certificate: the upload is stored and served as sent, and its verdict says it carries no manifest."""
    original = jpeg()
    async with running_node(tmp_path, "baku") as baku:
        status, item = await _upload(baku, original, digital_source_type="digitalCapture")
        assert status == 201 and item["id"] == hashlib.sha256(original).hexdigest()
        assert item["c2pa"]["verdict"] == "none" and "signed_here" not in item["c2pa"]
        assert item["c2pa_verdict"] == "C2PA: no manifest"
        async with baku.session.get(item["url"]) as resp:
            assert await resp.read() == original
