"""Property-based fuzzing of what peers and operators hand the node besides inbox activities: the HTTP signature
parsers (draft-cavage and RFC 9421), ninjs imports, config documents and media uploads.

Whatever arrives, the answer is a clear refusal (SignatureError, ConfigError, a 4xx problem) or a success; never
another exception, never a 5xx, and a refused input leaves nothing stored. CI runs a short form;
`AGENCY_NODE_FUZZ_EXAMPLES=20000` runs the long one (the node cases run a tenth of that)."""

from __future__ import annotations

import copy
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from federation.errors import SignatureError
from federation.sig.cavage import inspect_request, parse_signature_header
from node.config import ConfigError, config_from_dict
from node.media.models import MediaItem
from node.stories.models import Story
from tests.faults.threaded import ThreadedNode
from tests.node.media import photos
from tests.nodes import TOKEN, node_config_data

EXAMPLES = int(os.environ.get("AGENCY_NODE_FUZZ_EXAMPLES", "200"))
NODE_EXAMPLES = max(30, EXAMPLES // 10)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)
_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
_ED = ed25519.Ed25519PrivateKey.generate().public_key()
_SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                                         HealthCheck.data_too_large])

# --- signature headers -------------------------------------------------------------------------------------------

_TOKENS = st.sampled_from([
    'keyId="https://a.example/actor#main-key"', 'algorithm="rsa-sha256"', 'algorithm="hs2019"',
    'algorithm="ed25519"', 'headers="(request-target) host date digest"', 'headers=""', 'signature="AAAA"',
    'signature="%%%"', 'created=1402170695', 'expires=x', '"', ",", "=", '\\"', "sig1", ";", ":", "()",
    'sig1=("@method" "@target-uri" "content-digest");created=1765100000;keyid="k";alg="rsa-v1_5-sha256"',
    'sig1=:AAAA:', 'sig1=:%%:', 'sig1=("@query-param";name="x")', "sig1=(", 'sig1=("a" "a")', "sig1=?1",
    'sig1=();created=-1', 'sig1=("@authority");created=99999999999999999999'])
_HEADER = st.one_of(st.text(max_size=200), st.lists(_TOKENS, max_size=8).map(" ".join),
                    st.lists(_TOKENS, max_size=8).map(",".join))


@settings(max_examples=EXAMPLES * 5, **_SETTINGS)
@given(signature=_HEADER, signature_input=st.none() | _HEADER, date=st.none() | st.text(max_size=40),
       digest=st.none() | st.text(max_size=80), host=st.none() | st.text(max_size=40),
       body=st.binary(max_size=64), path=st.text(max_size=40))
def test_signature_parsers__refuse_with_a_reason_or_yield_a_checkable_signature(signature, signature_input, date,
                                                                                 digest, host, body, path):
    """Any Signature / Signature-Input / Date / Digest / Host combination: SignatureError with a short reason, or
    a pending signature whose check against an RSA or Ed25519 key answers True or False, never raises."""
    headers = {"Signature": signature}
    for name, value in (("Signature-Input", signature_input), ("Date", date), ("Digest", digest), ("Host", host)):
        if value is not None:
            headers[name] = value
    try:
        pending = inspect_request("POST", "/inbox" + path, headers, body, now=NOW)
    except SignatureError as exc:
        assert exc.reason and len(exc.reason) < 300
    else:
        assert pending.verify(_RSA) in (True, False)
        assert pending.verify(_ED) in (True, False)
    try:
        assert isinstance(parse_signature_header(signature), dict)
    except SignatureError:
        pass


# --- config documents --------------------------------------------------------------------------------------------

_ODD = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=30),
                 st.lists(st.text(max_size=5), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(),
                                                                            max_size=2),
                 st.just("sqlite:///nonexistent/dir/x.sqlite3"), st.just("http://[::1"), st.just("-1"))


@st.composite
def _config_docs(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        section = draw(st.sampled_from(sorted(doc) + ["extra"]))
        if section not in doc or not isinstance(doc[section], dict) or draw(st.integers(0, 9)) == 0:
            doc[section] = draw(_ODD)
            continue
        keys = sorted(doc[section]) + ["unknown_key"]
        key = draw(st.sampled_from(keys))
        if draw(st.integers(0, 4)) == 0:
            doc[section].pop(key, None)
        else:
            doc[section][key] = draw(_ODD)
    return doc


@pytest.fixture(scope="module")
def config_base(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return node_config_data(tmp_path_factory.mktemp("config"), "baku")


@settings(max_examples=EXAMPLES * 2, **_SETTINGS)
@given(data=st.data())
def test_config_loading__a_wrong_document_is_a_config_error_naming_the_key(config_base, data):
    """A config document with members of the wrong type, missing, unknown or out of range: a Config, or a
    ConfigError whose message names where the problem is; never another exception."""
    doc = data.draw(_config_docs(config_base))
    try:
        config_from_dict(doc, source="node.toml", environ={})
    except ConfigError as exc:
        assert str(exc).startswith("node.toml") and len(str(exc)) < 4000


# --- ninjs imports and media uploads on a running node -----------------------------------------------------------

@pytest.fixture(scope="module")
def fuzz_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadedNode]:
    node = ThreadedNode(tmp_path_factory.mktemp("inputfuzz")).start()
    try:
        yield node
    finally:
        node.close()


def _ninjs_fixtures() -> list[dict[str, Any]]:
    return [json.loads((FIXTURES / "ninjs" / name).read_text()) for name in ("dpa_text-2.0.json",
                                                                             "dpa_text-3.0.json")]


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=30)


