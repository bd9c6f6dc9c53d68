"""Configuration: node.example.toml against the schema, validation messages that name the key, the CLI on a bad
config, and secrets kept out of logs."""

from __future__ import annotations

import copy
import logging
import os
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from marshmallow import Schema, fields

from node.config import (
    ENV_API_TOKEN, ENV_DATABASE_URL, ConfigError, config_from_dict, hash_token, load_config, redact_url,
)
from schemas.config import ConfigSchema
from tests.nodes import POSTGRES_ENV, free_port, node_config_data, postgres_database, running_node, write_config

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "node.example.toml"
# Keys whose example value deliberately differs from the schema default (an illustration, or a required key).
EXAMPLE_VALUES = {"node.base_url", "agency.handle", "agency.name", "agency.summary"}

MINIMAL: dict[str, Any] = {"node": {"base_url": "https://news.example.org"},
                           "agency": {"handle": "baku", "name": "Baku News"}}


def load(env: dict[str, str] | None = None, **sections: dict[str, Any]) -> Any:
    """Validate MINIMAL with `sections` merged in, the way `load_config` does after parsing TOML."""
    data = copy.deepcopy(MINIMAL)
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return config_from_dict(data, source="node.toml", environ=env or {})


def error(env: dict[str, str] | None = None, **sections: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        load(env, **sections)
    message = str(info.value)
    assert "\n" not in message
    return message


def schema_keys(schema: Schema, prefix: str = "") -> dict[str, fields.Field]:
    """Every key the schema accepts, dotted, down through nested sections."""
    out: dict[str, fields.Field] = {}
    for name, field in schema.fields.items():
        key = f"{prefix}{field.data_key or name}"
        if isinstance(field, fields.Nested):
            out.update(schema_keys(field.schema, key + "."))
        else:
            out[key] = field
    return out


def document_keys(doc: dict[str, Any], leaves: set[str], prefix: str = "") -> set[str]:
    """Every dotted key of a TOML document; a table is a leaf when the schema takes it whole (a Dict field)."""
    out: set[str] = set()
    for key, value in doc.items():
        if isinstance(value, dict) and f"{prefix}{key}" not in leaves:
            out |= document_keys(value, leaves, f"{prefix}{key}.")
        else:
            out.add(f"{prefix}{key}")
    return out


# -- node.example.toml ------------------------------------------------------------------------------------------

def test_example__loads_through_the_real_loader():
    """node.example.toml is a valid config as it stands (the loader an operator's node uses)."""
    config = load_config(EXAMPLE, environ={})
    assert config.base_url == "https://news.example.org" and config.agency.handle == "agency"
    assert config.listen_port == 8080 and config.database_url.startswith(f"sqlite://{ROOT}/agency-node.sqlite3")


def test_example__every_schema_key_and_only_those():
    """No drift, both ways and recursively: every key the schema accepts is in the example, and no other."""
    accepted = set(schema_keys(ConfigSchema()))
    example = document_keys(tomllib.loads(EXAMPLE.read_text(encoding="utf-8")), accepted)
    assert accepted - example == set(), "keys missing from node.example.toml"
    assert example - accepted == set(), "keys in node.example.toml that the schema does not accept"


def test_example__values_are_the_defaults():
    """Each optional key shows its real default (so the example never lies about what leaving it out means)."""
    example = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    for key, field in schema_keys(ConfigSchema()).items():
        if key in EXAMPLE_VALUES:
            continue
        value: Any = example
        for part in key.split("."):
            value = value[part]
        default = field.load_default() if callable(field.load_default) else field.load_default
        assert value == default, key


def test_example__every_key_is_explained():
    """Each key line has a comment right above it (what it does, when to change it)."""
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line and not line.startswith(("#", "[")):
            assert lines[i - 1].startswith("#"), f"no comment above {line!r}"


def test_example__readme_points_at_it():
    """The README's configuration section sends operators to the example."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    assert "node.example.toml" in section


# -- AGENCY_NODE_DATABASE_URL -------------------------------------------------------------------------------------

@pytest.mark.parametrize("url, reason", [
    ("mysql://u@h/db", "must start with sqlite://, postgres:// or postgresql://"),
    ("asyncpg://u@h/db", "must start with sqlite://"),
    ("sqlite://", "needs a file path"),
    ("sqlite://?mode=rw", "needs a file path"),
    ("postgres://u:pw@/db", "needs a host"),
    ("postgresql://u:pw@db.example", "needs a database name"),
    ("postgres://u:pw@db.example/", "needs a database name"),
    ("postgres://u:pw@db.example:99999/news", "bad port"),
    ("postgres://u:pw@db.example:x/news", "bad port"),
])
def test_config__env_database_url_is_validated(url, reason):
    """A bad AGENCY_NODE_DATABASE_URL is refused like node.database_url, naming the variable, not echoing it."""
    message = error({ENV_DATABASE_URL: url})
    assert message.startswith(f"{ENV_DATABASE_URL} (environment): ") and reason in message
    assert "pw" not in message


@pytest.mark.parametrize("url", ["sqlite://", "mysql://x/y", "postgres:///db"])
def test_config__file_database_url_is_validated(url):
    """The same URL rules apply to node.database_url in the file."""
    assert error(node={"database_url": url}).startswith("node.toml: node.database_url: ")


def test_config__env_database_url_overrides_the_file():
    """A good AGENCY_NODE_DATABASE_URL wins over node.database_url."""
    url = "postgresql://news:pw@db.example:5433/wire"
    assert load({ENV_DATABASE_URL: url}, node={"database_url": "sqlite://x.sqlite3"}).database_url == url


@pytest.mark.parametrize("token", ["short", "has a space in the middle of it", "x" * 15])
def test_config__env_api_token_is_validated(token):
    """AGENCY_NODE_API_TOKEN must be long enough and without spaces; the message does not repeat it."""
    message = error({ENV_API_TOKEN: token})
    assert message.startswith(f"{ENV_API_TOKEN} (environment): must be at least 16 characters")
    assert token not in message


def test_config__env_api_token_replaces_the_hash():
    """A good token from the environment is stored only as its hash, replacing the file's."""
    config = load({ENV_API_TOKEN: "t" * 16}, api={"token_sha256": "0" * 64})
    assert config.api_token_sha256 == hash_token("t" * 16)


def test_config__sqlite_folder_must_exist(tmp_path):
    """SQLite creates its file but not the folder: a missing folder is named at load time (file or env)."""
    url = f"sqlite://{tmp_path / 'nowhere' / 'node.sqlite3'}"
    assert error(node={"database_url": url}).startswith(
        f"node.toml: node.database_url: the folder {tmp_path / 'nowhere'} does not exist")
    assert error({ENV_DATABASE_URL: url}).startswith(f"{ENV_DATABASE_URL} (environment): the folder")
    (tmp_path / "nowhere").mkdir()
    assert load(node={"database_url": url}).database_url.startswith(url)


# -- node.base_url, agency.url, agency.icon_url ---------------------------------------------------------------------

@pytest.mark.parametrize("url, reason", [
    ("https://editor:secret@news.example.org", "must not contain credentials"),
    ("https://@news.example.org", "must not contain credentials"),
    ("https://news.example.org:0", "bad port"),
    ("https://news.example.org:65536", "bad port"),
    ("https://news.example.org:http", "bad port"),
    ("https://news.example.org:", "bad port"),
    ("https://news.example.org/?lang=az", "must not have a query"),
    ("https://news.example.org?", "must not have a query"),
    ("https://news.example.org/#top", "must not have a fragment"),
    ("https://news.example.org/wire", "no path"),
    ("https://news.example.org/wire/", "no path"),
    ("ftp://news.example.org", "absolute http(s) URL"),
    ("news.example.org", "absolute http(s) URL"),
    ("https://", "absolute http(s) URL"),
    ("https://News.Example.org", "lower case"),
    ("https://news example.org", "not a valid host name"),
])
def test_config__base_url_rejects(url, reason):
    """node.base_url must be a bare site root: each defect is named."""
    message = error(node={"base_url": url})
    assert message.startswith("node.toml: node.base_url: ") and reason in message
    assert "secret" not in message


@pytest.mark.parametrize("url, kept", [
    ("https://news.example.org/", "https://news.example.org"),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ("http://[::1]:8080/", "http://[::1]:8080"),
])
def test_config__base_url_accepts(url, kept):
    """A site root, with port or trailing slash, is fine; the slash is dropped."""
    assert load(node={"base_url": url}).base_url == kept


@pytest.mark.parametrize("key", ["url", "icon_url"])
@pytest.mark.parametrize("value", ["ftp://example.org/x", "example.org", "https://", "/logo.png", "https://x:99999/"])
def test_config__agency_urls_must_be_http(key, value):
    """agency.url and agency.icon_url: absolute http(s) URLs or empty."""
    assert error(agency={key: value}).startswith(f"node.toml: agency.{key}: ")


@pytest.mark.parametrize("key", ["url", "icon_url"])
def test_config__agency_urls_may_be_empty(key):
    """Empty means none; a real URL is kept."""
    assert getattr(load(agency={key: ""}).agency, key) == ""
    assert getattr(load(agency={key: "https://www.example.org/a"}).agency, key) == "https://www.example.org/a"


# -- strict types -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("section, key, value, reason", [
    ("node", "listen_port", "8080", "must be an integer, not a string"),
    ("node", "listen_port", True, "must be an integer, not a boolean"),
    ("node", "listen_port", 8080.0, "must be an integer, not a float"),
    ("agency", "manually_approves_followers", "true", "must be a boolean (true or false), not a string"),
    ("agency", "discoverable", 1, "must be a boolean (true or false), not an integer"),
    ("agency", "name", ["Baku", "News"], "must be a string, not an array"),
    ("agency", "summary", 3, "must be a string, not an integer"),
    ("node", "base_url", {"host": "x"}, "must be a string, not a table"),
    ("agency", "languages", "az", "must be an array, not a string"),
    ("federation", "fetch_timeout_seconds", "10", "must be a number, not a string"),
    ("federation", "allow_private_addresses", "no", "must be a boolean"),
    ("delivery", "concurrency", 1.5, "must be an integer, not a float"),
    ("api", "token_sha256", 0, "must be a string, not an integer"),
    ("api", "token_sha256", "ABC", "must be 64 lower-case hex characters"),
    ("node", "listen_host", "", "must be an address or host name"),
    ("node", "listen_host", "127.0.0.1\n", "must be an address or host name"),
    ("api", "token_sha256", "0" * 64 + "\n", "must be 64 lower-case hex characters"),
    ("agency", "handle", "baku\n", "must be 1-30 characters"),
])
def test_config__types_are_strict(section, key, value, reason):
    """No coercion: a string where a number or boolean belongs (or a list for a string) is an error; and a few
    string formats."""
    message = error(**{section: {key: value}})
    assert f"{section}.{key}: {reason}" in message


