"""Draft-cavage HTTP signatures: signing, inspection, verification, and recorded requests."""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from multidict import CIMultiDict

from federation.errors import FederationError, SignatureError
from federation.sig.cavage import (
    PendingSignature, body_digest, inspect_request, parse_signature_header, sign_request,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "signatures"
NOW = datetime(2024, 3, 5, 8, 0, 0, tzinfo=timezone.utc)
KEY_ID = "https://a.example/actor#main-key"
BODY = b'{"type":"Create","actor":"https://a.example/actor"}'


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ed_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def _post(key, url="https://b.example/inbox", body=BODY, now=NOW):
    return sign_request("POST", url, body=body, key_id=KEY_ID, private_key=key, now=now)


def _cavage(key, lines: list[tuple[str, str]], params: str, sign=None) -> str:
    """A Signature header over `lines` made by hand, for shapes sign_request never makes."""
    text = "\n".join(f"{k}: {v}" for k, v in lines).encode()
    raw = sign(text) if sign else key.sign(text, padding.PKCS1v15(), hashes.SHA256())
    names = " ".join(k for k, _ in lines)
    return f'keyId="{KEY_ID}",{params}headers="{names}",signature="{base64.b64encode(raw).decode()}"'


def test_body_digest__matches_mastodon_value():
    """body_digest gives the Digest value Mastodon's spec expects for "Hello world"."""
    assert body_digest(b"Hello world") == "SHA-256=ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw="


def test_sign_request__post_round_trip(rsa_key):
    """A signed POST passes inspection and verifies with the signer's public key."""
    headers = _post(rsa_key)
    assert set(headers) == {"Host", "Date", "Digest", "Content-Type", "Signature"}
    assert 'headers="(request-target) host date digest content-type"' in headers["Signature"]
    assert 'algorithm="rsa-sha256"' in headers["Signature"]
    pending = inspect_request("POST", "/inbox", headers, BODY, now=NOW)
    assert pending == PendingSignature(scheme="draft-cavage", key_id=KEY_ID, _check=None)
    assert pending.verify(rsa_key.public_key())


def test_sign_request__get_round_trip(rsa_key):
    """A signed GET signs Accept instead of a digest and verifies."""
    headers = sign_request("GET", "https://b.example/users/x", body=None, key_id=KEY_ID, private_key=rsa_key, now=NOW)
    assert set(headers) == {"Host", "Date", "Accept", "Signature"}
    assert 'headers="(request-target) host date accept"' in headers["Signature"]
    assert headers["Accept"].startswith("application/activity+json")
    assert inspect_request("GET", "/users/x", headers, b"", now=NOW).verify(rsa_key.public_key())


def test_sign_request__date_is_rfc7231_gmt(rsa_key):
    """The Date header is an IMF-fixdate in GMT, whatever the time zone of `now`."""
    local = NOW.astimezone(timezone(timedelta(hours=5)))
    assert _post(rsa_key, now=local)["Date"] == "Tue, 05 Mar 2024 08:00:00 GMT"


def test_sign_request__query_string_kept_in_request_target(rsa_key):
    """(request-target) carries the raw query; dropping or changing it breaks the signature."""
    url = "https://b.example/users/x?page=2&q=a%2Fb"
    headers = sign_request("GET", url, body=None, key_id=KEY_ID, private_key=rsa_key, now=NOW)
    assert inspect_request("GET", "/users/x?page=2&q=a%2Fb", headers, b"", now=NOW).verify(rsa_key.public_key())
    for path in ("/users/x", "/users/x?page=2&q=a/b"):
        assert not inspect_request("GET", path, headers, b"", now=NOW).verify(rsa_key.public_key())


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://127.0.0.1:8081/inbox", "127.0.0.1:8081"),
        ("https://b.example:8443/inbox", "b.example:8443"),
        ("https://b.example:443/inbox", "b.example"),
        ("http://B.Example:80/inbox", "b.example"),
        ("http://[::1]:9000/inbox", "[::1]:9000"),
    ],
)
def test_sign_request__port_kept_in_host_when_not_default(rsa_key, url, host):
    """Host is host[:port] as in the URL, the port dropped only when it is the scheme's default."""
    headers = _post(rsa_key, url=url)
    assert headers["Host"] == host
    assert inspect_request("POST", "/inbox", headers, BODY, now=NOW).verify(rsa_key.public_key())


