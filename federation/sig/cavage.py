"""HTTP signatures: draft-cavage-http-signatures-12 the way Mastodon, GoToSocial and Fedify
use it, and the entry point for verifying inbound requests (RFC 9421 is delegated to
`federation.sig.rfc9421`).

Inbound verification is two steps so that a route can refuse bad requests before it
fetches any key:

    pending = inspect_request(method, raw_path, headers, body)   # raises SignatureError
    key = await keys.get(pending.key_id)                          # the caller's business
    if not pending.verify(key): ...                               # refetch once, then 401

Pure code: no network, no framework objects, no configuration; callers pass loaded key
objects (loading a PEM costs ~50 ms, signing ~1 ms) and, in tests, a frozen `now`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from federation.sig import rfc9421
from federation.sig.common import aware as _aware, host_header as _host_header, http_date as _http_date
from federation.errors import SignatureError

__all__ = ["PendingSignature", "body_digest", "inspect_request", "parse_signature_header", "sign_request"]

_ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
# rsa-sha256 is what everyone sends; hs2019 is what GoToSocial sends (RSA-SHA256 inside);
# "ed25519" is not in draft-12's registry but is how a few servers label Ed25519 keys.
_ALGORITHMS = {"rsa-sha256", "hs2019", "ed25519"}
_DIGESTS = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}
# A quoted value is matched as runs of plain characters between escapes ("unrolled"): the same language as
# ("(?:[^"\\]|\\.)*"), but without one alternation per character of a 344-character base64 signature.
_PARAM = re.compile(r'\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"([^"\\]*(?:\\.[^"\\]*)*)"|([^,"\s]*))\s*(,|$)')


def body_digest(body: bytes) -> str:
    """The Digest header value for `body`: "SHA-256=<base64>" (RFC 3230, as Mastodon sends it)."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def sign_request(
    method: str,
    url: str,
    *,
    body: bytes | None,
    key_id: str,
    private_key: rsa.RSAPrivateKey,
    now: datetime | None = None,
    content_type: str = "application/activity+json",
    accept: str = _ACCEPT,
    digest: str | None = None,
) -> dict[str, str]:
    """Sign a request the Mastodon way and return the headers to send with it.

    Host, Date and Signature always; for GET/HEAD also Accept (signed
    "(request-target) host date accept"); for any other method Digest and Content-Type
    (signed "(request-target) host date digest content-type", `body` None meaning empty).
    `(request-target)` uses the path and query exactly as they appear in `url`. `digest`, when given, is
    `body_digest(body)` computed once by a caller that sends the same body to many inboxes.
    """
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {"Host": _host_header(url), "Date": _http_date(now or datetime.now(timezone.utc))}
    if method.upper() in ("GET", "HEAD"):
        headers["Accept"] = accept
    else:
        headers["Digest"] = digest or body_digest(body or b"")
        headers["Content-Type"] = content_type
    names = ["(request-target)", *(name.lower() for name in headers)]
    lines = [f"(request-target): {method.lower()} {target}", *(f"{k.lower()}: {v}" for k, v in headers.items())]
    signature = private_key.sign("\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256())
    headers["Signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(names)}",'
        f'signature="{base64.b64encode(signature).decode("ascii")}"'
    )
    return headers


@dataclass(frozen=True)
class PendingSignature:
    """A request whose signature passed every check that needs no key.

    `scheme` is "draft-cavage" or "rfc9421"; `key_id` names the key to fetch.
    """

    scheme: str
    key_id: str
    _check: Callable[[object], bool] = field(repr=False, compare=False)

    def verify(self, public_key) -> bool:
        """True iff the signature is valid for `public_key` (RSA, or Ed25519 where allowed)."""
        try:
            return bool(self._check(public_key))
        except (TypeError, ValueError):  # a key object of a type we cannot use
            return False


def inspect_request(
    method: str,
    raw_path: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: datetime | None = None,
    max_age: timedelta = timedelta(hours=1),
    authority: str | None = None,
    scheme: str | None = None,
) -> PendingSignature:
    """Check an inbound signed request up to the key; raise SignatureError(reason) if unacceptable.

    `raw_path` is the path and query as received (never decoded). Header names are
    matched case-insensitively; repeated headers (a multidict) are joined with ", ".
    A request with Signature-Input is verified as RFC 9421, where `authority` (default:
    the Host header) and `scheme` (default: https, plus http for loopback hosts) build
    `@target-uri`; otherwise as draft-cavage, which signs the Host header itself.
    The Date (or `(created)`/`created`) must lie within `max_age` of `now` either way.
    """
    now = _aware(now or datetime.now(timezone.utc))
    lowered = _lower_headers(headers)
    if "signature-input" in lowered:
        found = rfc9421.inspect_rfc9421(
            method, raw_path, lowered, body, now=now, max_age=max_age, authority=authority, scheme=scheme
        )
        return PendingSignature(scheme="rfc9421", key_id=found.key_id, _check=found.verify)
    return _inspect_cavage(method, raw_path, lowered, body, now=now, max_age=max_age, authority=authority)


_ESCAPED = re.compile(r"\\(.)")


def parse_signature_header(value: str) -> dict[str, str]:
    """Parse a draft-cavage Signature header into its parameters (names as sent).

    Accepts quoted and bare values (draft-12 sends `created=1402170695` bare) and an
    "Authorization: Signature ..." style prefix. Raises SignatureError on anything else.
    """
    value = value.strip()
    if value[:10].lower() == "signature ":
        value = value[10:]
    params: dict[str, str] = {}
    pos = 0
    while pos < len(value):
        match = _PARAM.match(value, pos)
        if not match or match.end() == pos:
            raise SignatureError("unparseable signature header")
        name, quoted, bare, comma = match.groups()
        if name in params:
            raise SignatureError("unparseable signature header")
        if quoted is None:
            params[name] = bare
        else:  # unescaped only when there is something to unescape (every inbox request parses this header)
            params[name] = _ESCAPED.sub(r"\1", quoted) if "\\" in quoted else quoted
        pos = match.end()
        if not comma and pos < len(value):
            raise SignatureError("unparseable signature header")
    if not params:
        raise SignatureError("unparseable signature header")
    return params


def _inspect_cavage(method, raw_path, headers, body, *, now, max_age, authority) -> PendingSignature:
    if "signature" not in headers:
        if not headers.get("authorization", "").lower().startswith("signature "):
            raise SignatureError("missing header: signature")
        headers = {**headers, "signature": headers["authorization"]}
    params = {k.lower(): v for k, v in parse_signature_header(headers["signature"]).items()}
    key_id, signature = params.get("keyid"), params.get("signature")
    if not key_id:
        raise SignatureError("missing keyId")
    if not signature:
        raise SignatureError("missing signature")
    algorithm = params.get("algorithm", "").lower() or None
    if algorithm is not None and algorithm not in _ALGORITHMS:
        raise SignatureError("unsupported algorithm")
    # Draft-12 section 2.1.6: without `headers`, only Date is signed (and we refuse that below).
    names = params.get("headers", "date").lower().split()
    if authority and "host" not in headers:  # HTTP/2 has :authority instead of Host
        headers = {**headers, "host": authority}

    uses_created = "(created)" in names or "(expires)" in names
    if uses_created and algorithm not in (None, "hs2019", "ed25519"):
        # Draft-12 section 2.3: (created)/(expires) with rsa-*/hmac-*/ecdsa-* MUST fail.
        raise SignatureError("unsupported algorithm")
    required = ["(request-target)", "host", "date" if "(created)" not in names else "(created)"]
    if body:
        required.append("digest")
    for name in required:
        if name not in names:
            raise SignatureError(f"header not signed: {name}")
    for name in names:
        if name in ("(created)", "(expires)"):
            if not params.get(name[1:-1], "").isdigit():
                raise SignatureError(f"missing parameter: {name[1:-1]}")
        elif name != "(request-target)" and name not in headers:
            raise SignatureError(f"missing header: {name}")

    if "digest" in headers:
        _check_digest(headers["digest"], body)
    if "date" in names:
        try:
            date = _http_date_of(headers["date"])
        except (TypeError, ValueError):
            raise SignatureError("unparseable date") from None
        if abs(now - date) > max_age:
            raise SignatureError("date outside window")
    if "(created)" in names and abs(now - _epoch(params["created"])) > max_age:
        raise SignatureError("date outside window")
    if "(expires)" in names and _epoch(params["expires"]) < now:
        raise SignatureError("signature expired")

    lines = []
    for name in names:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {raw_path}")
        elif name in ("(created)", "(expires)"):
            lines.append(f"{name}: {params[name[1:-1]]}")
        else:
            lines.append(f"{name}: {headers[name]}")
    try:
        raw_signature = base64.b64decode(signature, validate=True)
    except ValueError:
        raise SignatureError("unparseable signature") from None
    message = "\n".join(lines).encode("utf-8")
    return PendingSignature(
        scheme="draft-cavage",
        key_id=key_id,
        _check=lambda key: _verify_cavage(key, algorithm, message, raw_signature),
    )


def _verify_cavage(public_key, algorithm: str | None, message: bytes, signature: bytes) -> bool:
    if isinstance(public_key, rsa.RSAPublicKey) and algorithm != "ed25519":
        attempts = [padding.PKCS1v15()]
        if algorithm != "rsa-sha256":
            # hs2019 means "ask the key"; GoToSocial and Mastodon use PKCS#1 v1.5 + SHA-256,
            # draft-12's own hs2019 examples use RSASSA-PSS + SHA-512.
            attempts.append(padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=padding.PSS.AUTO))
        for pad in attempts:
            digest = hashes.SHA256() if isinstance(pad, padding.PKCS1v15) else hashes.SHA512()
            try:
                public_key.verify(signature, message, pad, digest)
                return True
            except InvalidSignature:
                continue
        return False
    if isinstance(public_key, ed25519.Ed25519PublicKey) and algorithm != "rsa-sha256":
        try:
            public_key.verify(signature, message)
            return True
        except InvalidSignature:
            return False
    return False


def _check_digest(value: str, body: bytes) -> None:
    """Every SHA-256/SHA-512 entry of a Digest header must match; at least one must be there."""
    checked = False
    for entry in value.split(","):
        algorithm, _, encoded = entry.strip().partition("=")
        hasher = _DIGESTS.get(algorithm.lower())  # "SHA-256=" (Mastodon) and "sha-256=" (Fedify)
        if hasher is None:
            continue
        expected = base64.b64encode(hasher(body).digest()).decode("ascii")
        if not hmac.compare_digest(encoded.strip(), expected):
            raise SignatureError("digest mismatch")
        checked = True
    if not checked:
        raise SignatureError("unsupported digest")


def _lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    lowered: dict[str, str] = {}
    for name, value in headers.items():  # a multidict yields each repeated header
        name, value = name.lower(), value.strip()
        lowered[name] = f"{lowered[name]}, {value}" if name in lowered else value
    return lowered


@lru_cache(maxsize=256)
def _http_date_of(value: str) -> datetime:
    """A Date header's time (aware); a busy inbox gets the same second's value from many requests."""
    return _aware(parsedate_to_datetime(value))


def _epoch(value: str) -> datetime:
    return datetime.fromtimestamp(int(value), timezone.utc)
