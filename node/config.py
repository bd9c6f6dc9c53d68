"""Load and validate the node's TOML configuration, with environment overrides for secrets.

`load_config(path)` returns a frozen `Config`; a bad file raises `ConfigError` whose message names the key and
what is wrong, e.g. ``agency.handle: must be 1-30 characters of a-z, 0-9 and _``.

Environment variables that override the file:
- ``AGENCY_NODE_DATABASE_URL``: the database URL.
- ``AGENCY_NODE_API_TOKEN``: the editor API bearer token (hashed here; the hash in the file is then ignored).
- ``AGENCY_NODE_TRANSLATION_API_KEY``: the machine-translation engine's API key.
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
from schemas.languages import normalize_tag
from schemas.configcheck import validate_database_url

ENV_DATABASE_URL = "AGENCY_NODE_DATABASE_URL"
ENV_API_TOKEN = "AGENCY_NODE_API_TOKEN"
ENV_TRANSLATION_API_KEY = "AGENCY_NODE_TRANSLATION_API_KEY"
MIN_TOKEN_LENGTH = 16


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
    database_url: str = field(repr=False)  # may hold a password: keep it out of reprs and tracebacks
    log_level: str
    agency: AgencyIdentity
    api_token_sha256: str
    federation: Mapping[str, Any] = field(default_factory=dict)
    delivery: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""
    channel_languages: tuple[str, ...] = ()
    database_url_from: str = "node.database_url"  # or the environment variable that overrode it, for messages
    translation: Mapping[str, Any] = field(default_factory=dict)  # without the API key
    translation_api_key: str = field(default="", repr=False)  # a secret: kept out of reprs and logs
    trust: Mapping[str, Any] = field(default_factory=dict)
    media: Mapping[str, Any] = field(default_factory=dict)  # `dir` resolved against the config file's folder
    accounts: Mapping[str, Any] = field(default_factory=dict)  # [accounts]: passwords, sessions, lock-out
    operations: Mapping[str, Any] = field(default_factory=dict)  # [operations]: who may read /metrics
    limits: Mapping[str, Any] = field(default_factory=dict)  # [limits]: inbox and API rate limits
    idle_timeout: float = 20.0  # [node] idle_timeout_seconds: headers must arrive within it (slow-loris)
    desk: Mapping[str, Any] = field(default_factory=dict)  # [desk]: the wire screen's partner idle alarm
    factchecks: Mapping[str, Any] = field(default_factory=dict)  # [factchecks]: `channel` (the followable channel)

    @property
    def host(self) -> str:
        """The host as peers see it, port kept when it is not the scheme's default (WebFinger needs it)."""
        return urlsplit(self.base_url).netloc


def hash_token(token: str) -> str:
    """SHA-256 hex of an API token: what the config stores and what requests are compared against."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def redact_url(url: str) -> str:
    """A URL fit for logs and messages: the password (in user:password@ or a password= parameter) replaced."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        creds, host = netloc.rsplit("@", 1)
        netloc = f"{creds.split(':', 1)[0]}:***@{host}" if ":" in creds else netloc
    query = "&".join("password=***" if q.lower().startswith("password=") else q for q in parts.query.split("&"))
    out = f"{parts.scheme}://{netloc}{parts.path}"
    return f"{out}?{query}" if query else out


def _reads_on(message: str) -> str:
    # marshmallow's own messages start with a capital ("Must be one of: ..."); ours read on from the key.
    message = message.replace("Unknown field", "unknown key").replace("Missing data for required field", "missing")
    message = message.rstrip(".")
    return message[:1].lower() + message[1:] if message[1:2].islower() else message


def _flatten(messages: Any, prefix: str = "") -> list[str]:
    if isinstance(messages, dict):
        out: list[str] = []
        for key, value in messages.items():
            if key == "_schema":  # a whole section is wrong (not a table): name the section
                name = prefix
            elif isinstance(key, int):  # an array entry
                name = f"{prefix}[{key}]"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            out.extend(_flatten(value, name))
        return out
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        text = "; ".join(_reads_on(m) for m in messages)
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


def _check_sqlite_folder(url: str, key: str) -> None:
    # SQLite creates the file (and its -wal file) but not the folder. Say so here: tortoise 1.1.9 leaks its
    # connection lock when the open fails, and `migrate` then waits forever instead of reporting the error.
    if not url.startswith("sqlite://"):
        return
    folder = Path(url[len("sqlite://"):].partition("?")[0]).parent
    if not folder.is_dir():
        raise ConfigError(f"{key}: the folder {folder} does not exist (SQLite creates the file, not the folder)")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(f"{key}: the folder {folder} is not writable (SQLite needs to create files there)")


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
    if environ.get(ENV_DATABASE_URL):
        try:
            validate_database_url(database_url)
        except ValidationError as exc:
            raise ConfigError(f"{ENV_DATABASE_URL} (environment): "
                              + "; ".join(_reads_on(str(m)) for m in exc.messages)) from None
    token_hash = loaded["api"]["token_sha256"]
    if environ.get(ENV_API_TOKEN):
        token = environ[ENV_API_TOKEN]
        # The API compares the stripped bearer value; a short token is guessable. Never echo the token.
        if len(token) < MIN_TOKEN_LENGTH or any(c.isspace() for c in token):
            raise ConfigError(f"{ENV_API_TOKEN} (environment): must be at least {MIN_TOKEN_LENGTH} characters "
                              "with no spaces (agency-node init prints a good one)")
        token_hash = hash_token(token)
    database_url = _sqlite_path_relative(database_url, base_dir or Path.cwd())
    database_url_from = ENV_DATABASE_URL if environ.get(ENV_DATABASE_URL) else "node.database_url"
    _check_sqlite_folder(database_url, f"{ENV_DATABASE_URL} (environment)" if environ.get(ENV_DATABASE_URL)
                         else f"{source}: node.database_url")
    return Config(
        base_url=node["base_url"].rstrip("/"),
        listen_host=node["listen_host"],
        listen_port=node["listen_port"],
        idle_timeout=float(node["idle_timeout_seconds"]),
        database_url=database_url,
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
        channel_languages=tuple(dict.fromkeys(normalize_tag(t) for t in loaded["channels"]["languages"])),
        database_url_from=database_url_from,
        translation=_translation(loaded["translation"], base_dir or Path.cwd()),
        translation_api_key=environ.get(ENV_TRANSLATION_API_KEY) or loaded["translation"]["api_key"],
        trust=dict(loaded["trust"]),
        media=_media(loaded["media"], base_dir or Path.cwd()),
        accounts=dict(loaded["accounts"]),
        operations=dict(loaded["operations"]),
        limits=dict(loaded["limits"]),
        desk=dict(loaded["desk"]),
        factchecks=dict(loaded["factchecks"]),
    )


def _translation(section: Mapping[str, Any], base: Path) -> dict[str, Any]:
    out = {k: v for k, v in section.items() if k != "api_key"}
    out["targets"] = list(section["targets"])  # already normalised by the schema (LanguageTag)
    out["glossary"] = {lang: dict(terms) for lang, terms in section["glossary"].items()}
    for key in ("glossary_file", "models_dir"):  # relative to the config file, like the SQLite path
        if out.get(key):
            out[key] = str((base / out[key]).resolve())
    return out


def _media(section: Mapping[str, Any], base: Path) -> dict[str, Any]:
    out = {**section, "dir": str(base / section["dir"])}
    for key in ("c2pa_cert_chain", "c2pa_private_key", "c2pa_trust_anchors"):  # relative to the config file
        if out.get(key):
            out[key] = str((base / out[key]).resolve())
    return out


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