def test_sign_request__is_fast(rsa_key):
    """Signing with a loaded key stays around a millisecond (nothing reloads PEMs)."""
    start = time.perf_counter()
    for _ in range(50):
        _post(rsa_key)
    assert (time.perf_counter() - start) / 50 < 0.02


def test_inspect_request__tampered_body_is_digest_mismatch(rsa_key):
    """A body that no longer matches the signed Digest is refused before any key is fetched."""
    with pytest.raises(SignatureError) as exc:
        inspect_request("POST", "/inbox", _post(rsa_key), BODY + b" ", now=NOW)
    assert exc.value.reason == "digest mismatch"


def test_inspect_request__changed_signed_header_fails_verify(rsa_key):
    """Changing a signed header (Content-Type) leaves inspection fine but verify() False."""
    headers = {**_post(rsa_key), "Content-Type": "application/ld+json"}
    assert inspect_request("POST", "/inbox", headers, BODY, now=NOW).verify(rsa_key.public_key()) is False


def test_inspect_request__other_method_fails_verify(rsa_key):
    """The method is part of (request-target): a POST signature does not verify as a PUT."""
    assert not inspect_request("PUT", "/inbox", _post(rsa_key), BODY, now=NOW).verify(rsa_key.public_key())


@pytest.mark.parametrize("skew", [timedelta(hours=1, seconds=1), -timedelta(hours=1, seconds=1)])
def test_inspect_request__stale_or_future_date_refused(rsa_key, skew):
    """A Date more than max_age away from now, either way, is refused."""
    with pytest.raises(SignatureError) as exc:
        inspect_request("POST", "/inbox", _post(rsa_key), BODY, now=NOW + skew)
    assert exc.value.reason == "date outside window"


def test_inspect_request__max_age_is_configurable(rsa_key):
    """A wider window (Mastodon allows 12 hours) accepts what the default refuses."""
    later = NOW + timedelta(hours=5)
    pending = inspect_request("POST", "/inbox", _post(rsa_key), BODY, now=later, max_age=timedelta(hours=12))
    assert pending.verify(rsa_key.public_key())


def test_inspect_request__unparseable_date_refused(rsa_key):
    """A Date that is not an HTTP date is refused (Mastodon does the same)."""
    headers = {**_post(rsa_key), "Date": "wrong date"}
    with pytest.raises(SignatureError, match="unparseable date"):
        inspect_request("POST", "/inbox", headers, BODY, now=NOW)


@pytest.mark.parametrize("missing", ["(request-target)", "host", "date", "digest"])
def test_inspect_request__required_header_missing_from_signed_list_refused(rsa_key, missing):
    """(request-target), host, date and (with a body) digest must all be signed."""
    headers = _post(rsa_key)
    lines = [
        ("(request-target)", "post /inbox"),
        ("host", headers["Host"]),
        ("date", headers["Date"]),
        ("digest", headers["Digest"]),
    ]
    headers["Signature"] = _cavage(rsa_key, [line for line in lines if line[0] != missing], 'algorithm="rsa-sha256",')
    with pytest.raises(SignatureError) as exc:
        inspect_request("POST", "/inbox", headers, BODY, now=NOW)
    assert exc.value.reason == f"header not signed: {missing}"


def test_inspect_request__signed_header_absent_from_request_refused(rsa_key):
    """Every header listed in the signature must be present in the request."""
    headers = _post(rsa_key)
    del headers["Content-Type"]
    with pytest.raises(SignatureError) as exc:
        inspect_request("POST", "/inbox", headers, BODY, now=NOW)
    assert exc.value.reason == "missing header: content-type"


def test_inspect_request__get_without_digest_accepted(rsa_key):
    """With an empty body the digest need not be signed."""
    headers = sign_request("GET", "https://b.example/o/1", body=None, key_id=KEY_ID, private_key=rsa_key, now=NOW)
    assert inspect_request("GET", "/o/1", headers, b"", now=NOW).key_id == KEY_ID


def test_inspect_request__missing_signature_refused():
    """An unsigned request is refused with a clear reason."""
    with pytest.raises(SignatureError, match="missing header: signature"):
        inspect_request("POST", "/inbox", {"Host": "b.example"}, BODY, now=NOW)


def test_inspect_request__hs2019_with_date_accepted(rsa_key):
    """hs2019 with an RSA key is RSASSA-PKCS1-v1_5 + SHA-256, as GoToSocial signs."""
    headers = _post(rsa_key)
    headers["Signature"] = headers["Signature"].replace('algorithm="rsa-sha256"', 'algorithm="hs2019"')
    pending = inspect_request("POST", "/inbox", headers, BODY, now=NOW)
    assert pending.verify(rsa_key.public_key())


