"""Validation and normalisation of inbound ActivityStreams documents (pure).

Peers send many shapes for the same thing (see tests/fixtures/README.md): ``to`` and ``cc`` as a
string or an array, ``type`` as a string or an array, ``actor`` as an id or an embedded object,
``publicKey`` as an object or an array, Misskey's top-level ``sharedInbox`` next to
``endpoints.sharedInbox``, ``name``/``summary``/``icon`` set to null. The functions here accept all
of them and hand back one normalised shape. They never fetch anything.

marshmallow 4 drops ``INCLUDE``d keys on dump and does not carry ``unknown`` into nested schemas,
so the returned dicts are built from the raw input, not from a dump: unknown ActivityPub
properties (``signature``, ``proof``, ``@context``, ``_misskey_content``...) survive untouched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from marshmallow import INCLUDE, Schema, ValidationError, fields

__all__ = [
    "PUBLIC",
    "RemoteActorDoc",
    "is_http_url",
    "object_id",
    "parse_activity",
    "parse_actor",
    "parse_public_key_doc",
    "same_origin",
]

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"

_DEFAULT_PORTS = {"http": 80, "https": 443}
_WHITESPACE = re.compile(r"\s")  # the characters str.isspace() accepts
# The plain form nearly every id takes (a lower-case scheme, a host of letters, digits, dots, dashes and
# underscores, no port, no user): read by one match instead of urlsplit, as urlsplit reads it. Every id of every
# inbound activity goes through these checks, most of them seen once (an lru_cache does not help).
_PLAIN_URL = re.compile(r"(https?)://([A-Za-z0-9._~-]+)(?:[/?#]\S*)?\Z")


# --- small pure helpers ---------------------------------------------------------------------


def is_http_url(value: object) -> bool:
    """True when ``value`` is an absolute http(s) URL with a host.

    Single-label hosts and explicit ports are fine (``http://127.0.0.1:8123/x``,
    ``https://mastodon/users/a``); so are underscores, which some anonymised recordings use.
    """
    if not isinstance(value, str) or not value:
        return False
    if _PLAIN_URL.match(value):
        return True
    if _WHITESPACE.search(value):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    return parts.scheme in _DEFAULT_PORTS and bool(parts.hostname)


def _origin(url: str) -> tuple[str, str, int] | None:
    # Cached: every inbox request compares the same actor's origin several times.
    if not isinstance(url, str):
        return None
    plain = _PLAIN_URL.match(url)
    if plain is not None:
        return plain[1], plain[2].lower(), _DEFAULT_PORTS[plain[1]]
    return _cached_origin(url)


@lru_cache(maxsize=4096)
def _cached_origin(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except (ValueError, TypeError, AttributeError):
        return None
    scheme = (parts.scheme or "").lower()
    host = (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    return scheme, host, port if port is not None else _DEFAULT_PORTS[scheme]


def same_origin(a: str, b: str) -> bool:
    """True when both URLs share scheme, host and (effective) port; False if either is not a URL."""
    oa, ob = _origin(a), _origin(b)
    return oa is not None and oa == ob


def object_id(value: Any) -> str | None:
    """The id of a reference: a string is its own id, an object gives its ``id``, a list its
    first element's id. Anything else gives None."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        ident = value.get("id")
        return ident if isinstance(ident, str) else None
    if isinstance(value, list) and value:
        return object_id(value[0])
    return None


def _validate_url(value: object) -> None:
    if not is_http_url(value):
        raise ValidationError("Not an absolute http(s) URL.")


def _first_string(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        for item in value:
            if isinstance(item, str):
                return item
    return None


# --- marshmallow fields for the odd shapes ----------------------------------------------------


class _TypeField(fields.Field):
    """``type`` as a string, or a list whose first string wins (JSON-LD allows several types)."""

    def _deserialize(self, value, attr, data, **kwargs):
        found = _first_string(value)
        if not found:
            raise ValidationError("Must be a string or a list holding a string.")
        return found


class _RefField(fields.Field):
    """A reference to another object (an id string or an embedded object with an ``id``),
    normalised to the id, which must be an http(s) URL. A list takes its first element."""

    def _deserialize(self, value, attr, data, **kwargs):
        ident = object_id(value)
        if ident is None:
            raise ValidationError("Must be an id or an object with an id.")
        if not is_http_url(ident):
            raise ValidationError("Not an absolute http(s) URL.")
        return ident


class _ObjectField(fields.Field):
    """``object``: an id string, an embedded object or a list of them; kept as given."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, (str, dict)):
            return value
        if isinstance(value, list) and all(isinstance(v, (str, dict)) for v in value):
            return value
        raise ValidationError("Must be an id, an object or a list of them.")


class _AudienceField(fields.Field):
    """``to``/``cc``: a string or a list (of ids or objects), normalised to a list of ids."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value is None:
            return []
        items = value if isinstance(value, list) else [value]
        out: list[str] = []
        for item in items:
            ident = object_id(item) if not isinstance(item, list) else None
            if ident is None:
                raise ValidationError("Must be an id or a list of ids.")
            out.append(ident)
        return out


class _ActivitySchema(Schema):
    class Meta:
        unknown = INCLUDE

    id = fields.String(required=True, validate=_validate_url)
    type = _TypeField(required=True)
    actor = _RefField(required=True)
    object = _ObjectField(allow_none=True)
    to = _AudienceField(allow_none=True, load_default=list)
    cc = _AudienceField(allow_none=True, load_default=list)


_ACTIVITY_SCHEMA = _ActivitySchema()


def _require_dict(data: object, what: str) -> dict:
    if not isinstance(data, dict):
        raise ValidationError({"_schema": [f"{what} must be a JSON object."]})
    return data


def parse_activity(data: object) -> dict:
    """Validate an inbound activity and return a normalised copy.

    ``id`` is an absolute http(s) URL, ``type`` a string, ``actor`` the actor's id string,
    ``to``/``cc`` lists of ids (``[]`` when missing); ``object`` is kept as sent (id or embedded
    object). Every other member of the input survives untouched. Raises
    ``marshmallow.ValidationError`` whose ``messages`` maps field names to problems.
    """
    raw = _require_dict(data, "An activity")
    fast = _plain(raw)
    if fast is not None:
        return fast
    loaded = _ACTIVITY_SCHEMA.load(raw)
    out = dict(raw)
    for key in ("id", "type", "actor", "to", "cc"):
        out[key] = loaded[key]
    return out


def _audience(raw: dict, key: str) -> list[str] | None | bool:
    if key not in raw:
        return []
    value = raw[key]
    if value is None or isinstance(value, str):
        return value if value is None else [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    return False


def _plain(raw: dict) -> dict | None:
    """`parse_activity`'s answer for the shape nearly every peer sends (string id, type and actor; an id or an
    embedded object; audiences as strings), without the schema; None for anything else, which the schema reads
    (and refuses with its messages). Every inbound activity is parsed twice (at the inbox and in its worker)."""
    ident, type_, actor, obj = raw.get("id"), raw.get("type"), raw.get("actor"), raw.get("object")
    if not (isinstance(type_, str) and type_ and is_http_url(ident) and is_http_url(actor)
            and (obj is None or isinstance(obj, (str, dict)))):
        return None
    to, cc = _audience(raw, "to"), _audience(raw, "cc")
    if to is False or cc is False:
        return None
    out = dict(raw)
    out["to"], out["cc"] = to, cc
    return out


# --- actors and keys -------------------------------------------------------------------------


@dataclass(frozen=True)
class RemoteActorDoc:
    """What we keep of a remote actor document, plus the raw document itself."""

    id: str
    type: str
    inbox: str
    shared_inbox: str | None
    preferred_username: str | None
    name: str | None
    summary: str | None
    url: str | None
    icon_url: str | None
    public_key_id: str | None
    public_key_pem: str | None
    raw: dict = field(repr=False, compare=False)
    outbox: str | None = None
    followers: str | None = None
    following: str | None = None


class _ActorSchema(Schema):
    class Meta:
        unknown = INCLUDE

    id = fields.String(required=True, validate=_validate_url)
    type = _TypeField(required=True)
    inbox = _RefField(required=True)
    outbox = _RefField(allow_none=True)
    followers = _RefField(allow_none=True)
    following = _RefField(allow_none=True)
    preferredUsername = fields.String(allow_none=True)
    # Misskey sends null for an unset name or summary; Mastodon sends "".
    name = fields.String(allow_none=True)
    summary = fields.String(allow_none=True)


_ACTOR_SCHEMA = _ActorSchema()


def _link_href(value: Any) -> str | None:
    """An http(s) URL out of a URL-ish value: a string, a Link/Image object or a list of them."""
    if isinstance(value, str):
        return value if is_http_url(value) else None
    if isinstance(value, dict):
        for key in ("href", "url"):
            found = _link_href(value.get(key))
            if found:
                return found
        return None
    if isinstance(value, list):
        # Prefer an HTML page when a list of Links says which is which.
        for item in value:
            if isinstance(item, dict) and item.get("mediaType") == "text/html":
                found = _link_href(item)
                if found:
                    return found
        for item in value:
            found = _link_href(item)
            if found:
                return found
    return None


def _key_entries(value: Any) -> list[dict]:
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def _pick_key(actor_id: str, keys: list[dict], key_id: str | None) -> dict:
    """The key owned by ``actor_id`` (and with id ``key_id`` when given)."""
    owned = [k for k in keys if k.get("owner") == actor_id]
    if key_id is not None:
        owned = [k for k in owned if k.get("id") == key_id]
    if not owned:
        wanted = f" with id {key_id}" if key_id else ""
        raise ValidationError({"publicKey": [f"No key{wanted} owned by {actor_id}."]})
    chosen = owned[0]
    if not is_http_url(chosen.get("id")):
        raise ValidationError({"publicKey": ["Key id is not an absolute http(s) URL."]})
    pem = chosen.get("publicKeyPem")
    if not isinstance(pem, str) or not pem.strip():
        raise ValidationError({"publicKey": ["Key has no publicKeyPem."]})
    return chosen


def parse_actor(data: object) -> RemoteActorDoc:
    """Validate a remote actor document and return a ``RemoteActorDoc``.

    ``id`` and ``inbox`` are required absolute URLs. ``publicKey`` (an object or a list) is
    optional, but when present one key must be owned by the actor (``owner == id``). The shared
    inbox comes from ``endpoints.sharedInbox`` (or Misskey's top-level ``sharedInbox``); a
    malformed one is dropped rather than failing the actor, since the personal inbox still works.
    """
    raw = _require_dict(data, "An actor document")
    loaded = _ACTOR_SCHEMA.load(raw)
    actor_id = loaded["id"]

    key_id = key_pem = None
    if raw.get("publicKey") is not None:
        key = _pick_key(actor_id, _key_entries(raw["publicKey"]), None)
        key_id, key_pem = key["id"], key["publicKeyPem"]

    shared = None
    endpoints = raw.get("endpoints")
    if isinstance(endpoints, dict) and is_http_url(endpoints.get("sharedInbox")):
        shared = endpoints["sharedInbox"]
    elif is_http_url(raw.get("sharedInbox")):
        shared = raw["sharedInbox"]

    return RemoteActorDoc(
        id=actor_id,
        type=loaded["type"],
        inbox=loaded["inbox"],
        shared_inbox=shared,
        preferred_username=loaded.get("preferredUsername"),
        name=loaded.get("name"),
        summary=loaded.get("summary"),
        url=_link_href(raw.get("url")),
        icon_url=_link_href(raw.get("icon")),
        public_key_id=key_id,
        public_key_pem=key_pem,
        raw=raw,
        outbox=loaded.get("outbox"),
        followers=loaded.get("followers"),
        following=loaded.get("following"),
    )


def parse_public_key_doc(data: object, key_id: str | None = None) -> tuple[str, str, str]:
    """Return ``(key_id, owner, pem)`` from a fetched key document.

    Fetching a keyId gives either the actor (``https://host/users/a#main-key`` -> the actor
    with a ``publicKey`` object or list) or a bare key document ``{id, owner, publicKeyPem}``
    (GoToSocial's ``https://host/users/a/main-key`` can answer either). When ``key_id`` is given
    the key with that id is chosen; in an actor document the key must be owned by the actor.
    """
    raw = _require_dict(data, "A key document")
    if "publicKey" in raw:
        actor_id = raw.get("id")
        if not is_http_url(actor_id):
            raise ValidationError({"id": ["Not an absolute http(s) URL."]})
        key = _pick_key(actor_id, _key_entries(raw["publicKey"]), key_id)
        return key["id"], actor_id, key["publicKeyPem"]

    if "publicKeyPem" in raw:
        errors: dict[str, list[str]] = {}
        if not is_http_url(raw.get("id")):
            errors["id"] = ["Not an absolute http(s) URL."]
        elif key_id is not None and raw["id"] != key_id:
            errors["id"] = [f"Key document is {raw['id']}, not the requested {key_id}."]
        if not is_http_url(raw.get("owner")):
            errors["owner"] = ["Not an absolute http(s) URL."]
        pem = raw.get("publicKeyPem")
        if not isinstance(pem, str) or not pem.strip():
            errors["publicKeyPem"] = ["Missing or empty."]
        if errors:
            raise ValidationError(errors)
        return raw["id"], raw["owner"], pem

    raise ValidationError({"publicKey": ["Neither an actor with a publicKey nor a key document."]})