def test_config__array_entries_are_typed():
    """An entry of the wrong type is named by its index."""
    assert "agency.languages[1]: must be a string, not an integer" in error(agency={"languages": ["az", 7]})
    assert ("federation.allowed_private_networks[0]: must be a string"
            in error(federation={"allowed_private_networks": [10]}))


def test_config__section_must_be_a_table():
    """`delivery = 5` names the section."""
    data = {**copy.deepcopy(MINIMAL), "delivery": 5}
    with pytest.raises(ConfigError, match=r"node.toml: delivery: must be a table, not an integer"):
        config_from_dict(data, source="node.toml", environ={})


# -- languages -------------------------------------------------------------------------------------------------

def test_config__languages_are_normalised():
    """Tags come out in canonical case, in the order given."""
    config = load(agency={"languages": ["AZ-cyrl", "uz-latn", "zh-hans", "en", "pt-br"]})
    assert config.agency.languages == ("az-Cyrl", "uz-Latn", "zh-Hans", "en", "pt-BR")


@pytest.mark.parametrize("tag, reason", [
    ("xx", "unknown language 'xx'"),
    ("en-", "not a BCP 47 language tag"),
    ("e n", "not a BCP 47 language tag"),
    ("az-Qqqq", "unknown script"),
])
def test_config__unknown_language_names_the_entry(tag, reason):
    """A bad tag is reported with its index and the tag itself."""
    message = error(agency={"languages": ["az", tag]})
    assert "agency.languages[1]: " in message and repr(tag) in message and reason in message