def test_inspect_request__hs2019_with_created_and_expires_accepted(rsa_key):
    """hs2019 may sign (created)/(expires) instead of Date; both are checked against now."""
    created = int(NOW.timestamp())
    headers = {"Host": "b.example", "Digest": body_digest(BODY)}
    lines = [
        ("(request-target)", "post /inbox"),
        ("(created)", str(created)),
        ("(expires)", str(created + 300)),
        ("host", "b.example"),
        ("digest", headers["Digest"]),
    ]
    headers["Signature"] = _cavage(rsa_key, lines, f'algorithm="hs2019",created={created},expires={created + 300},')
    assert inspect_request("POST", "/inbox", headers, BODY, now=NOW).verify(rsa_key.public_key())
    with pytest.raises(SignatureError, match="signature expired"):
        inspect_request("POST", "/inbox", headers, BODY, now=NOW + timedelta(minutes=6))


def test_inspect_request__hs2019_rsa_pss_accepted(rsa_key):
    """hs2019 with RSASSA-PSS + SHA-512 (draft-12's own reading of hs2019) also verifies."""
    headers = _post(rsa_key)
    lines = [("(request-target)", "post /inbox"), ("host", "b.example"), ("date", headers["Date"]),
             ("digest", headers["Digest"])]  # fmt: skip
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)
    headers["Signature"] = _cavage(rsa_key, lines, 'algorithm="hs2019",', sign=lambda t: rsa_key.sign(t, pss, hashes.SHA512()))
    assert inspect_request("POST", "/inbox", headers, BODY, now=NOW).verify(rsa_key.public_key())


def test_inspect_request__hs2019_ed25519_key_accepted(ed_key, rsa_key):
    """hs2019 signed with an Ed25519 key verifies with that key, not with an RSA key."""
    headers = _post(rsa_key)
    lines = [("(request-target)", "post /inbox"), ("host", "b.example"), ("date", headers["Date"]),
             ("digest", headers["Digest"])]  # fmt: skip
    headers["Signature"] = _cavage(ed_key, lines, 'algorithm="hs2019",', sign=ed_key.sign)
    pending = inspect_request("POST", "/inbox", headers, BODY, now=NOW)
    assert pending.verify(ed_key.public_key())
    assert not pending.verify(rsa_key.public_key())


def test_inspect_request__rsa_sha256_with_ed25519_key_is_false(rsa_key, ed_key):
    """An algorithm that names RSA never verifies with an Ed25519 key."""
    pending = inspect_request("POST", "/inbox", _post(rsa_key), BODY, now=NOW)
    assert pending.verify(ed_key.public_key()) is False


def test_inspect_request__created_with_rsa_sha256_refused(rsa_key):
    """Draft-12 2.3: (created) under an rsa-* algorithm must fail."""
    created = int(NOW.timestamp())
    lines = [("(request-target)", "post /inbox"), ("(created)", str(created)), ("host", "b.example")]
    headers = {"Host": "b.example", "Signature": _cavage(rsa_key, lines, f'algorithm="rsa-sha256",created={created},')}
    with pytest.raises(SignatureError, match="unsupported algorithm"):
        inspect_request("GET", "/inbox", headers, b"", now=NOW)


@pytest.mark.parametrize("algorithm", ["rsa-sha512", "hmac-sha256", "x-attacker-supplied"])
def test_inspect_request__unsupported_algorithm_refused(rsa_key, algorithm):
    """Only rsa-sha256, hs2019 and ed25519 are accepted."""
    headers = _post(rsa_key)
    headers["Signature"] = headers["Signature"].replace("rsa-sha256", algorithm)
    with pytest.raises(SignatureError) as exc:
        inspect_request("POST", "/inbox", headers, BODY, now=NOW)
    assert exc.value.reason == "unsupported algorithm"
    assert isinstance(exc.value, FederationError)


def test_verify__wrong_key_is_false(rsa_key, other_rsa_key):
    """Another key, or something that is not a key, gives False rather than an exception."""
    pending = inspect_request("POST", "/inbox", _post(rsa_key), BODY, now=NOW)
    assert pending.verify(other_rsa_key.public_key()) is False
    assert pending.verify(None) is False


def test_inspect_request__header_names_case_insensitive(rsa_key):
    """Header names match whatever their case, as HTTP says."""
    signed = _post(rsa_key)
    for transform in (str.lower, str.upper, str.title):
        headers = {transform(k): v for k, v in signed.items()}
        assert inspect_request("POST", "/inbox", headers, BODY, now=NOW).verify(rsa_key.public_key())


