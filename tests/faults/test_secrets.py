"""Secrets never reach a log line or an error page, through a whole (small) integration run.

Two loopback nodes; every logger, the drivers' too (aiosqlite, tortoise, asyncpg, aiohttp), captured at DEBUG.
The run makes a user with a password, logs in (session cookie and CSRF token), makes an API token, publishes with
it, follows between the nodes and delivers, translates through an engine that needs an API key, and tries a wrong
password, a wrong token and a missing CSRF token. Then every captured line (with tracebacks) and every HTTP error
body is searched for each secret it created: the private key PEMs (RSA and Ed25519, taken from the database),
tokens, cookie, CSRF token, passwords and the engine's API key.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from typing import Any, Iterator

import pytest

from node.identity.models import ActorKey, ProofKey
from node.logsafety import hide_query_values
from tests.libretranslate_stub import LibreTranslateStub
from tests.node.accounts.helpers import CHEAP, STORY, add_user, desk
from tests.nodes import TOKEN, node_config, postgres_database, running_node, settle

PASSWORD = "Tulip-ferry-9-kerosene"
API_KEY = "lt-key-5f1d0c9e7a"
DRIVERS = ("", "aiosqlite", "tortoise", "tortoise.db_client", "asyncpg", "aiohttp", "aiohttp.access",
           "aiohttp.client", "aiohttp.server", "aiohttp.web", "agency_node")


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record) + " " + repr(record.__dict__.get("extra", "")))


@contextlib.contextmanager
def every_log_at_debug() -> Iterator[_Capture]:
    capture = _Capture()
    saved = {name: logging.getLogger(name).level for name in DRIVERS}
    for name in DRIVERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    logging.getLogger().addHandler(capture)
    try:
        yield capture
    finally:
        logging.getLogger().removeHandler(capture)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def _pem_pieces(pem: str) -> list[str]:
    """The base64 lines of a PEM body: any one of them in a log is a leak."""
    return [line for line in pem.strip().splitlines() if line and not line.startswith("-----")]


async def _keys() -> list[str]:
    pems = [k.private_key_pem for k in await ActorKey.all()]
    pems += [k.private_key_pem for k in await ProofKey.all() if k.private_key_pem]
    return pems


@pytest.mark.postgres
async def test_secrets__no_secret_in_any_log_line_or_error_body(tmp_path: Any, database_url: Any) -> None:
    """A full run at DEBUG: no private key, token, cookie, CSRF token, password or engine key in logs or errors."""
    errors: list[str] = []
    secrets: dict[str, str] = {"password": PASSWORD, "api_key": API_KEY, "node_token": TOKEN}
    with every_log_at_debug() as log:
        async with LibreTranslateStub(api_keys={API_KEY}) as stub, contextlib.AsyncExitStack() as stack:
            urls = [await stack.enter_async_context(postgres_database()) if database_url == "postgres" else None
                    for _ in range(2)]
            baku_cfg = node_config(tmp_path, "baku", database_url=urls[0], sections={
                "accounts": CHEAP,
                "translation": {"engine": "libretranslate", "url": stub.url, "api_key": API_KEY,
                                "allow_private_engine": True, "targets": ["ru"], "review_machine": False}})
            ankara_cfg = node_config(tmp_path, "ankara", database_url=urls[1])
            async with running_node(tmp_path, "baku", config=baku_cfg) as baku, \
                    running_node(tmp_path, "ankara", config=ankara_cfg) as ankara:
                await add_user(baku, "aysel", "editor", PASSWORD)
                async with desk(baku) as d:
                    status, doc, headers = await d.login("aysel", PASSWORD)
                    assert status == 201, doc
                    secrets["csrf"] = d.csrf
                    secrets["cookie"] = next(c.value for c in d.session.cookie_jar)
                    status, made, _ = await d.call("POST", "/api/tokens", {})
                    assert status == 201, made
                    secrets["user_token"] = made["token"]
                    status, doc, _ = await d.call("POST", "/api/stories", STORY, csrf=False)  # no CSRF token
                    assert status == 403
                    errors.append(str(doc))
                # Ankara follows Baku; Baku publishes with the user's token; the story is delivered.
                status, doc = await ankara.api("POST", "/api/following", {"handle": baku.handle})
                assert status in (201, 202), doc
                await settle(ankara, baku)
                status, story = await baku.api("POST", "/api/stories", {**STORY, "language": "en"},
                                               token=made["token"])
                assert status == 201, story
                await settle(ankara, baku)
                assert await baku.node.translate_once() == 1
                assert stub.calls, "the engine was called with its key"
                _, inbox = await ankara.api("GET", "/api/wire")
                # Failures: a wrong password, an unknown user, a wrong token, the password as a token.
                async with desk(baku) as d:
                    for user, pw in (("aysel", PASSWORD + "x"), ("nobody", PASSWORD)):
                        status, doc, _ = await d.login(user, pw)
                        assert status == 401
                        errors.append(str(doc))
                for token in (made["token"] + "x", PASSWORD, TOKEN[:-1]):
                    status, doc = await baku.api("GET", "/api/stories", token=token)
                    assert status == 401
                    errors.append(str(doc))
                pems = await baku.db(_keys) + await ankara.db(_keys)
        assert len(pems) >= 4 and any("BEGIN PRIVATE KEY" in p for p in pems)
    assert any(line.startswith("tortoise.db_client DEBUG INSERT") for line in log.lines), "drivers captured"
    pieces = {f"{name}": value for name, value in secrets.items()}
    for n, pem in enumerate(pems):
        for i, piece in enumerate(_pem_pieces(pem)):
            pieces[f"pem{n}.{i}"] = piece
    text = "\n".join(log.lines) + "\n" + "\n".join(errors)
    leaks = sorted({name for name, value in pieces.items() if value in text})
    found = [line[:300] for line in log.lines + errors if any(v in line for v in pieces.values())][:5]
    assert leaks == [], (leaks, found)


@pytest.mark.parametrize("name, msg, args", [
    ("tortoise.db_client", "%s: %s", ("INSERT INTO t (a) VALUES (?)", ["-----BEGIN PRIVATE KEY-----s3cr3t"])),
    ("tortoise.db_client", "Created connection pool %s with params: %s", ("<pool>", {"password": "s3cr3t"})),
    ("aiosqlite", "executing %s", (functools.partial(print, "INSERT INTO t (a) VALUES (?)", ["s3cr3t"]),)),
    ("asyncpg.pool", "connection %s: %r", ("x", "s3cr3t")),
])
def test_logsafety__driver_lines_lose_their_values(name: str, msg: str, args: tuple[Any, ...],
                                                   caplog: pytest.LogCaptureFixture) -> None:
    """Each driver's query and pool lines keep the SQL text and lose the values, whatever the level."""
    hide_query_values()
    caplog.set_level(logging.DEBUG, logger=name)
    logging.getLogger(name).debug(msg, *args)
    (record,) = [r for r in caplog.records if r.name == name]
    assert "s3cr3t" not in record.getMessage() and "[values hidden]" in record.getMessage()
    if "INSERT" in str(args[0]):
        assert "INSERT INTO t (a) VALUES (?)" in record.getMessage()


