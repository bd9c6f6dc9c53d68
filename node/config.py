"""Load and validate the node's TOML configuration, with environment overrides for secrets.

`load_config(path)` returns a frozen `Config`; a bad file raises `ConfigError` whose message names the key and
what is wrong, e.g. ``agency.handle: must be 1-30 characters of a-z, 0-9 and _``.

Environment variables that override the file:
- ``AGENCY_NODE_DATABASE_URL``: the database URL.
- ``AGENCY_NODE_API_TOKEN``: the editor API bearer token (hashed here; the hash in the file is then ignored).
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

from marshmallow import ValidationError

from schemas.config import ConfigSchema

ENV_DATABASE_URL = "AGENCY_NODE_DATABASE_URL"
ENV_API_TOKEN = "AGENCY_NODE_API_TOKEN"


class ConfigError(Exception):
    """The configuration cannot be used; the message says which key and why."""


@dataclass(frozen=True)
class AgencyIdentity:
    handle: str
    name: str
    summary: str
    icon_url: str
    url: str
    languages: tuple[str, ...]
    manually_approves_followers: bool
    discoverable: bool


@dataclass(frozen=True)
class Config:
    """Validated configuration. Paths in it are resolved against the config file's folder."""

    base_url: str
    listen_host: str
    listen_port: int
    database_url: str
    log_level: str
    agency: AgencyIdentity
    api_token_sha256: str
    federation: Mapping[str, Any] = field(default_factory=dict)
    delivery: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""
    trust: Mapping[str, Any] = field(default_factory=dict)

    @property
    def host(self) -> str:
        """The host as peers see it, port kept when it is not the scheme's default (WebFinger needs it)."""
        return urlsplit(self.base_url).netloc


def hash_token(token: str) -> str:
    """SHA-256 hex of an API token: what the config stores and what requests are compared against."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _flatten(messages: Any, prefix: str = "") -> list[str]:
    if isinstance(messages, dict):
        out: list[str] = []
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.extend(_flatten(value, name))
        return out
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        text = "; ".join(m.rstrip(".") for m in messages)
        text = text.replace("Unknown field", "unknown key").replace("Missing data for required field", "missing")
        return [f"{prefix}: {text}"]
    if isinstance(messages, list):
        return [line for item in messages for line in _flatten(item, prefix)]
    return [f"{prefix}: {messages}"]


def _sqlite_path_relative(url: str, base: Path) -> str:
    # A relative SQLite path means relative to the config file, not to wherever the command was started.
    if not url.startswith("sqlite://"):
        return url
    rest = url[len("sqlite://"):]
    path, _, query = rest.partition("?")
    if path == ":memory:" or path.startswith("/"):
        resolved = path
    else:
        resolved = str((base / path).resolve())
    # synchronous=NORMAL is safe with WAL and gives about 2.4x the insert rate (DEPENDENCIES.md).
    if "synchronous" not in query:
        query = "&".join(q for q in (query, "synchronous=NORMAL") if q)
    return f"sqlite://{resolved}?{query}"


def config_from_dict(data: Mapping[str, Any], *, source: str = "<dict>", base_dir: Path | None = None,
                     environ: Mapping[str, str] | None = None) -> Config:
    """Validate a parsed TOML document (plus environment overrides) into a `Config`."""
    environ = os.environ if environ is None else environ
    try:
        loaded = ConfigSchema().load(dict(data))
    except ValidationError as exc:
        raise ConfigError(f"{source}: " + "; ".join(_flatten(exc.messages))) from None
    node, agency = loaded["node"], loaded["agency"]
    database_url = environ.get(ENV_DATABASE_URL) or node["database_url"]
    token_hash = loaded["api"]["token_sha256"]
    if environ.get(ENV_API_TOKEN):
        token_hash = hash_token(environ[ENV_API_TOKEN])
    return Config(
        base_url=node["base_url"].rstrip("/"),
        listen_host=node["listen_host"],
        listen_port=node["listen_port"],
        database_url=_sqlite_path_relative(database_url, base_dir or Path.cwd()),
        log_level=node["log_level"],
        agency=AgencyIdentity(
            handle=agency["handle"], name=agency["name"], summary=agency["summary"],
            icon_url=agency["icon_url"], url=agency["url"], languages=tuple(agency["languages"]),
            manually_approves_followers=agency["manually_approves_followers"],
            discoverable=agency["discoverable"],
        ),
        api_token_sha256=token_hash,
        federation=dict(loaded["federation"]),
        delivery=dict(loaded["delivery"]),
        source=source,
        trust=dict(loaded["trust"]),
    )


def load_config(path: str | os.PathLike[str], *, environ: Mapping[str, str] | None = None) -> Config:
    """Read, parse and validate a config file; raise `ConfigError` with a one-line reason on any problem."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such config file (create one with `agency-node init`)") from None
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    return config_from_dict(data, source=str(p), base_dir=p.resolve().parent, environ=environ)
