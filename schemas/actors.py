"""Validation and normalisation of remote actor documents and the key documents a keyId points at (pure).

Peers send actors in many shapes (see tests/fixtures/README.md): ``publicKey`` as an object or an array,
Misskey's top-level ``sharedInbox`` next to ``endpoints.sharedInbox``, ``name``/``summary``/``icon`` set to null,
``url`` and ``icon`` as strings, Link objects or lists of them. The functions here accept all of them and hand back
one normalised shape. They never fetch anything. The URL checks and field types are those of
`schemas.activitystreams`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from marshmallow import INCLUDE, Schema, ValidationError, fields

from schemas.activitystreams import _RefField, _require_dict, _TypeField, _validate_url, is_http_url

__all__ = [
    "RemoteActorDoc",
    "parse_actor",
    "parse_public_key_doc",
]


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
