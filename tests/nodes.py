"""Real nodes for tests: each an aiohttp server on its own loopback port with its own database.

    async with running_node(tmp_path, "baku") as baku:
        status, doc = await baku.api("POST", "/api/stories", {...})
        await baku.node.deliver_once()

Workers do not run in the background here: tests drive them with `deliver_once()` / `process_inbox_once()`
(or `settle()`, which runs both on a set of nodes until nothing is left to do).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import errno
import os
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator

import aiohttp
from aiohttp import web

from node.web.app import create_app
from node.config import Config, config_from_dict, hash_token
from node.db import activate, migrate
from node.runtime import Node
from node.web.keys import NODE

POSTGRES_ENV = "AGENCY_NODE_TEST_POSTGRES_URL"
TOKEN = "test-token-not-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def node_config_data(tmp: Path, handle: str, *, port: int | None = None, database_url: str | None = None,
                     sections: dict[str, dict[str, Any]] | None = None, **agency: Any) -> dict[str, Any]:
    """The config document of a loopback test node; `sections` overrides keys per section."""
    port = port or free_port()
    data = {
        "node": {"base_url": f"http://127.0.0.1:{port}", "listen_port": port,
                 "database_url": database_url or f"sqlite://{tmp / (handle + '.sqlite3')}"},
        "agency": {"handle": handle, "name": f"{handle.title()} News Agency", "languages": ["en"], **agency},
        "api": {"token_sha256": hash_token(TOKEN)},
        "federation": {"allow_private_addresses": True, "fetch_timeout_seconds": 5},
        "delivery": {"timeout_seconds": 5, "base_delay_seconds": 0.01, "max_delay_seconds": 1},
        "media": {"dir": str(tmp / f"{handle}-media")},
    }
    for section, values in (sections or {}).items():
        data.setdefault(section, {}).update(values)
    return data


def node_config(tmp: Path, handle: str, **kwargs: Any) -> Config:
    """A config for a loopback test node (private addresses allowed: tests talk to 127.0.0.1)."""
    return config_from_dict(node_config_data(tmp, handle, **kwargs), environ={})


def write_config(path: Path, data: dict[str, Any]) -> Path:
    """Write a config document as TOML (flat sections of strings, numbers, booleans and lists)."""
    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'
    lines = []
    for section, values in data.items():
        lines.append(f"[{section}]")
        lines += [f"{k} = {value(v)}" for k, v in values.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def migrate_in_own_context(database_url: str) -> None:
    """Run migrations in a fresh tortoise context (as `agency-node migrate` does in its own process)."""
    from tortoise.context import TortoiseContext

    async def _run() -> None:
        activate(TortoiseContext())
        await migrate(database_url)

    await asyncio.get_running_loop().create_task(_run())


@contextlib.asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """A fresh PostgreSQL database for one node, dropped afterwards."""
    import asyncpg

    admin_url = os.environ[POSTGRES_ENV]
    name = f"agency_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = admin_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


@dataclass
class RunningNode:
    """A started node and a client for its HTTP API."""

    config: Config
    node: Node
    session: aiohttp.ClientSession

    @property
    def base_url(self) -> str:
        return self.config.base_url

    @property
    def handle(self) -> str:
        return f"acct:{self.config.agency.handle}@{self.config.host}"

    @property
    def actor_id(self) -> str:
        return self.node.urls.actor(self.config.agency.handle)

    async def api(self, method: str, path: str, json: Any = None, *, token: str | None = TOKEN) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.session.request(method, self.base_url + path, json=json, headers=headers) as resp:
            body = await resp.read()
            return resp.status, (await resp.json(content_type=None)) if body else None

    async def get(self, path: str, accept: str = "application/activity+json") -> tuple[int, Any, dict[str, str]]:
        async with self.session.get(self.base_url + path, headers={"Accept": accept}) as resp:
            body = await resp.read()
            ctype = resp.headers.get("Content-Type", "")
            data = (await resp.json(content_type=None)) if body and "json" in ctype else body.decode()
            return resp.status, data, dict(resp.headers)

    async def db(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a coroutine function against this node's database."""
        return await self.node.run(fn, *args, **kwargs)


@contextlib.asynccontextmanager
async def running_node(tmp: Path, handle: str, *, database_url: str | None = None, config: Config | None = None,
                       **agency: Any) -> AsyncIterator[RunningNode]:
    """Start a node (migrated database, own port) and stop it afterwards."""
    config = config or node_config(tmp, handle, database_url=database_url, **agency)
    await migrate_in_own_context(config.database_url)
    for attempt in range(5):
        app = create_app(config, run_workers=False)
        runner = web.AppRunner(app, keepalive_timeout=config.idle_timeout)  # as `agency-node run` does
        await runner.setup()
        try:
            await web.TCPSite(runner, "127.0.0.1", config.listen_port).start()
            break
        except OSError as exc:
            await runner.cleanup()
            # free_port() gives a port that another test process may take before we bind it (tests run side by
            # side under xdist): a loopback test node moves to a new free port rather than fail.
            if exc.errno != errno.EADDRINUSE or attempt == 4 or config.base_url != _loopback(config.listen_port):
                raise
            port = free_port()
            config = dataclasses.replace(config, base_url=_loopback(port), listen_port=port)
    try:
        async with aiohttp.ClientSession() as session:
            yield RunningNode(config, app[NODE], session)
    finally:
        await runner.cleanup()


def _loopback(port: int) -> str:
    return f"http://127.0.0.1:{port}"


async def settle(*nodes: RunningNode, rounds: int = 20) -> None:
    """Run inbox and delivery workers on all nodes until a full round handles nothing."""
    for _ in range(rounds):
        handled = 0
        for n in nodes:
            handled += await n.node.process_inbox_once()
            handled += await n.node.deliver_once()
        if handled == 0:
            return
    raise AssertionError(f"nodes did not settle after {rounds} rounds")


@contextlib.asynccontextmanager
async def node_on(tmp: Path, handle: str, database: str | None, **agency: Any) -> AsyncIterator[RunningNode]:
    """`running_node` on the database the `database_url` fixture chose: SQLite (None) or a fresh PostgreSQL."""
    if database == "postgres":
        async with postgres_database() as url, running_node(tmp, handle, database_url=url, **agency) as node:
            yield node
    else:
        async with running_node(tmp, handle, **agency) as node:
            yield node
