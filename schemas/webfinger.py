"""WebFinger (RFC 7033) documents: the JRD we serve and the parts of others' we read (pure).

Mastodon requires ``acct:NAME@HOST`` to resolve to a JRD whose ``rel: self`` link has type
``application/activity+json``; some servers only label it
``application/ld+json; profile="https://www.w3.org/ns/activitystreams"``, so both are read.
"""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields

from schemas.activitystreams import is_http_url

__all__ = ["ACTIVITY_JSON", "PROFILE_PAGE_REL", "jrd", "parse_acct", "parse_jrd"]

ACTIVITY_JSON = "application/activity+json"
PROFILE_PAGE_REL = "http://webfinger.net/rel/profile-page"
_AS_PROFILE = "https://www.w3.org/ns/activitystreams"


class _LinkSchema(Schema):
    rel = fields.String(required=True)
    type = fields.String()
    href = fields.String(required=True)


class _JrdSchema(Schema):
    subject = fields.String(required=True)
    aliases = fields.List(fields.String())
    links = fields.List(fields.Nested(_LinkSchema))


_JRD_SCHEMA = _JrdSchema()


def jrd(subject: str, actor_url: str, profile_url: str | None, aliases: list[str]) -> dict:
    """The JRD for one actor: its ``acct:`` subject, aliases, a ``self`` link to the actor
    (``application/activity+json``) and, when given, the human profile page (``text/html``)."""
    links = [{"rel": "self", "type": ACTIVITY_JSON, "href": actor_url}]
    if profile_url:
        links.append({"rel": PROFILE_PAGE_REL, "type": "text/html", "href": profile_url})
    return _JRD_SCHEMA.dump({"subject": subject, "aliases": list(aliases), "links": links})


def _is_activity_type(media_type: object) -> bool:
    if not isinstance(media_type, str):
        return False
    parts = [p.strip() for p in media_type.split(";")]
    main = parts[0].lower()
    if main == ACTIVITY_JSON:
        return True
    if main != "application/ld+json":
        return False
    for param in parts[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "profile" and _AS_PROFILE in value.strip().strip('"').split():
            return True
    return False


def parse_jrd(data: object) -> str:
    """The actor URL of a JRD: the href of its first ``rel: self`` link typed
    ``application/activity+json`` (or the ActivityStreams ``application/ld+json`` profile).
    Raises ``ValidationError`` when there is none."""
    if not isinstance(data, dict):
        raise ValidationError({"_schema": ["A JRD must be a JSON object."]})
    links = data.get("links")
    if not isinstance(links, list):
        raise ValidationError({"links": ["Missing or not a list."]})
    for link in links:
        if (
            isinstance(link, dict)
            and link.get("rel") == "self"
            and _is_activity_type(link.get("type"))
            and is_http_url(link.get("href"))
        ):
            return link["href"]
    raise ValidationError({"links": ["No rel=self link to an ActivityPub actor."]})


def parse_acct(resource: str) -> tuple[str, str]:
    """Split ``acct:user@host[:port]``, ``user@host`` or ``@user@host`` into ``(user, host)``.

    The host is lower-cased and keeps a non-default port. Raises ``ValueError`` otherwise.
    """
    if not isinstance(resource, str):
        raise ValueError("acct resource must be a string")
    text = resource.strip()
    if text[:5].lower() == "acct:":
        text = text[5:]
    if text.startswith("@"):
        text = text[1:]
    user, sep, host = text.partition("@")
    if not sep or not user or not host or "@" in host:
        raise ValueError(f"not an account handle (expected user@host): {resource!r}")
    if any(c.isspace() or c in "/?#" for c in user + host):
        raise ValueError(f"account handle has characters a handle cannot hold: {resource!r}")
    name, colon, port = host.partition(":")
    if not name or (colon and not (port.isdigit() and 0 < int(port) < 65536)):
        raise ValueError(f"account handle has a bad host or port: {resource!r}")
    return user, host.lower()