def test_inspect_request__repeated_header_values_joined(rsa_key):
    """A header sent twice is signed and verified as its values joined with ", "."""
    headers = CIMultiDict(_post(rsa_key))
    headers.add("X-Tag", "a")
    headers.add("x-tag", "b")
    lines = [("(request-target)", "post /inbox"), ("host", "b.example"), ("date", headers["Date"]),
             ("digest", headers["Digest"]), ("x-tag", "a, b")]  # fmt: skip
    headers["Signature"] = _cavage(rsa_key, lines, 'algorithm="rsa-sha256",')
    assert inspect_request("POST", "/inbox", headers, BODY, now=NOW).verify(rsa_key.public_key())


def test_inspect_request__lower_case_digest_accepted(rsa_key):
    """Fedify writes "sha-256=" in lower case; it is the same digest."""
    headers = _post(rsa_key)
    lines = [("(request-target)", "post /inbox"), ("host", "b.example"), ("date", headers["Date"]),
             ("digest", headers["Digest"].replace("SHA-256", "sha-256"))]  # fmt: skip
    headers["Digest"] = lines[-1][1]
    headers["Signature"] = _cavage(rsa_key, lines, "")
    assert inspect_request("POST", "/inbox", headers, BODY, now=NOW).verify(rsa_key.public_key())


def test_inspect_request__signature_input_picks_rfc9421(rsa_key):
    """A request with Signature-Input is handed to the RFC 9421 verifier."""
    from federation.sig.rfc9421 import sign_request_rfc9421

    headers = sign_request_rfc9421("POST", "https://b.example/inbox", body=BODY, key_id=KEY_ID, private_key=rsa_key, now=NOW)
    pending = inspect_request("POST", "/inbox", headers, BODY, now=NOW)
    assert (pending.scheme, pending.key_id) == ("rfc9421", KEY_ID)
    assert pending.verify(rsa_key.public_key())


def test_parse_signature_header__quoted_and_bare_values():
    """Quoted values are unescaped, bare numbers kept, names kept as sent, spaces tolerated."""
    params = parse_signature_header('keyId="k\\"1", algorithm="hs2019",created=1402170695 ,headers="date"')
    assert params == {"keyId": 'k"1', "algorithm": "hs2019", "created": "1402170695", "headers": "date"}


@pytest.mark.parametrize("value", ["", "garbage", 'keyId="a" headers="b"', 'keyId="a",keyId="b"', 'keyId="unterminated'])
def test_parse_signature_header__garbage_refused(value):
    """Anything that is not a comma-separated list of name=value is refused."""
    with pytest.raises(SignatureError, match="unparseable signature header"):
        parse_signature_header(value)


def _recorded(scheme: str):
    for path in sorted(FIXTURES.glob("*.json")):
        data = json.loads(path.read_text())
        if data["scheme"] == scheme:
            yield pytest.param(data, id=path.stem)


def replay(fixture: dict) -> None:
    """Replay a recorded request at its recorded time and compare with the expected verdict."""
    now = datetime.fromisoformat(fixture["now"])
    body = fixture["body"].encode("utf-8")
    if fixture["expected_reason"]:
        with pytest.raises(SignatureError) as exc:
            inspect_request(fixture["method"], fixture["path"], fixture["headers"], body, now=now)
        assert exc.value.reason == fixture["expected_reason"]
        return
    pending = inspect_request(fixture["method"], fixture["path"], fixture["headers"], body, now=now)
    assert pending.scheme == fixture["scheme"]
    if fixture["public_key_pem"] is not None:
        key = load_pem_public_key(fixture["public_key_pem"].encode())
        assert pending.verify(key) is (fixture["expected"] == "valid")


@pytest.mark.parametrize("fixture", list(_recorded("draft-cavage")))
def test_recorded__draft_cavage_requests_replay(fixture):
    """Requests recorded by Mastodon's and Fedify's suites and the draft's appendix get their verdict."""
    replay(fixture)


def test_recorded__each_source_has_a_verified_request():
    """At least one Mastodon, one Fedify and one draft-cavage appendix request verify with their key."""
    valid = {p.stem.split("-")[0] for p in FIXTURES.glob("*.json")
             if (d := json.loads(p.read_text()))["expected"] == "valid" and d["public_key_pem"]}  # fmt: skip
    assert {"mastodon", "fedify", "draft", "rfc9421"} <= valid