def test_config__empty_language_entry():
    """An empty entry is named by its index."""
    assert "agency.languages[0]: a language tag is required" in error(agency={"languages": ["", "az"]})


def test_config__duplicate_languages():
    """The same language twice (also after case normalisation) is an error; an empty list is too."""
    assert "agency.languages: 'az' is listed twice" in error(agency={"languages": ["az", "en", "AZ"]})
    assert "agency.languages: must list at least one language" in error(agency={"languages": []})


# -- other keys ------------------------------------------------------------------------------------------------

def test_config__unknown_keys_and_sections():
    """A key or section the schema does not know is an error, not silently ignored."""
    assert "node.toml: node.listen: unknown key" in error(node={"listen": 1})
    # [translation] exists since issue 3; a misspelt section is still refused.
    assert "node.toml: translations: unknown key" in error(translations={"engine": "x"})


def test_config__missing_required_keys():
    """Required keys are named when missing."""
    with pytest.raises(ConfigError) as info:
        config_from_dict({"node": {}, "agency": {"handle": "baku"}}, source="node.toml", environ={})
    assert "node.base_url: missing" in str(info.value) and "agency.name: missing" in str(info.value)


def test_config__private_networks_and_delivery_timing():
    """allowed_private_networks entries are IP networks; the retry delay cap is not below the first delay."""
    assert ("federation.allowed_private_networks[1]: 'lan' is not an IP network"
            in error(federation={"allowed_private_networks": ["10.0.0.0/8", "lan"]}))
    assert load(federation={"allowed_private_networks": ["10.0.0.0/8", "fd00::/8", "192.168.1.7"]})
    assert ("delivery.max_delay_seconds: must not be less than delivery.base_delay_seconds"
            in error(delivery={"base_delay_seconds": 60, "max_delay_seconds": 30}))
    # A live worker's claims must not look dead between two of its heartbeats.
    assert ("delivery.stale_claim_seconds: must be more than delivery.heartbeat_seconds"
            in error(delivery={"heartbeat_seconds": 5, "stale_claim_seconds": 5}))


