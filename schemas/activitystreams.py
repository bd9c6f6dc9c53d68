"""Inbound activities validated and normalised, and the URL and id helpers every document check uses (pure).

Peers send many shapes for the same thing (see tests/fixtures/README.md): ``to`` and ``cc`` as a
string or an array, ``type`` as a string or an array, ``actor`` as an id or an embedded object.
The functions here accept all of them and hand back one normalised shape. They never fetch anything.
Actor and key documents are read by `schemas.actors`.

marshmallow 4 drops ``INCLUDE``d keys on dump and does not carry ``unknown`` into nested schemas,
so the returned dicts are built from the raw input, not from a dump: unknown ActivityPub
properties (``signature``, ``proof``, ``@context``, ``_misskey_content``...) survive untouched.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from marshmallow import INCLUDE, Schema, ValidationError, fields

__all__ = [
    "PUBLIC",
    "is_http_url",
    "object_id",
    "parse_activity",
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
