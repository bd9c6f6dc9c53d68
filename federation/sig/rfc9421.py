"""Inbound RFC 9421 HTTP Message Signatures, as Mastodon 4.5+ and Fedify send them.

    Signature-Input: sig1=("@method" "@target-uri" "@authority" "content-digest");
                     created=1709626184;keyid="https://a.example/key";alg="rsa-v1_5-sha256"
    Signature: sig1=:<base64>:

Verification is split in two, like `federation.sig.cavage`: `inspect_rfc9421()` checks
everything that needs no key (structure, covered components, Content-Digest against the
body, `created`/`expires` against our clock) and names the key; `.verify(public_key)`
then does the cryptography.

Division of labour with `http-message-signatures` 3.0.0: the library builds the
signature base (component resolution, `@signature-params` serialisation, `sf`/`key`/`bs`
parameters) and checks the signature; that is the subtle part and it is well tested
against the RFC's Appendix B. It needs only a tiny message object (method, url,
headers), so it fits a pure API. Two things do not fit, so we do them here:
- the library can only verify once it has the key, but the inbox must know the keyid
  (and refuse malformed or stale requests) *before* fetching a key, so we parse
  Signature-Input ourselves with a small RFC 8941 parser (the library's parser is
  private; its `http_sf` dependency is not ours to import);
- its time checks read the wall clock, so we disable them and check `created`
  against the `now` the caller passes (frozen in tests).
The library re-parses everything at verify time and stays the judge of validity.
"""

from __future__ import annotations

import base64
import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from http_message_signatures import (
    ContentDigest,
    HTTPMessageSignaturesException,
    HTTPMessageSigner,
    HTTPMessageVerifier,
    MappingKeyResolver,
    algorithms,
)

from federation.errors import SignatureError
from federation.sig.common import host_header, http_date

__all__ = ["RFC9421Signature", "inspect_rfc9421", "sign_request_rfc9421"]

# Asymmetric algorithms from RFC 9421 section 6.2.2; HMAC makes no sense between servers.
_ALGORITHMS = {
    cls.algorithm_id: cls
    for cls in (algorithms.RSA_V1_5_SHA256, algorithms.RSA_PSS_SHA512, algorithms.ED25519,
                algorithms.ECDSA_P256_SHA256, algorithms.ECDSA_P384_SHA384)  # fmt: skip
}


@dataclass
class _Message:
    """The request view the library's component resolver reads."""

    method: str
    url: str
    headers: dict[str, str]


class _Verifier(HTTPMessageVerifier):
    """The library's verifier without its wall-clock checks (we check `created` ourselves)."""

    def validate_created_and_expires(self, sig_input, max_age=None):  # noqa: D102
        return None


@dataclass(frozen=True)
class RFC9421Signature:
    """A structurally valid RFC 9421 signature whose key still has to be checked."""

    key_id: str
    label: str
    algorithm: str | None
    covered: tuple[str, ...]
    created: datetime
    _method: str = field(repr=False)
    _urls: tuple[str, ...] = field(repr=False)
    _headers: tuple[tuple[str, str], ...] = field(repr=False)
    _body: bytes = field(repr=False)

    def verify(self, public_key) -> bool:
        """True iff the signature verifies with `public_key` for one accepted target URI."""
        if self.algorithm is not None:
            candidates = [_ALGORITHMS[self.algorithm]]
        else:  # no `alg`: RFC 9421 section 3.2 lets the key material decide
            candidates = _algorithms_for_key(public_key)
        for url in self._urls:
            for algorithm in candidates:
                verifier = _Verifier(
                    signature_algorithm=algorithm,
                    key_resolver=MappingKeyResolver(public_keys={self.key_id: public_key}, private_keys={}),
                )
                # Body checks again (defence in depth) unless there is nothing to bind.
                body = self._body if self._body or "content-digest" in self.covered else None
                try:
                    verifier.verify(_Message(self._method, url, dict(self._headers)), max_age=None, body=body)
                    return True
                except HTTPMessageSignaturesException:
                    continue
        return False


