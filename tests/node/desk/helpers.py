"""Shared by the desk tests: a loopback node with cheap password hashing and users, and a browser-like HTTP client
of its desk (cookie jar, form posts with the page's CSRF token)."""

from __future__ import annotations

import re
from typing import Any

import aiohttp

from tests.node.accounts.helpers import PASSWORD, accounts_node, add_user
from tests.nodes import RunningNode

__all__ = ["PASSWORD", "DeskClient", "accounts_node", "add_user", "desk_node"]

desk_node = accounts_node  # a node whose users hash cheaply; the desk needs nothing more
_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


class DeskClient:
    """One editor's browser without a browser: follows no redirects (tests look at them), keeps cookies."""

    def __init__(self, rn: RunningNode, accept_language: str = "en") -> None:
        self.rn = rn
        # aiohttp's default jar ignores cookies set by IP-address hosts; the nodes listen on 127.0.0.1.
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                             headers={"Accept-Language": accept_language})
        self.csrf = ""

    async def __aenter__(self) -> "DeskClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.session.close()

    async def get(self, path: str, **kw: Any) -> tuple[int, str, Any]:
        """(status, text, headers) of a GET; remembers the page's CSRF token."""
        async with self.session.get(self.rn.base_url + path, allow_redirects=False, **kw) as resp:
            text = await resp.text()
            found = _CSRF.search(text)
            if found and found.group(1):
                self.csrf = found.group(1)
            return resp.status, text, resp.headers

    async def post(self, path: str, form: dict[str, Any] | None = None, *, csrf: bool = True,
                   **kw: Any) -> tuple[int, str, Any]:
        """(status, text, headers) of a form POST, with the session's CSRF token unless `csrf` is False."""
        data = dict(form or {})
        if csrf and self.csrf:
            data.setdefault("csrf_token", self.csrf)
        async with self.session.post(self.rn.base_url + path, data=data, allow_redirects=False, **kw) as resp:
            return resp.status, await resp.text(), resp.headers

    async def login(self, username: str, password: str = PASSWORD) -> None:
        """Log in through the form and load a page, so the CSRF token is known."""
        status, text, headers = await self.post("/desk/login", {"username": username, "password": password},
                                                csrf=False)
        assert status == 303, (status, text[:500])
        status, _, _ = await self.get("/desk/account")
        assert status == 200 and self.csrf
