"""Checks behind `schemas.config`: strict TOML types, URLs, database URLs, networks, language tags.

Each check raises `marshmallow.ValidationError` with a message that says what is wrong (never repeating a value
that may hold a secret); `schemas.config` attaches them to keys, `node.config` prefixes the key's name.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

from marshmallow import ValidationError, fields

from schemas.languages import normalize_tag

__all__ = ["LanguageTag", "check_base_url", "check_delivery_timing", "check_http_url", "check_ip_network",
           "check_partner", "check_trust_domain", "check_unique", "type_problem", "validate_database_url"]

_HOSTNAME = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")


def _check_host(parts: Any) -> None:
    """The host of an http(s) URL: a lower-case DNS name or an IP literal, and a port in 1-65535 if any."""
    host = parts.hostname or ""
    if not _is_ip(host) and not _HOSTNAME.fullmatch(host):
        if not host.isascii():
            raise ValidationError(f"host {host!r} must be written in ASCII (punycode: xn--...)")
        raise ValidationError(f"host {host!r} is not a valid host name")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0 or parts.netloc.endswith(":"):
        raise ValidationError("has a bad port (must be a number from 1 to 65535)")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def check_base_url(value: str) -> None:
    """The node's public root URL: http(s), lower-case host, valid port; no credentials, path, query or fragment
    (a trailing slash is fine)."""
    try:
        parts = urlsplit(value)
    except ValueError:
        raise ValidationError("is not a valid URL") from None
    if not value.startswith(("http://", "https://")) or not parts.hostname:
        raise ValidationError("must be an absolute http(s) URL such as https://news.example.org")
    if "@" in parts.netloc:
        raise ValidationError("must not contain credentials (user:password@)")
    if parts.netloc != parts.netloc.lower():
        # Actor ids are built from it and peers compare ids as strings: keep one spelling.
        raise ValidationError("must have its host in lower case")
    _check_host(parts)
    if "?" in value:
        raise ValidationError("must not have a query (?...)")
    if "#" in value:
        raise ValidationError("must not have a fragment (#...)")
    if parts.path not in ("", "/"):
        # Actors, WebFinger and NodeInfo live at fixed paths from the root (/.well-known/ must be at the root).
        raise ValidationError(f"must be the site root, with no path (got {parts.path!r})")


def check_http_url(value: str) -> None:
    """Empty, or an absolute http(s) URL with a valid host and port."""
    if not value:
        return
    try:
        parts = urlsplit(value)
    except ValueError:
        raise ValidationError("is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError("must be an absolute http(s) URL (https://...) or empty")
    _check_host(parts)


def _check_bare_host(value: str, what: str) -> None:
    """``host`` or ``host:port`` (a DNS name in lower-case ASCII, or an IP address; IPv6 in brackets with a port)."""
    if value != value.strip() or not value:
        raise ValidationError(f"{what} {value!r} must not be empty or have spaces around it")
    if value != value.lower():
        raise ValidationError(f"{what} {value!r} must be in lower case (hosts are compared in lower case)")
    try:
        parts = urlsplit(f"http://{value}")
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        raise ValidationError(f"{what} {value!r} has a bad port (must be a number from 1 to 65535)") from None
    if parts.netloc != value or "@" in value:
        raise ValidationError(f"{what} {value!r} must be a host name such as news.example.org "
                              "(no scheme, path or user)")
    if port == 0 or value.endswith(":"):
        raise ValidationError(f"{what} {value!r} has a bad port (must be a number from 1 to 65535)")
    if not _is_ip(host) and not _HOSTNAME.fullmatch(host):
        if not host.isascii():
            raise ValidationError(f"{what} {value!r} must be written in ASCII (punycode: xn--...)")
        raise ValidationError(f"{what} {value!r} is not a valid host name")


def check_trust_domain(value: str) -> None:
    """A `[trust] domains` entry: ``example.org`` (and its subdomains) or ``example.org:8443`` (that port)."""
    if value.startswith("*."):
        raise ValidationError(f"{value!r}: write the domain without '*.'; it already covers its subdomains")
    if "://" in value:
        raise ValidationError(f"{value!r} is a URL; give only its host, e.g. {urlsplit(value).netloc or 'example.org'}")
    _check_bare_host(value, "domain")


def check_partner(value: str) -> None:
    """A `[trust] partners` entry: an actor URI (``https://host/actors/x``) or a handle (``name@host``, also
    written ``@name@host`` or ``acct:name@host``)."""
    if "://" in value:
        if not value.startswith(("https://", "http://")):
            raise ValidationError(f"partner {value!r} must be an http(s) actor URI or a name@host handle")
        try:
            parts = urlsplit(value)
            if not parts.hostname:
                raise ValidationError("has no host")
            _check_host(parts)
        except (ValueError, ValidationError) as exc:
            reason = exc.messages[0] if isinstance(exc, ValidationError) else "is not a valid URL"
            raise ValidationError(f"partner {value!r}: {reason}") from None
        return
    handle = value.removeprefix("acct:").removeprefix("@")
    name, at, host = handle.partition("@")
    if not at or not name or "@" in host or any(c.isspace() for c in name):
        raise ValidationError(f"partner {value!r} must be an actor URI (https://...) or a handle such as "
                              "desk@partner.example")
    _check_bare_host(host, f"partner {value!r}: host")


def validate_database_url(value: str) -> None:
    """Raise ValidationError unless `value` is a usable sqlite://PATH or postgres(ql)://HOST/DATABASE URL.

    The message never repeats the URL: it may hold a password.
    """
    if value.startswith("sqlite://"):
        path = value[len("sqlite://"):].partition("?")[0]
        if not path:
            raise ValidationError("a SQLite URL needs a file path, e.g. sqlite://agency-node.sqlite3")
        if path == ":memory:":
            raise ValidationError("an in-memory SQLite database loses everything on restart; give a file path")
        return
    if not value.startswith(("postgres://", "postgresql://")):
        raise ValidationError("must start with sqlite://, postgres:// or postgresql://")
    try:
        parts = urlsplit(value)
    except ValueError:
        raise ValidationError("a PostgreSQL URL has a bad host") from None
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0 or parts.netloc.endswith(":"):
        raise ValidationError("a PostgreSQL URL has a bad port (must be a number from 1 to 65535)")
    if not parts.hostname:
        raise ValidationError("a PostgreSQL URL needs a host: postgres://USER:PASSWORD@HOST:PORT/DATABASE")
    database = parts.path.lstrip("/")
    if not database or "/" in database:
        raise ValidationError("a PostgreSQL URL needs a database name: "
                              "postgres://USER:PASSWORD@HOST:PORT/DATABASE")


def check_ip_network(value: str) -> None:
    """An IPv4 or IPv6 network (``10.0.0.0/8``, ``fd00::/8``) or single address."""
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValidationError(f"{value!r} is not an IP network such as 10.0.0.0/8 or fd00::/8") from None


def check_unique(values: list[str]) -> None:
    """No value twice (after normalisation, so ``az`` and ``AZ`` are the same)."""
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValidationError(f"{value!r} is listed twice")
        seen.add(value)


def check_delivery_timing(section: dict[str, Any]) -> None:
    """Delivery settings that only make sense together: the retry delay cap must not undercut the first delay."""
    if section["max_delay_seconds"] < section["base_delay_seconds"]:
        raise ValidationError("must not be less than delivery.base_delay_seconds", field_name="max_delay_seconds")
    if section["stale_claim_seconds"] <= section["heartbeat_seconds"]:
        # A live worker's claims must not look dead between two of its heartbeats.
        raise ValidationError("must be more than delivery.heartbeat_seconds", field_name="stale_claim_seconds")


class LanguageTag(fields.String):
    """A BCP 47 tag, checked and case-normalised by `schemas.languages.normalize_tag`."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return normalize_tag(text)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


def _toml_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, (_dt.date, _dt.time)):
        return "a date/time"
    return type(value).__name__


def type_problem(field: fields.Field, value: Any) -> Any:
    """What is wrong with the TOML type of `value` for `field` (None when it fits). Marshmallow alone would
    turn "8080" into 8080 and "yes" into True; a config that says something else than it means is an error."""
    if isinstance(field, fields.Boolean):
        ok, want = isinstance(value, bool), "a boolean (true or false)"
    elif isinstance(field, fields.Integer):
        ok, want = isinstance(value, int) and not isinstance(value, bool), "an integer"
    elif isinstance(field, fields.Number):
        ok, want = isinstance(value, (int, float)) and not isinstance(value, bool), "a number"
    elif isinstance(field, fields.String):
        ok, want = isinstance(value, str), "a string"
    elif isinstance(field, fields.Nested):
        ok, want = isinstance(value, dict), "a table"
    elif isinstance(field, fields.List):
        if not isinstance(value, list):
            return [f"must be an array, not {_toml_type(value)}"]
        inner = {i: p for i, item in enumerate(value) if (p := type_problem(field.inner, item))}
        return inner or None
    else:
        return None
    return None if ok else [f"must be {want}, not {_toml_type(value)}"]