def inspect_rfc9421(
    method: str,
    raw_path: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: datetime,
    max_age: timedelta,
    authority: str | None = None,
    scheme: str | None = None,
) -> RFC9421Signature:
    """Check an RFC 9421 signed request without its key; raise SignatureError if unacceptable.

    `headers` must have lower-case names (multiple values already joined with ", ").
    `authority` defaults to the Host header. `scheme` None means "https", plus "http"
    when the authority is a loopback host (our multi-node tests run on
    http://127.0.0.1:PORT); pass a scheme to accept exactly that one.
    With several signatures, the first one that passes these checks is chosen.
    """
    for name in ("signature-input", "signature"):
        if name not in headers:
            raise SignatureError(f"missing header: {name}")
    try:
        inputs = _parse_sf_dictionary(headers["signature-input"])
        values = {label: value for label, value, _, _ in _parse_sf_dictionary(headers["signature"])}
    except ValueError:
        raise SignatureError("unparseable signature header") from None
    authority = authority or headers.get("host")
    if not authority:
        raise SignatureError("missing header: host")
    if scheme is None:
        schemes = ("https", "http") if _is_loopback(authority) else ("https",)
    else:
        schemes = (scheme,)
    first_error: SignatureError | None = None
    for label, components, params, raw in inputs:
        try:
            key_id, names, created = _check_member(components, params, values.get(label), headers, body, now, max_age)
        except SignatureError as error:
            first_error = first_error or error
            continue
        # Only the chosen member goes to the library, so it never has to pick a label.
        own = {k: v for k, v in headers.items() if k not in ("signature-input", "signature")}
        own["signature-input"] = raw
        own["signature"] = f"{label}=:{base64.b64encode(values[label]).decode('ascii')}:"
        return RFC9421Signature(
            key_id=key_id,
            label=label,
            algorithm=params.get("alg"),
            covered=names,
            created=created,
            _method=method.upper(),
            _urls=tuple(f"{s}://{authority}{raw_path}" for s in schemes),
            _headers=tuple(own.items()),
            _body=body,
        )
    raise first_error or SignatureError("no signature")


def _check_member(components, params, signature, headers, body, now, max_age) -> tuple[str, tuple, datetime]:
    """Policy for one Signature-Input member; returns (keyid, covered names, created)."""
    if not isinstance(components, list) or not isinstance(signature, bytes):
        raise SignatureError("unparseable signature header")
    key_id, alg = params.get("keyid"), params.get("alg")
    if not isinstance(key_id, str) or not key_id:
        raise SignatureError("missing keyid")
    if alg is not None and alg not in _ALGORITHMS:
        raise SignatureError("unsupported algorithm")
    names = tuple(name for name, _ in components if isinstance(name, str))
    if len(names) != len(components):
        raise SignatureError("unparseable signature header")
    # Mastodon requires the same: method and full target covered, else a signature
    # could be replayed against another endpoint; and the body bound by its digest.
    if "@method" not in names:
        raise SignatureError("missing component: @method")
    if "@target-uri" not in names and not {"@authority", "@path"} <= set(names):
        raise SignatureError("missing component: @target-uri")
    if body and "content-digest" not in names:
        raise SignatureError("content-digest not covered")
    for name in names:
        if not name.startswith("@") and name not in headers:
            raise SignatureError(f"missing header: {name}")
    if "content-digest" in headers:
        try:  # RFC 9530: sha-256 and sha-512 members, every one must match
            ContentDigest.verify(headers["content-digest"], body)
        except HTTPMessageSignaturesException:
            raise SignatureError("digest mismatch") from None
    created = _timestamp(params.get("created"))
    if created is None:
        raise SignatureError("missing created")
    if abs(now - created) > max_age:
        raise SignatureError("date outside window")
    if "expires" in params and ((expires := _timestamp(params["expires"])) is None or expires < now):
        raise SignatureError("signature expired")
    return key_id, names, created


