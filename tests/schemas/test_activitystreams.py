"""Tests for schemas.activitystreams (inbound activities) and schemas.actors (actors and key documents)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from marshmallow import ValidationError

from schemas.activitystreams import object_id, parse_activity, same_origin
from schemas.actors import RemoteActorDoc, parse_actor, parse_public_key_doc

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PEM = "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n"

# Recorded payloads our parser is expected to refuse, with the field it must name.
# GoToSocial serialises a status Delete without an `id` (internaltoas_test.go).
KNOWN_REJECTED = {"gotosocial/delete-note-without-id.json": "id"}


def _is_activitystreams(path: Path) -> bool:
    # tests/fixtures also holds other recordings (signatures/, nodeinfo/ schemas): only
    # ActivityStreams documents (a `type` plus an `actor` or an `inbox`) are ours here.
    doc = json.loads(path.read_text(encoding="utf-8"))
    return isinstance(doc, dict) and "type" in doc and ("actor" in doc or "inbox" in doc)


def _fixture_paths(actors: bool) -> list[str]:
    out = []
    for p in sorted(FIXTURES.glob("**/*.json")):
        if _is_activitystreams(p) and p.name.startswith("actor") == actors:
            out.append(p.relative_to(FIXTURES).as_posix())
    return out


def test_fixtures__every_server_recorded():
    """Mastodon, GoToSocial and Misskey each contribute recorded activities and an actor."""
    for actors in (False, True):
        dirs = {rel.split("/")[0] for rel in _fixture_paths(actors)}
        assert {"mastodon", "gotosocial", "misskey"} <= dirs


def _load(rel: str) -> dict:
    return json.loads((FIXTURES / rel).read_text(encoding="utf-8"))


def _activity(**over) -> dict:
    base = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://remote.test/activities/1",
        "type": "Follow",
        "actor": "https://remote.test/users/alice",
        "object": "https://agency.test/actors/wire",
    }
    base.update(over)
    return base


def _actor(**over) -> dict:
    base = {
        "id": "https://remote.test/users/alice",
        "type": "Person",
        "inbox": "https://remote.test/users/alice/inbox",
        "preferredUsername": "alice",
        "publicKey": {
            "id": "https://remote.test/users/alice#main-key",
            "owner": "https://remote.test/users/alice",
            "publicKeyPem": PEM,
        },
    }
    base.update(over)
    return base


# --- recorded fixtures -----------------------------------------------------------------------


@pytest.mark.parametrize("rel", [r for r in _fixture_paths(actors=False) if r not in KNOWN_REJECTED])
def test_parse_activity__recorded_fixture_parses(rel):
    """Every recorded activity from Mastodon, GoToSocial, Misskey and Sharkey parses and keeps its extras."""
    raw = _load(rel)
    out = parse_activity(raw)
    assert out["id"] == raw["id"]
    assert isinstance(out["type"], str)
    assert isinstance(out["actor"], str) and out["actor"].startswith("http")
    assert isinstance(out["to"], list) and isinstance(out["cc"], list)
    for key in raw:
        if key not in ("to", "cc", "actor", "type"):
            assert out[key] == raw[key], key


@pytest.mark.parametrize("rel,field", sorted(KNOWN_REJECTED.items()))
def test_parse_activity__known_rejected_fixture_names_field(rel, field):
    """Recorded payloads we knowingly refuse (GoToSocial's id-less Delete) fail on the named field."""
    with pytest.raises(ValidationError) as exc:
        parse_activity(_load(rel))
    assert field in exc.value.messages


@pytest.mark.parametrize("rel", _fixture_paths(actors=True))
def test_parse_actor__recorded_fixture_parses(rel):
    """Every recorded actor document parses, with its key owned by the actor."""
    raw = _load(rel)
    doc = parse_actor(raw)
    assert doc.id == raw["id"] and doc.inbox == raw["inbox"]
    assert doc.public_key_pem and "PUBLIC KEY" in doc.public_key_pem
    assert doc.public_key_id.startswith(doc.id)
    assert doc.raw is raw


def test_parse_activity__gotosocial_string_audience_becomes_list():
    """GoToSocial sends a single `to`/`cc` as a bare string; we hand back lists."""
    out = parse_activity(_load("gotosocial/create-note.json"))
    assert out["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
    assert out["cc"] == ["http://localhost:8080/users/the_mighty_zork/followers"]
    assert isinstance(out["object"], dict) and out["object"]["to"] == "https://www.w3.org/ns/activitystreams#Public"


def test_parse_activity__signature_and_context_survive():
    """Mastodon's LD `signature` and the `@context` array come back untouched."""
    raw = _load("mastodon/create-note.json")
    out = parse_activity(raw)
    assert out["signature"]["type"] == "RsaSignature2017"
    assert out["@context"] == raw["@context"]


def test_parse_actor__gargron_fields():
    """Mastodon's actor: shared inbox from endpoints, icon URL, key id with #main-key."""
    doc = parse_actor(_load("mastodon/actor-gargron.json"))
    assert doc.shared_inbox == "https://mastodon.social/inbox"
    assert doc.preferred_username == "Gargron"
    assert doc.icon_url.endswith("dc4286ceb8fab734.jpg")
    assert doc.public_key_id == "https://mastodon.social/users/Gargron#main-key"
    assert doc.url == "https://mastodon.social/@Gargron"
    assert doc.followers == "https://mastodon.social/users/Gargron/followers"


def test_parse_actor__misskey_nulls():
    """Misskey's null name, summary and icon become None."""
    doc = parse_actor(_load("misskey/actor-relay_test.json"))
    assert doc.name is None and doc.summary is None and doc.icon_url is None
    assert doc.shared_inbox == "https://misskey.usbharu.dev/inbox"


def test_parse_actor__gotosocial_has_no_shared_inbox():
    """GoToSocial actors have no endpoints; the key id is a path (/main-key), not a fragment."""
    doc = parse_actor(_load("gotosocial/actor-the_mighty_zork.json"))
    assert doc.shared_inbox is None
    assert doc.public_key_id == "http://localhost:8080/users/the_mighty_zork/main-key"


# --- parse_activity: shapes ----------------------------------------------------------------


def test_parse_activity__embedded_actor_normalised_to_id():
    """An embedded actor object is reduced to its id."""
    out = parse_activity(_activity(actor={"id": "https://remote.test/users/alice", "type": "Person"}))
    assert out["actor"] == "https://remote.test/users/alice"


def test_parse_activity__type_list_takes_first_string():
    """A list of types gives its first string."""
    assert parse_activity(_activity(type=["Create", "as:Create"]))["type"] == "Create"


def test_parse_activity__missing_audience_is_empty_list():
    """Missing `to` and `cc` come back as empty lists."""
    out = parse_activity(_activity())
    assert out["to"] == [] and out["cc"] == []


def test_parse_activity__loopback_with_port_accepted():
    """Single-label hosts and ports (test servers on loopback) are valid ids."""
    out = parse_activity(_activity(id="http://127.0.0.1:8123/x", actor="http://localhost:8123/users/a"))
    assert out["id"] == "http://127.0.0.1:8123/x"


def test_parse_activity__unknown_keys_kept_and_input_not_mutated():
    """Unknown members survive and the caller's dict is left as it was."""
    raw = _activity(to="https://www.w3.org/ns/activitystreams#Public", proof={"type": "DataIntegrityProof"})
    out = parse_activity(raw)
    assert out["proof"] == {"type": "DataIntegrityProof"}
    assert raw["to"] == "https://www.w3.org/ns/activitystreams#Public"


# --- parse_activity: bad input ---------------------------------------------------------------


@pytest.mark.parametrize("data", [None, "text", 3, ["list"]])
def test_parse_activity__not_a_dict_rejected(data):
    """Anything but a JSON object is refused."""
    with pytest.raises(ValidationError):
        parse_activity(data)


@pytest.mark.parametrize(
    "over,field",
    [
        ({"actor": None}, "actor"),
        ({"id": "not a url"}, "id"),
        ({"id": "ftp://remote.test/x"}, "id"),
        ({"id": "/relative/path"}, "id"),
        ({"type": 3}, "type"),
        ({"actor": {"type": "Person"}}, "actor"),
        ({"actor": "javascript:alert(1)"}, "actor"),
        ({"to": 5}, "to"),
        ({"object": 12}, "object"),
        ({"id": "https://remote.test:99999/x"}, "id"),
    ],
)
def test_parse_activity__bad_field_rejected(over, field):
    """Bad ids, actors, types and audiences raise ValidationError naming the field."""
    with pytest.raises(ValidationError) as exc:
        parse_activity(_activity(**over))
    assert field in exc.value.messages


def test_parse_activity__missing_actor_rejected():
    """An activity without an actor is refused."""
    data = _activity()
    del data["actor"]
    with pytest.raises(ValidationError) as exc:
        parse_activity(data)
    assert "actor" in exc.value.messages


# --- helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value,expected",
    [
        ("https://a.test/1", "https://a.test/1"),
        ({"id": "https://a.test/2"}, "https://a.test/2"),
        ([{"id": "https://a.test/3"}, "https://a.test/4"], "https://a.test/3"),
        (["https://a.test/5"], "https://a.test/5"),
        ({"type": "Note"}, None),
        ([], None),
        (None, None),
    ],
)
def test_object_id__shapes(value, expected):
    """Strings, objects and lists all give their id."""
    assert object_id(value) == expected


@pytest.mark.parametrize(
    "a,b,expected",
    [
        ("https://a.test/x", "https://a.test/y#k", True),
        ("https://A.test/x", "https://a.test:443/y", True),
        ("http://a.test/x", "https://a.test/x", False),
        ("https://a.test/x", "https://b.test/x", False),
        ("http://127.0.0.1:8000/a", "http://127.0.0.1:8001/a", False),
        ("not a url", "not a url", False),
    ],
)
def test_same_origin__scheme_host_port(a, b, expected):
    """Origins compare scheme, host and effective port."""
    assert same_origin(a, b) is expected


# --- parse_actor -----------------------------------------------------------------------------


def test_parse_actor__returns_frozen_doc():
    """A minimal actor gives a frozen RemoteActorDoc."""
    doc = parse_actor(_actor())
    assert isinstance(doc, RemoteActorDoc)
    assert doc.public_key_id == "https://remote.test/users/alice#main-key"
    with pytest.raises(AttributeError):
        doc.id = "x"  # type: ignore[misc]


def test_parse_actor__key_list_picks_owned_key():
    """With a list of keys, the one owned by the actor wins."""
    keys = [
        {"id": "https://other.test/users/bob#main-key", "owner": "https://other.test/users/bob", "publicKeyPem": "x"},
        {"id": "https://remote.test/users/alice#main-key", "owner": "https://remote.test/users/alice", "publicKeyPem": PEM},
    ]
    assert parse_actor(_actor(publicKey=keys)).public_key_pem == PEM


def test_parse_actor__url_link_objects():
    """`url` as a list of Link objects gives the text/html href."""
    links = [
        {"type": "Link", "mediaType": "application/json", "href": "https://remote.test/api/alice"},
        {"type": "Link", "mediaType": "text/html", "href": "https://remote.test/@alice"},
    ]
    assert parse_actor(_actor(url=links)).url == "https://remote.test/@alice"


def test_parse_actor__bad_shared_inbox_dropped():
    """A malformed sharedInbox is ignored (the personal inbox still works)."""
    assert parse_actor(_actor(endpoints={"sharedInbox": "nope"})).shared_inbox is None


@pytest.mark.parametrize("missing", ["id", "inbox", "type"])
def test_parse_actor__missing_required_rejected(missing):
    """id, type and inbox are required."""
    data = _actor()
    del data[missing]
    with pytest.raises(ValidationError) as exc:
        parse_actor(data)
    assert missing in exc.value.messages


def test_parse_actor__key_owner_mismatch_rejected():
    """A key owned by someone else is refused."""
    key = {"id": "https://evil.test/k", "owner": "https://evil.test/users/mallory", "publicKeyPem": PEM}
    with pytest.raises(ValidationError) as exc:
        parse_actor(_actor(publicKey=key))
    assert "publicKey" in exc.value.messages


def test_parse_actor__not_a_dict_rejected():
    """A non-object actor document is refused."""
    with pytest.raises(ValidationError):
        parse_actor(["x"])


# --- parse_public_key_doc -------------------------------------------------------------------


def test_parse_public_key_doc__actor_document():
    """An actor document yields its owned key."""
    assert parse_public_key_doc(_actor(), "https://remote.test/users/alice#main-key") == (
        "https://remote.test/users/alice#main-key",
        "https://remote.test/users/alice",
        PEM,
    )


def test_parse_public_key_doc__bare_key_document():
    """A bare key document (GoToSocial's /main-key) yields id, owner and PEM."""
    doc = {
        "id": "https://gts.test/users/a/main-key",
        "owner": "https://gts.test/users/a",
        "publicKeyPem": PEM,
    }
    assert parse_public_key_doc(doc, "https://gts.test/users/a/main-key") == (doc["id"], doc["owner"], PEM)


def test_parse_public_key_doc__gotosocial_actor_by_key_path():
    """The recorded GoToSocial actor answers for its /main-key key id."""
    raw = _load("gotosocial/actor-the_mighty_zork.json")
    key_id, owner, pem = parse_public_key_doc(raw, "http://localhost:8080/users/the_mighty_zork/main-key")
    assert owner == raw["id"] and "PUBLIC KEY" in pem


def test_parse_public_key_doc__picks_requested_key_from_list():
    """With several keys, the one asked for is returned."""
    keys = [
        {"id": "https://remote.test/users/alice#main-key", "owner": "https://remote.test/users/alice", "publicKeyPem": PEM},
        {"id": "https://remote.test/users/alice#key-2", "owner": "https://remote.test/users/alice", "publicKeyPem": "PEM2"},
    ]
    out = parse_public_key_doc(_actor(publicKey=keys), "https://remote.test/users/alice#key-2")
    assert out[2] == "PEM2"


@pytest.mark.parametrize(
    "data,key_id",
    [
        ({"id": "https://remote.test/k", "owner": "https://remote.test/u", "publicKeyPem": PEM}, "https://remote.test/other"),
        ({"id": "https://remote.test/k", "publicKeyPem": PEM}, None),
        ({"id": "https://remote.test/k", "owner": "https://remote.test/u", "publicKeyPem": ""}, None),
        ({"id": "https://remote.test/u", "type": "Person"}, None),
        ("not a dict", None),
    ],
)
def test_parse_public_key_doc__bad_documents_rejected(data, key_id):
    """Wrong key ids, missing owners or PEMs, and non-objects are refused."""
    with pytest.raises(ValidationError):
        parse_public_key_doc(data, key_id)


def test_parse_public_key_doc__actor_without_requested_key_rejected():
    """An actor that does not hold the requested key is refused."""
    with pytest.raises(ValidationError):
        parse_public_key_doc(_actor(), "https://remote.test/users/alice#other-key")


@pytest.mark.parametrize("members", [
    {"object": {"id": "https://a.example/notes/1"}, "to": "https://www.w3.org/ns/activitystreams#Public"},
    {"object": None, "to": None, "cc": ["https://a.example/followers", "https://b.example/users/y"]},
    {},
    {"object": "https://a.example/notes/1", "to": [], "cc": []},
    {"type": ["Create", "Activity"]},
    {"actor": {"id": "https://a.example/users/x", "type": "Person"}},
    {"to": [{"id": "https://a.example/followers"}]},
])
def test_parse_activity__plain_shapes_read_as_the_schema_reads_them(members):
    """The shortcut for the common shape gives exactly what the schema gives, for every shape it takes."""
    from schemas.activitystreams import _ACTIVITY_SCHEMA, _plain

    raw = {"id": "https://a.example/activities/1", "type": "Create", "actor": "https://a.example/users/x",
           "@context": "https://www.w3.org/ns/activitystreams", **members}
    loaded = _ACTIVITY_SCHEMA.load(raw)
    expected = {**raw, **{key: loaded[key] for key in ("id", "type", "actor", "to", "cc")}}
    assert parse_activity(raw) == expected
    assert _plain(raw) in (None, expected)


@pytest.mark.parametrize("members", [{"type": ""}, {"id": "ftp://a.example/1"}, {"object": 5},
                                     {"actor": "https://a b.example/users/x"}, {"to": [3]}])
def test_parse_activity__shapes_the_shortcut_leaves_still_refused(members):
    """What the shortcut does not take goes to the schema, which refuses it with its messages."""
    raw = {"id": "https://a.example/activities/1", "type": "Create", "actor": "https://a.example/users/x", **members}
    with pytest.raises(ValidationError):
        parse_activity(raw)


@pytest.mark.parametrize("url", [
    "http://a.example/x", "https://A.Example/users/x#main-key", "http://a.example", "http://a.example?x",
    "http://a_b.example/x y", "http://a.example/\u00a0x", "http://a.example:80/x", "HTTP://a.example/x", "http://./x",
    "http://a.example/x\ty", "http://a.example/x\n", "ftp://a/x", "http:///x", "http://a.example/\x00",
    "https://a.b/c?d#e f", "http://a~b/x", "http://user@a.example/x", "http://a.example:99999/x"])
def test_url_checks__the_plain_form_read_as_urlsplit_reads_it(url):
    """The one-match reading of plain URLs agrees with urlsplit's on validity and on the origin."""
    from urllib.parse import urlsplit

    from schemas.activitystreams import _cached_origin, _origin, is_http_url

    try:
        parts = urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and (parts.port or 0) >= 0
    except ValueError:
        valid = False
    assert is_http_url(url) == (valid and not any(c.isspace() for c in url))
    assert _origin(url) == _cached_origin(url)
