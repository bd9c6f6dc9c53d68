"""RFC 9421 HTTP Message Signatures: inbound checks, verification and recorded vectors."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from federation.errors import SignatureError
from federation.sig.rfc9421 import inspect_rfc9421, sign_request_rfc9421
from federation.sig.cavage import inspect_request

FIXTURES = Path(__file__).parent.parent / "fixtures" / "signatures"
NOW = datetime(2024, 3, 5, 8, 9, 44, tzinfo=timezone.utc)
KEY_ID = "https://a.example/actor#main-key"
URL = "https://b.example/inbox"
BODY = b'{"type":"Follow","actor":"https://a.example/actor"}'


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ed_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def _signed(key, method="POST", url=URL, body=BODY, **kwargs):
    return sign_request_rfc9421(method, url, body=body, key_id=KEY_ID, private_key=key, now=NOW, **kwargs)


def test_sign_request_rfc9421__post_round_trip(rsa_key):
    """A Fedify-shaped POST (rsa-v1_5-sha256, content-digest covered) verifies."""
    headers = _signed(rsa_key)
    assert headers["Signature-Input"].startswith('sig1=("@method" "@target-uri" "@authority" "host" "date" "content-digest")')
    assert 'alg="rsa-v1_5-sha256"' in headers["Signature-Input"]
    assert headers["Content-Digest"].startswith("sha-256=:")
    pending = inspect_request("POST", "/inbox", headers, BODY, now=NOW)
    assert (pending.scheme, pending.key_id) == ("rfc9421", KEY_ID)
    assert pending.verify(rsa_key.public_key())


def test_sign_request_rfc9421__get_round_trip(rsa_key):
    """A GET without a body needs no Content-Digest and verifies."""
    headers = _signed(rsa_key, method="GET", url="https://b.example/users/x?page=2", body=None)
    assert "Content-Digest" not in headers
    assert inspect_request("GET", "/users/x?page=2", headers, b"", now=NOW).verify(rsa_key.public_key())


def test_sign_request_rfc9421__ed25519_round_trip(ed_key, rsa_key):
    """Ed25519 keys sign with alg="ed25519" and verify only with that key."""
    pending = inspect_request("POST", "/inbox", _signed(ed_key), BODY, now=NOW)
    assert pending.verify(ed_key.public_key())
    assert not pending.verify(rsa_key.public_key())


def test_inspect_rfc9421__tampered_body_is_digest_mismatch(rsa_key):
    """A body that does not match Content-Digest is refused before any key is fetched."""
    with pytest.raises(SignatureError) as exc:
        inspect_request("POST", "/inbox", _signed(rsa_key), BODY + b"!", now=NOW)
    assert exc.value.reason == "digest mismatch"


def test_inspect_rfc9421__sha512_content_digest_checked(rsa_key):
    """Every member is checked, sha-512 included (RFC 9530); B.2.3 shows a good sha-512 one."""
    headers = _signed(rsa_key)
    headers["Content-Digest"] += ", sha-512=:" + "A" * 86 + "==:"
    with pytest.raises(SignatureError, match="digest mismatch"):
        inspect_request("POST", "/inbox", headers, BODY, now=NOW)


def test_inspect_rfc9421__changed_covered_header_fails_verify(rsa_key):
    """Changing a covered header (Date) leaves inspection fine but verify() False."""
    headers = {**_signed(rsa_key), "Date": "Tue, 05 Mar 2024 08:09:45 GMT"}
    assert inspect_request("POST", "/inbox", headers, BODY, now=NOW).verify(rsa_key.public_key()) is False


def test_inspect_rfc9421__other_path_fails_verify(rsa_key):
    """@target-uri binds the path: the same headers on another path do not verify."""
    assert not inspect_request("POST", "/other", _signed(rsa_key), BODY, now=NOW).verify(rsa_key.public_key())


@pytest.mark.parametrize("skew", [timedelta(hours=1, seconds=1), -timedelta(hours=1, seconds=1)])
def test_inspect_rfc9421__stale_created_refused(rsa_key, skew):
    """`created` more than max_age away from now, either way, is refused."""
    with pytest.raises(SignatureError) as exc:
        inspect_request("POST", "/inbox", _signed(rsa_key), BODY, now=NOW + skew)
    assert exc.value.reason == "date outside window"


def test_inspect_rfc9421__missing_method_component_refused(rsa_key):
    """@method must be covered."""
    headers = _signed(rsa_key, components=("@target-uri", "date"))
    with pytest.raises(SignatureError, match="missing component: @method"):
        inspect_request("POST", "/inbox", headers, BODY, now=NOW)


def test_inspect_rfc9421__missing_target_component_refused(rsa_key):
    """@target-uri, or both @authority and @path, must be covered."""
    headers = _signed(rsa_key, components=("@method", "@authority"))
    with pytest.raises(SignatureError, match="missing component: @target-uri"):
        inspect_request("POST", "/inbox", headers, BODY, now=NOW)
    headers = _signed(rsa_key, components=("@method", "@authority", "@path"))
    assert inspect_request("POST", "/inbox", headers, BODY, now=NOW).verify(rsa_key.public_key())


def test_inspect_rfc9421__body_without_covered_digest_refused(rsa_key):
    """A request with a body must cover content-digest."""
    headers = _signed(rsa_key, body=None)
    with pytest.raises(SignatureError, match="content-digest not covered"):
        inspect_request("POST", "/inbox", headers, BODY, now=NOW)


def test_inspect_rfc9421__unsupported_algorithm_refused(rsa_key):
    """An alg outside RFC 9421's asymmetric registry (here HMAC) is refused."""
    headers = _signed(rsa_key)
    headers["Signature-Input"] = headers["Signature-Input"].replace("rsa-v1_5-sha256", "hmac-sha256")
    with pytest.raises(SignatureError, match="unsupported algorithm"):
        inspect_request("POST", "/inbox", headers, BODY, now=NOW)


