"""Real nodes for tests: each an aiohttp server on its own loopback port with its own database.

    async with running_node(tmp_path, "baku") as baku:
        status, doc = await baku.api("POST", "/api/stories", {...})
        await baku.node.deliver_once()

Workers do not run in the background here: tests drive them with `deliver_once()` / `process_inbox_once()`
(or `settle()`, which runs both on a set of nodes until nothing is left to do).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import dataclasses
import errno
import hashlib
import os
import shutil
import sqlite3
import tempfile
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
from node.web.serve import listen

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
    """Run migrations in a fresh tortoise context (as `agency-node migrate` does in its own process).

    A new SQLite file starts as a copy of a template this test process migrated once: tortoise rebuilds its model
    state for every migration, which made each test node spend seconds migrating the same schema again (the
    migrations themselves are tested on their own, from empty and from older layouts)."""
    if database_url.startswith("sqlite://"):
        path = Path(database_url[len("sqlite://"):].split("?", 1)[0])
        if not path.exists():
            shutil.copyfile(await _sqlite_template(), path)
            return
    await _migrate_fresh(database_url)


async def _migrate_fresh(database_url: str) -> None:
    from tortoise.context import TortoiseContext

    async def _run() -> None:
        activate(TortoiseContext())
        await migrate(database_url)

    await asyncio.get_running_loop().create_task(_run())


_TEMPLATE_DIR: Path | None = None


def _schema_version() -> str:
    """A hash of every migration file: a template is reused only for exactly this schema."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted([*root.glob("node/migrations/*.py"), *root.glob("federation/store/migrations/*.py")]):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


async def _sqlite_template() -> Path:
    """A SQLite database migrated to the current schema, made once per test process."""
    global _TEMPLATE_DIR
    if _TEMPLATE_DIR is None:
        _TEMPLATE_DIR = Path(tempfile.mkdtemp(prefix="agency-schema-"))
        atexit.register(shutil.rmtree, _TEMPLATE_DIR, True)
    template = _TEMPLATE_DIR / f"{_schema_version()}.sqlite3"
    if not template.exists():
        building = template.with_suffix(".building")
        await _migrate_fresh(f"sqlite://{building}")
        with contextlib.closing(sqlite3.connect(building)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # one self-contained file to copy
        for suffix in ("-wal", "-shm"):
            Path(str(building) + suffix).unlink(missing_ok=True)
        building.replace(template)
    return template


@contextlib.asynccontextmanager
async def postgres_database(migrated: bool = False) -> AsyncIterator[str]:
    """A fresh PostgreSQL database for one node, dropped afterwards: empty, or with `migrated` a copy of the
    current schema (the migration tests need an empty one)."""
    import asyncpg

    admin_url = os.environ[POSTGRES_ENV]
    name = f"agency_test_{uuid.uuid4().hex[:12]}"
    template = await _postgres_template(admin_url) if migrated else None
    conn = await asyncpg.connect(admin_url)
    try:
        # With `migrated`, a copy of a database this process migrated once (see migrate_in_own_context);
        # migrating it again is then a no-op.
        await conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
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


_PG_TEMPLATE: str | None = None


async def _postgres_template(admin_url: str) -> str:
    """A PostgreSQL database migrated to the current schema, made once per test process and dropped at exit."""
    import asyncpg

    global _PG_TEMPLATE
    name = f"agency_tpl_{_schema_version()}_{os.getpid()}"
    if _PG_TEMPLATE == name:
        return name
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    await _migrate_fresh(f"{admin_url.rsplit('/', 1)[0]}/{name}")
    conn = await asyncpg.connect(admin_url)
    try:  # a template must have no other session: the migration's pool may linger
        await conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 "
                           "AND pid <> pg_backend_pid()", name)
    finally:
        await conn.close()
    _PG_TEMPLATE = name
    atexit.register(_drop_postgres_template, admin_url, name)
    return name


def _drop_postgres_template(admin_url: str, name: str) -> None:
    import asyncpg

    async def drop() -> None:
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
    try:
        asyncio.run(drop())
    except Exception:  # noqa: BLE001 - at exit, a leftover template only costs disk
        pass


@dataclass
class RunningNode:
    """A started node and a client for its HTTP API."""

    config: Config
    node: Node
    session: aiohttp.ClientSession
    app: web.Application | None = None

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
            # Accepted through the connection limit, as `agency-node run` does (node/web/serve.py).
            server = await listen(runner, socket.create_server(("127.0.0.1", config.listen_port), backlog=128))
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
            yield RunningNode(config, app[NODE], session, app)
    finally:
        server.close()
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
        async with postgres_database(migrated=True) as url, running_node(tmp, handle, database_url=url,
                                                                          **agency) as node:
            yield node
    else:
        async with running_node(tmp, handle, **agency) as node:
            yield node
