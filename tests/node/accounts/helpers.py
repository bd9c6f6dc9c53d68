"""Shared by the accounts tests: a loopback node with cheap password hashing, users, and logged-in clients."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, AsyncIterator

import aiohttp

from node.accounts import users
from node.accounts.passwords import Hasher
from tests.nodes import RunningNode, node_config, postgres_database, running_node

# Cheapest argon2id the config allows: the tests hash many passwords on a shared 2-core machine.
CHEAP = {"password_time_cost": 1, "password_memory_kib": 8192}
PASSWORD = "correct horse battery"
STORY = {"headline": "Caspian ferry line reopens", "summary": "Baku-Aktau crossings resume on Monday.",
         "body": "<p>The ferry line between Baku and Aktau reopens.</p>", "language": "az"}


def accounts_config(tmp: Path, handle: str = "baku", agency: dict[str, Any] | None = None,
                    database_url: str | None = None, **accounts: Any) -> Any:
    """A loopback node's config with cheap hashing, any [accounts] overrides and [agency] keys."""
    return node_config(tmp, handle, sections={"accounts": {**CHEAP, **accounts}}, database_url=database_url,
                       **(agency or {}))


@contextlib.asynccontextmanager
async def accounts_node(tmp: Path, handle: str = "baku", agency: dict[str, Any] | None = None,
                        database: str | None = None, **accounts: Any) -> AsyncIterator[RunningNode]:
    """A running node (see accounts_config), on PostgreSQL when `database` is "postgres" (the `database_url`
    fixture), else on a SQLite file."""
    async with contextlib.AsyncExitStack() as stack:
        url = await stack.enter_async_context(postgres_database(migrated=True)) if database == "postgres" else None
        config = accounts_config(tmp, handle, agency, url, **accounts)
        yield await stack.enter_async_context(running_node(tmp, handle, config=config))


async def add_user(rn: RunningNode, username: str, role: str, password: str = PASSWORD) -> None:
    """Add a user in the node's database (as `agency-node users add` does)."""
    hasher = Hasher(CHEAP["password_time_cost"], CHEAP["password_memory_kib"])
    await rn.db(users.add_user, hasher, username, password, role)


class Desk:
    """A browser-like client of one node: its own cookie jar, the session's CSRF token once logged in."""

    def __init__(self, rn: RunningNode) -> None:
        self.rn = rn
        # aiohttp's default jar ignores cookies set by IP-address hosts; the nodes listen on 127.0.0.1.
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""

    async def close(self) -> None:
        await self.session.close()

    async def call(self, method: str, path: str, json: Any = None, *, csrf: bool = True,
                   headers: dict[str, str] | None = None, data: Any = None) -> tuple[int, Any, Any]:
        """(status, JSON body or None, response headers); sends the CSRF token unless `csrf` is False."""
        h = dict(headers or {})
        if csrf and self.csrf:
            h["X-CSRF-Token"] = self.csrf
        async with self.session.request(method, self.rn.base_url + path, json=json, data=data,
                                        headers=h) as resp:
            body = await resp.read()
            return resp.status, (await resp.json(content_type=None)) if body else None, resp.headers

    async def login(self, username: str, password: str = PASSWORD) -> tuple[int, Any, Any]:
        status, doc, headers = await self.call("POST", "/api/session", {"username": username,
                                                                         "password": password})
        if status == 201:
            self.csrf = doc["csrf_token"]
        return status, doc, headers


@contextlib.asynccontextmanager
async def desk(rn: RunningNode, username: str | None = None, password: str = PASSWORD) -> AsyncIterator[Desk]:
    """A Desk, logged in as `username` when given."""
    d = Desk(rn)
    try:
        if username:
            status, doc, _ = await d.login(username, password)
            assert status == 201, doc
        yield d
    finally:
        await d.close()
