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
from tests.nodes import TOKEN, node_config, running_node, settle

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


async def test_secrets__no_secret_in_any_log_line_or_error_body(tmp_path: Any) -> None:
    """A full run at DEBUG: no private key, token, cookie, CSRF token, password or engine key in logs or errors."""
    errors: list[str] = []
    secrets: dict[str, str] = {"password": PASSWORD, "api_key": API_KEY, "node_token": TOKEN}
    with every_log_at_debug() as log:
        async with LibreTranslateStub(api_keys={API_KEY}) as stub:
            baku_cfg = node_config(tmp_path, "baku", sections={
                "accounts": CHEAP,
                "translation": {"engine": "libretranslate", "url": stub.url, "api_key": API_KEY,
                                "allow_private_engine": True, "targets": ["ru"], "review_machine": False}})
            async with running_node(tmp_path, "baku", config=baku_cfg) as baku, \
                    running_node(tmp_path, "ankara") as ankara:
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
    assert any("tortoise" in line for line in log.lines), "the drivers' DEBUG lines were captured"
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