def test_inspect_rfc9421__missing_signature_header_refused(rsa_key):
    """Signature-Input without Signature is refused."""
    headers = _signed(rsa_key)
    del headers["Signature"]
    with pytest.raises(SignatureError, match="missing header: signature"):
        inspect_request("POST", "/inbox", headers, BODY, now=NOW)


@pytest.mark.parametrize("bad", ['sig1=("@method"', "sig1=:not base64!:", 'sig1=("@method");created=x'])
def test_inspect_rfc9421__malformed_signature_input_refused(rsa_key, bad):
    """Malformed structured fields are refused as unparseable, never crash."""
    headers = {**_signed(rsa_key), "Signature-Input": bad}
    with pytest.raises(SignatureError):
        inspect_request("POST", "/inbox", headers, BODY, now=NOW)


def test_verify__wrong_key_is_false(rsa_key):
    """Another RSA key, an EC key or None all give False."""
    pending = inspect_request("POST", "/inbox", _signed(rsa_key), BODY, now=NOW)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert pending.verify(other.public_key()) is False
    assert pending.verify(ec.generate_private_key(ec.SECP256R1()).public_key()) is False
    assert pending.verify(None) is False


def test_inspect_rfc9421__http_accepted_for_loopback_by_default(rsa_key):
    """Our loopback tests sign http://127.0.0.1:PORT URLs; those verify without any option."""
    headers = _signed(rsa_key, url="http://127.0.0.1:8081/inbox")
    assert headers["Host"] == "127.0.0.1:8081"
    assert inspect_request("POST", "/inbox", headers, BODY, now=NOW).verify(rsa_key.public_key())