@st.composite
def _ninjs_docs(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 5)) == 0:
        return draw(_JSON)
    doc = copy.deepcopy(draw(st.sampled_from(_ninjs_fixtures())))
    doc["uri"] = f"urn:fuzz:{draw(st.uuids())}"
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        key = draw(st.sampled_from(sorted(doc)))
        if draw(st.booleans()) and key != "uri":
            del doc[key]
        else:
            doc[key] = draw(_ODD | _JSON)
    return doc


async def _post(rn: Any, path: str, body: bytes, content_type: str, **params: str) -> int:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": content_type}
    async with rn.session.post(rn.base_url + path, data=body, headers=headers, params=params) as resp:
        await resp.read()
        return resp.status


async def _count(rn: Any, model: Any) -> int:
    return await rn.db(lambda: model.all().count())


@settings(max_examples=NODE_EXAMPLES, **_SETTINGS)
@given(doc=_ninjs_docs())
def test_ninjs_import__never_5xx_and_a_refusal_stores_nothing(fuzz_node, doc):
    """A mutated real ninjs document (or random JSON) posted to /api/import: 200/201, or a 4xx problem with
    no story stored."""
    rn = fuzz_node.rn
    before = fuzz_node.call(_count(rn, Story))
    status = fuzz_node.call(_post(rn, "/api/import", json.dumps(doc).encode(), "application/json"))
    assert status < 500, doc
    after = fuzz_node.call(_count(rn, Story))
    if status >= 400:
        assert after == before, (status, doc)


_PHOTO = photos.jpeg(image=photos.picture(64, 48))
_PNG = photos.png() if hasattr(photos, "png") else _PHOTO


@st.composite
def _uploads(draw: st.DrawFn) -> tuple[bytes, str, dict[str, str]]:
    kind = draw(st.integers(0, 3))
    if kind == 0:
        body = draw(st.binary(max_size=2048))
    elif kind == 1:  # a real photo cut short or with bytes flipped
        base = draw(st.sampled_from([_PHOTO, _PNG]))
        cut = draw(st.integers(0, len(base)))
        body = bytearray(base[:cut])
        for _ in range(draw(st.integers(0, 5))):
            if body:
                body[draw(st.integers(0, len(body) - 1))] = draw(st.integers(0, 255))
        body = bytes(body)
    elif kind == 2:  # text that claims to be something else
        body = draw(st.sampled_from([b"<svg onload=alert(1)>", b"<!doctype html><script>x</script>",
                                     b"%PDF-1.7\n", b"GIF89a", b"\x00" * 100, b"RIFF\x00\x00\x00\x00WEBP"]))
    else:
        body = _PHOTO
    content_type = draw(st.sampled_from(["application/octet-stream", "image/jpeg", "image/png", "text/html",
                                         "image/svg+xml", "video/mp4", ""]))
    params = draw(st.dictionaries(st.sampled_from(["alt", "caption", "credit", "digital_source_type",
                                                   "alt.az", "focal_point", "copyright"]),
                                  st.text(max_size=50), max_size=3))
    return body, content_type or "application/octet-stream", params


@settings(max_examples=NODE_EXAMPLES, **_SETTINGS)
@given(upload=_uploads())
def test_media_upload__never_5xx_and_a_refusal_keeps_nothing(fuzz_node, upload):
    """Random bytes, damaged photos and disguised HTML/SVG posted to /api/media: 200/201, or a 4xx with no
    stock item and no file left in the media folder."""
    body, content_type, params = upload
    rn = fuzz_node.rn
    media_dir = Path(rn.config.media["dir"])
    before = fuzz_node.call(_count(rn, MediaItem))
    files_before = {p for p in media_dir.rglob("*") if p.is_file()} if media_dir.exists() else set()
    status = fuzz_node.call(_post(rn, "/api/media", body, content_type, **params))
    assert status < 500, (status, body[:40], content_type, params)
    if status >= 400:
        assert fuzz_node.call(_count(rn, MediaItem)) == before
        files_after = {p for p in media_dir.rglob("*") if p.is_file()} if media_dir.exists() else set()
        assert files_after <= files_before, files_after - files_before