def test_config__marshmallow_messages_read_on_from_the_key():
    """Built-in messages are lower-cased after the key, and several problems are joined on one line."""
    message = error(node={"listen_port": 70000, "log_level": "LOUD"})
    assert "node.listen_port: must be greater than or equal to 1" in message
    assert "node.log_level: must be one of: DEBUG, INFO, WARNING, ERROR" in message


def test_config__redact_url():
    """Passwords are replaced in URLs meant for messages and logs; other URLs are unchanged."""
    assert redact_url("postgres://news:s3cret@db:5432/wire") == "postgres://news:***@db:5432/wire"
    assert redact_url("postgres://news@db/wire?password=s3cret&sslmode=require") == (
        "postgres://news@db/wire?password=***&sslmode=require")
    assert redact_url("sqlite:///srv/node.sqlite3?synchronous=NORMAL") == (
        "sqlite:///srv/node.sqlite3?synchronous=NORMAL")


# -- the real CLI on a bad config ------------------------------------------------------------------------------

def cli(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 60
        ) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name in (ENV_DATABASE_URL, ENV_API_TOKEN, "AGENCY_NODE_CONFIG"):
        full_env.pop(name, None)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "node.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=full_env)


def one_line_failure(res: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert res.returncode != 0, res.stdout
    assert res.stderr.count("\n") == 1, res.stderr
    for needle in needles:
        assert needle in res.stderr, res.stderr
    return res.stderr


@pytest.mark.parametrize("command", ["run", "migrate", "worker", "wire"])
@pytest.mark.parametrize("section, values, key", [
    ("node", {"listen_port": "8080"}, "node.listen_port"),
    ("node", {"base_url": "https://u:p@news.example.org"}, "node.base_url"),
    ("agency", {"languages": ["az", "xx"]}, "agency.languages[1]"),
    ("agency", {"colour": "red"}, "agency.colour"),
])
def test_cli__bad_config_stops_with_one_line(tmp_path, command, section, values, key):
    """`agency-node COMMAND --config bad.toml` (the option before or after COMMAND) exits 1 with one stderr line
    naming the key; nothing is created."""
    data = copy.deepcopy(MINIMAL)
    data["node"]["database_url"] = "sqlite://node.sqlite3"
    data[section].update(values)
    write_config(tmp_path / "bad.toml", data)
    write_config(tmp_path / "node.toml", MINIMAL)  # the default file is fine: the option must win over it
    for args in ((command, "--config", "bad.toml"), ("--config", "bad.toml", command), ("-c", "bad.toml", command)):
        res = cli(*args, cwd=tmp_path)
        one_line_failure(res, f"agency-node {command}: bad.toml: {key}: ")
    assert not (tmp_path / "node.sqlite3").exists()


def test_cli__bad_env_database_url_stops_with_one_line(tmp_path):
    """A bad AGENCY_NODE_DATABASE_URL stops `run` and `migrate` naming the variable, without echoing it."""
    write_config(tmp_path / "node.toml", MINIMAL)
    for command in ("run", "migrate"):
        res = cli(command, cwd=tmp_path, env={ENV_DATABASE_URL: "postgres://news:s3cret@/wire"})
        err = one_line_failure(res, f"agency-node {command}: {ENV_DATABASE_URL} (environment): ", "needs a host")
        assert "s3cret" not in err


def test_cli__unusable_database_is_one_line(tmp_path):
    """A database that cannot be opened is reported as such, naming where its URL came from (not "run
    migrate first"); a SQLite folder that does not exist stops `migrate` at once instead of hanging."""
    write_config(tmp_path / "node.toml", MINIMAL)
    env = {ENV_DATABASE_URL: f"postgres://news:{PASSWORD}@127.0.0.1:1/wire"}
    err = one_line_failure(cli("wire", cwd=tmp_path, env=env),
                           f"cannot open the database postgres://news:***@127.0.0.1:1/wire ({ENV_DATABASE_URL})")
    assert PASSWORD not in err
    err = one_line_failure(cli("migrate", cwd=tmp_path, env=env),
                           f"migration failed on postgres://news:***@127.0.0.1:1/wire ({ENV_DATABASE_URL})")
    assert PASSWORD not in err
    data = copy.deepcopy(MINIMAL)
    data["node"]["database_url"] = "sqlite://missing/node.sqlite3"
    write_config(tmp_path / "node.toml", data)
    one_line_failure(cli("migrate", cwd=tmp_path, timeout=30), "node.toml: node.database_url: the folder ")


def test_cli__init_reads_config_strictly(tmp_path):
    """init refuses bad options (named as the config key they become) and, with --if-missing, a bad existing file."""
    res = cli("init", "--base-url", "https://news.example.org/wire", cwd=tmp_path)
    one_line_failure(res, "agency-node init: init: node.base_url: must be the site root")
    res = cli("init", "--languages", "az,qq", cwd=tmp_path)
    one_line_failure(res, "agency-node init: init: agency.languages[1]: 'qq'")
    assert not (tmp_path / "node.toml").exists() and not list(tmp_path.glob("*.tmp"))
    data = copy.deepcopy(MINIMAL)
    data["agency"]["discoverable"] = "yes"
    write_config(tmp_path / "node.toml", data)
    res = cli("init", "--if-missing", cwd=tmp_path)
    one_line_failure(res, "agency-node init: node.toml: agency.discoverable: must be a boolean")
    write_config(tmp_path / "node.toml", MINIMAL)
    res = cli("init", "--if-missing", cwd=tmp_path, env={ENV_DATABASE_URL: "sqlite://"})
    one_line_failure(res, f"{ENV_DATABASE_URL} (environment): a SQLite URL needs a file path")
    (tmp_path / "node.toml").unlink()
    res = cli("init", cwd=tmp_path, env={ENV_DATABASE_URL: "sqlite://"})
    one_line_failure(res, f"{ENV_DATABASE_URL} (environment): a SQLite URL needs a file path")
    assert not (tmp_path / "node.toml").exists()


# -- secrets stay out of logs ------------------------------------------------------------------------------------

TOKEN = "tok-9f3a7c1e55d24b0bb0c8-never-log"
PASSWORD = "pw-4e1b90d7c2-never-log"


def _with_password(url: str) -> str:
    scheme, rest = url.split("://", 1)
    creds, _, host = rest.rpartition("@")
    user = creds.split(":", 1)[0] or "postgres"
    return f"{scheme}://{user}:{PASSWORD}@{host or rest}"


@pytest.fixture(params=["sqlite", "postgres"])
def secret_database(request: pytest.FixtureRequest):  # noqa: ANN201
    """None for SQLite, or a fresh PostgreSQL database's URL (the server trusts local users, so any password
    in the URL is sent along and accepted: it is there only to be looked for in the logs)."""
    if request.param == "sqlite":
        yield None
        return
    if not os.environ.get(POSTGRES_ENV):
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV} (set by .ci/run)")
    yield "postgres"