def test_secrets__cli_run_at_debug_prints_no_secret(tmp_path: Any) -> None:
    """`init`, `users add`, `publish`, `users list` and `run` (serving logins, a bad token and a publish) at log
    level DEBUG, with an engine API key in the config: after init (which shows its token once), no command prints
    a private key, the token, the password, the session cookie or the engine key."""
    import re
    import sqlite3

    from tests.node.test_cli import cli
    from tests.nodes import free_port

    port = free_port()
    res = cli("init", "--handle", "baku", "--name", "Baku News", "--port", str(port), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    token = re.search(r"editor API token \(shown once, keep it safe\): (\S+)", res.stdout).group(1)  # type: ignore
    path = tmp_path / "node.toml"
    text = path.read_text(encoding="utf-8").replace("[node]\n", '[node]\nlog_level = "DEBUG"\n', 1)
    path.write_text(text + '\n[accounts]\npassword_time_cost = 1\npassword_memory_kib = 8192\n'
                    f'\n[translation]\napi_key = "{API_KEY}"\n', encoding="utf-8")
    outputs = []
    for args, stdin in ((("users", "add", "aysel", "--role", "editor", "--password-stdin"), PASSWORD + "\n"),
                        (("publish", "--headline", "Ferry line reopens", "--body", "Crossings resume.",
                          "--language", "en"), None),
                        (("users", "list"), None)):
        res = cli(*args, cwd=tmp_path, input_=stdin)
        assert res.returncode == 0, res.stderr
        outputs.append(res.stdout + res.stderr)
    outputs.append(_serve_a_little(tmp_path, port, token))
    assert "DEBUG" in outputs[-1] and "accounts.login" in outputs[-1], "`run` logged at DEBUG"
    (db,) = tmp_path.glob("*.sqlite3")
    with contextlib.closing(sqlite3.connect(db)) as conn:
        pems = [r[0] for r in conn.execute("SELECT private_key_pem FROM actor_key")]
        pems += [r[0] for r in conn.execute("SELECT private_key_pem FROM proof_key WHERE private_key_pem IS NOT NULL")]
    assert len(pems) >= 2
    pieces = [PASSWORD, API_KEY, token, *_SERVED, *(p for pem in pems for p in _pem_pieces(pem))]
    assert [p[:12] for p in pieces if any(p in out for out in outputs)] == []


_SERVED: list[str] = []  # the session cookie and CSRF token `run` handed out


def _serve_a_little(folder: Any, port: int, token: str) -> str:
    """Start `agency-node run`, log in (right and wrong), publish with the token and with a wrong one, stop it;
    return what it printed."""
    import json
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    from tests.node.test_cli import ROOT

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("AGENCY_NODE_DATABASE_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "node.cli", "run"], cwd=folder, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            assert proc.poll() is None and time.monotonic() < deadline, "the node did not start"
            time.sleep(0.1)

        def call(path: str, body: Any, headers: dict[str, str]) -> tuple[int, str, Any]:
            req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json", **headers}, method="POST")
            try:
                with urllib.request.urlopen(req, timeout=10) as resp:
                    return resp.status, resp.read().decode(), resp.headers
            except urllib.error.HTTPError as exc:
                return exc.code, exc.read().decode(), exc.headers

        status, body, headers = call("/api/session", {"username": "aysel", "password": PASSWORD}, {})
        assert status == 201, body
        _SERVED.extend([headers["Set-Cookie"].split(";", 1)[0].split("=", 1)[1], json.loads(body)["csrf_token"]])
        errors = [call("/api/session", {"username": "aysel", "password": PASSWORD + "x"}, {}),
                  call("/api/stories", STORY, {"Authorization": f"Bearer {token}x"})]
        assert [e[0] for e in errors] == [401, 401]
        status, body, _ = call("/api/stories", {**STORY, "language": "en"}, {"Authorization": f"Bearer {token}"})
        assert status == 201, body
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    return out + "".join(e[1] for e in errors)