def sign_request_rfc9421(
    method: str,
    url: str,
    *,
    body: bytes | None,
    key_id: str,
    private_key,
    now: datetime | None = None,
    label: str = "sig1",
    components: Sequence[str] = ("@method", "@target-uri", "@authority", "host", "date"),
    headers: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Sign a request the way Fedify does and return all headers to send.

    Adds Host and Date (unless given in `headers`), Content-Digest when `body` is not None
    (and covers it), Signature-Input and Signature. RSA keys sign with rsa-v1_5-sha256,
    Ed25519 keys with ed25519; `alg` is always included.
    """

    now = now or datetime.now(timezone.utc)
    out = {"Host": host_header(url), "Date": http_date(now)}
    out.update(headers or {})
    algorithm = _algorithms_for_key(private_key.public_key())[0]
    signer = HTTPMessageSigner(
        signature_algorithm=algorithm,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={key_id: private_key}),
    )
    message = _Message(method.upper(), url, out)
    signer.sign(message, key_id=key_id, created=now, label=label, covered_component_ids=tuple(components), body=body)
    return out


def _algorithms_for_key(key) -> list[type]:
    if isinstance(key, (rsa.RSAPublicKey, rsa.RSAPrivateKey)):
        # v1.5 first: it is what Mastodon and Fedify use with RSA keys.
        return [algorithms.RSA_V1_5_SHA256, algorithms.RSA_PSS_SHA512]
    if isinstance(key, (ed25519.Ed25519PublicKey, ed25519.Ed25519PrivateKey)):
        return [algorithms.ED25519]
    if isinstance(key, (ec.EllipticCurvePublicKey, ec.EllipticCurvePrivateKey)):
        return [algorithms.ECDSA_P384_SHA384 if key.curve.name == "secp384r1" else algorithms.ECDSA_P256_SHA256]
    return []


def _is_loopback(authority: str) -> bool:
    host = authority.rsplit(":", 1)[0] if not authority.endswith("]") else authority
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _timestamp(value) -> datetime | None:
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    try:
        return datetime.fromtimestamp(value, timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


# Just enough of RFC 8941 (Structured Fields) for Signature-Input and Signature.
_SF_KEY = re.compile(r"[a-z*][a-z0-9_\-.*]*")
_SF_ITEM = re.compile(
    r'"(?P<string>(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"|:(?P<bytes>[A-Za-z0-9+/=]*):'
    r"|(?P<integer>-?[0-9]{1,15})(?![0-9.])|\?(?P<boolean>[01])"
    r"|(?P<token>[A-Za-z*][A-Za-z0-9!#$%&'*+\-.^_`|~:/]*)"
)
_SF_PARAM = re.compile(r";[ ]*([a-z*][a-z0-9_\-.*]*)(=?)")
_SF_SEPARATOR = re.compile(r"[ \t]*(,[ \t]*|$)")


def _parse_sf_dictionary(text: str) -> list[tuple[str, object, dict, str]]:
    """Members as (key, value, params, raw member text); an inner list is [(item, params)]."""
    s, pos, members = text.strip(" \t"), 0, []

    def match(pattern: re.Pattern) -> re.Match:
        nonlocal pos
        if not (found := pattern.match(s, pos)):
            raise ValueError(f"unexpected input at {pos}")
        pos = found.end()
        return found

    def item():
        m = match(_SF_ITEM)
        if m["string"] is not None:
            return re.sub(r"\\(.)", r"\1", m["string"])
        if m["bytes"] is not None:
            return base64.b64decode(m["bytes"], validate=True)
        if m["integer"] is not None:
            return int(m["integer"])
        return m["boolean"] == "1" if m["boolean"] is not None else m["token"]

    def params() -> dict:
        found = {}
        while s.startswith(";", pos):
            name, has_value = match(_SF_PARAM).groups()
            found[name] = item() if has_value else True
        return found

    while pos < len(s):
        start, key = pos, match(_SF_KEY)[0]
        if any(key == member[0] for member in members):
            raise ValueError("duplicate key")
        value: object = True
        if s.startswith("=(", pos):
            pos, value = pos + 2, []
            while not s.startswith(")", pos := len(s) - len(s[pos:].lstrip(" "))):
                value.append((item(), params()))
                if not s.startswith((" ", ")"), pos):
                    raise ValueError("bad inner list")
            pos += 1
        elif s.startswith("=", pos):
            pos += 1
            value = item()
        member_params = params()
        members.append((key, value, member_params, s[start:pos]))
        if match(_SF_SEPARATOR)[1] and pos == len(s):
            raise ValueError("trailing comma")
    return members