def _record_text(record: logging.LogRecord) -> str:
    """Everything a log handler could write for a record: the message, its arguments, extra fields, traceback."""
    parts = [record.getMessage(), repr(record.args)]
    parts += [f"{k}={v!r}" for k, v in vars(record).items() if k not in ("msg", "args")]
    if record.exc_info and record.exc_info[1] is not None:
        parts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(parts)


async def test_secrets__not_logged_by_a_running_node(tmp_path, caplog, secret_database):
    """A node started with AGENCY_NODE_API_TOKEN and a database password, used through the API and stopped,
    logs neither (at DEBUG, every logger, including extra fields)."""
    caplog.set_level(logging.DEBUG)
    async with _database(secret_database) as admin_url:
        data = node_config_data(tmp_path, "baku")
        env = {ENV_API_TOKEN: TOKEN}
        if admin_url:
            env[ENV_DATABASE_URL] = _with_password(admin_url)
        config = config_from_dict(data, environ=env)
        assert PASSWORD not in repr(config)
        async with running_node(tmp_path, "baku", config=config) as node:
            status, _ = await node.api("POST", "/api/stories", {"headline": "Port reopens", "body": "<p>x</p>",
                                                                 "language": "en"}, token=TOKEN)
            assert status == 201
            status, _ = await node.api("GET", "/api/stories", token="wrong-" + TOKEN)
            assert status == 401
            await node.node.deliver_once()
    text = "\n".join(_record_text(r) for r in caplog.records)
    assert caplog.records, "nothing was logged: the test would prove nothing"
    assert TOKEN not in text and PASSWORD not in text