def test_inspect_rfc9421__http_refused_for_public_host_unless_scheme_given(rsa_key):
    """For a public host only https is assumed; a node served over http says so with `scheme`."""
    headers = _signed(rsa_key, url="http://b.example/inbox")
    assert not inspect_request("POST", "/inbox", headers, BODY, now=NOW).verify(rsa_key.public_key())
    assert inspect_request("POST", "/inbox", headers, BODY, now=NOW, scheme="http").verify(rsa_key.public_key())


def test_inspect_rfc9421__authority_overrides_host(rsa_key):
    """Behind a proxy that rewrites Host, the public authority can be passed explicitly."""
    signed = _signed(rsa_key, url="https://news.example/inbox", components=("@method", "@target-uri", "date"))
    headers = {**signed, "Host": "backend:8080"}
    pending = inspect_request("POST", "/inbox", headers, BODY, now=NOW, authority="news.example")
    assert pending.verify(rsa_key.public_key())


def test_inspect_rfc9421__header_names_case_insensitive(rsa_key):
    """Header names match whatever their case."""
    headers = {k.upper(): v for k, v in _signed(rsa_key).items()}
    assert inspect_request("POST", "/inbox", headers, BODY, now=NOW).verify(rsa_key.public_key())


def test_inspect_rfc9421__first_acceptable_of_several_signatures_chosen(rsa_key):
    """With several signatures, one that fails the checks is skipped in favour of the next."""
    good = _signed(rsa_key, label="good")
    stale = sign_request_rfc9421("POST", URL, body=BODY, key_id="https://x.example/k", private_key=rsa_key,
                                 now=NOW - timedelta(days=1), label="old")  # fmt: skip
    headers = {
        **good,
        "Signature-Input": f"{stale['Signature-Input']}, {good['Signature-Input']}",
        "Signature": f"{stale['Signature']}, {good['Signature']}",
    }
    pending = inspect_request("POST", "/inbox", headers, BODY, now=NOW)
    assert pending.key_id == KEY_ID
    assert pending.verify(rsa_key.public_key())


def test_inspect_rfc9421__direct_call_reports_metadata(rsa_key):
    """inspect_rfc9421 exposes label, algorithm, covered components and created time."""
    lowered = {k.lower(): v for k, v in _signed(rsa_key).items()}
    found = inspect_rfc9421("POST", "/inbox", lowered, BODY, now=NOW, max_age=timedelta(hours=1))
    assert (found.label, found.algorithm, found.created) == ("sig1", "rsa-v1_5-sha256", NOW)
    assert "content-digest" in found.covered


def _recorded(scheme: str):
    for path in sorted(FIXTURES.glob("*.json")):
        data = json.loads(path.read_text())
        if data["scheme"] == scheme:
            yield pytest.param(data, id=path.stem)


@pytest.mark.parametrize("fixture", list(_recorded("rfc9421")))
def test_recorded__rfc9421_vectors_replay(fixture):
    """RFC 9421 Appendix B requests get their expected verdict at their recorded time."""
    now = datetime.fromisoformat(fixture["now"])
    args = (fixture["method"], fixture["path"], fixture["headers"], fixture["body"].encode("utf-8"))
    if fixture["expected_reason"]:
        with pytest.raises(SignatureError) as exc:
            inspect_request(*args, now=now)
        assert exc.value.reason == fixture["expected_reason"]
        return
    pending = inspect_request(*args, now=now)
    key = load_pem_public_key(fixture["public_key_pem"].encode())
    assert pending.verify(key) is (fixture["expected"] == "valid")


def test_recorded__rfc9421_b26_signature_survives_body_removal():
    """B.2.6 covers no digest: its signature still verifies with the body stripped, hence our policy."""
    fixture = json.loads((FIXTURES / "rfc9421-b26-ed25519.json").read_text())
    headers = {k: v for k, v in fixture["headers"].items() if k != "Content-Digest"}
    now = datetime.fromisoformat(fixture["now"])
    pending = inspect_request(fixture["method"], fixture["path"], headers, b"", now=now)
    assert pending.verify(load_pem_public_key(fixture["public_key_pem"].encode()))