def test_secrets__not_in_cli_output(tmp_path, secret_database):
    """`migrate` and `run` (log level DEBUG, an API call with the token) print neither the token, nor the
    database password, nor the private keys the run generates, on stdout or stderr."""
    import asyncio

    async def _scenario() -> None:
        async with _database(secret_database) as admin_url:
            port = free_port()
            data = node_config_data(tmp_path, "baku", port=port)
            data["node"]["log_level"] = "DEBUG"
            data["api"]["token_sha256"] = ""
            write_config(tmp_path / "node.toml", data)
            env = {ENV_API_TOKEN: TOKEN}
            if admin_url:
                env[ENV_DATABASE_URL] = _with_password(admin_url)
            outputs = [await asyncio.to_thread(cli, "migrate", cwd=tmp_path, env=env)]
            assert outputs[0].returncode == 0, outputs[0].stderr
            if admin_url:
                assert "postgres:***@" in outputs[0].stdout
            outputs.append(await asyncio.to_thread(_run_and_call_api, tmp_path, port, env))
            for res in outputs:
                assert TOKEN not in res.stdout + res.stderr and PASSWORD not in res.stdout + res.stderr
            # The run generated the key pairs: the database drivers' DEBUG lines would print them.
            assert "DEBUG" in outputs[1].stderr and "keys.generated" in outputs[1].stderr
            assert "PRIVATE KEY" not in outputs[1].stderr

    asyncio.run(_scenario())


def _run_and_call_api(folder: Path, port: int, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    proc = subprocess.Popen([sys.executable, "-m", "node.cli", "run", "--access-log"], cwd=folder, env=full_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            req = urllib.request.Request(f"http://127.0.0.1:{port}/api/stories",
                                         headers={"Authorization": f"Bearer {TOKEN}"})
            try:
                with urllib.request.urlopen(req, timeout=2) as resp:
                    assert resp.status == 200
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "node did not start"
                time.sleep(0.1)
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=20)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _database(kind: str | None) -> Any:
    import contextlib

    if kind == "postgres":
        return postgres_database()
    return contextlib.nullcontext(None)


# -- trust -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("domain, reason", [
    ("Spam.example", "must be in lower case"),
    ("*.spam.example", "without '*.'"),
    ("https://spam.example/", "is a URL; give only its host, e.g. spam.example"),
    ("spam.example/path", "must be a host name"),
    ("spam example", "not a valid host name"),
    ("spam.example:99999", "bad port"),
    ("bücher.example", "punycode"),
    ("", "must not be empty"),
])
def test_config__trust_domains_are_hosts(domain, reason):
    """A blocklist/allowlist entry that could never match a host is refused, naming the entry and why."""
    message = error(trust={"domains": ["ok.example", domain]})
    assert "trust.domains[1]: " in message and reason in message, message


@pytest.mark.parametrize("partner, reason", [
    ("desk", "a handle such as desk@partner.example"),
    ("@partner.example", "a handle such as desk@partner.example"),
    ("desk@Partner.example", "must be in lower case"),
    ("ftp://partner.example/desk", "http(s) actor URI"),
    ("https://", "has no host"),
    ("https://partner.example:0/actors/desk", "bad port"),
])
def test_config__trust_partners_are_actors_or_handles(partner, reason):
    """A partner must be an actor URI or a name@host handle; anything else is refused with the entry named."""
    message = error(trust={"partners": ["desk@partner.example", partner]})
    assert "trust.partners[1]: " in message and reason in message, message


def test_config__trust_entries_accepted_and_unique():
    """The documented spellings load; the same entry twice is an error."""
    config = load(trust={"mode": "allowlist", "domains": ["ok.example", "wire.example:8443", "10.0.0.7"],
                         "partners": ["https://wire.example/actors/desk", "desk@partner.example",
                                      "@news@partner.example", "acct:desk@other.example"]})
    assert config.trust["domains"] == ["ok.example", "wire.example:8443", "10.0.0.7"]
    assert "trust.domains: 'a.example' is listed twice" in error(trust={"domains": ["a.example", "a.example"]})
