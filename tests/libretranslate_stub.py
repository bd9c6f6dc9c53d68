"""A stand-in LibreTranslate server for tests: a real aiohttp server speaking LibreTranslate's wire API.

It answers ``GET /languages`` and ``POST /translate`` (JSON or form, `q` a string or a list, `format` text or
html, `api_key`) with LibreTranslate's shapes and error bodies (``{"error": ...}`` with 400, 403, 429, 500). Its
"translation" is deterministic: every text node gets the prefix ``[<target>] ``, tags are kept as they are.

Switches (set `stub.mode`): ``ok``, ``slow`` (answers after `delay` seconds), ``429``, ``500``, ``malformed``
(200 with a body that is not JSON), ``wrong_length`` (one translation too few), ``drop_placeholders`` (removes
``[#n]`` placeholders, as a careless engine might). `await stub.outage()` closes the port (connection refused)
and `await stub.restore()` opens it again on the same port.
"""

from __future__ import annotations

import asyncio
import re
import socket
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

LANGUAGES = {"az": "Azerbaijani", "en": "English", "ru": "Russian", "tr": "Turkish", "kk": "Kazakh",
             "uz": "Uzbek", "zh-Hans": "Chinese (Simplified)", "ar": "Arabic"}
_TEXT_NODE = re.compile(r"(<[^>]*>)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fake_translate(text: str, target: str, fmt: str) -> str:
    """The stub's translation: `[target] ` before each non-blank text node; tags untouched."""
    if fmt == "text":
        return f"[{target}] {text}" if text.strip() else text
    parts = _TEXT_NODE.split(text)
    return "".join(p if i % 2 or not p.strip() else re.sub(r"^(\s*)", rf"\1[{target}] ", p, count=1)
                   for i, p in enumerate(parts))


@dataclass
class Call:
    """One /translate request as received."""

    q: Any
    source: str
    target: str
    format: str
    api_key: str | None


@dataclass
class LibreTranslateStub:
    api_keys: set[str] | None = None      # None: no keys needed; a set: keys accepted (others -> 403)
    require_key: bool = False             # a missing key -> 400, like --require-api-key-origin servers
    char_limit: int = -1
    batch_limit: int = -1
    mode: str = "ok"
    delay: float = 5.0
    retry_after: str | None = None        # a Retry-After header on 429 answers (flask-limiter can send one)
    calls: list[Call] = field(default_factory=list)
    port: int = field(default_factory=_free_port)

    def __post_init__(self) -> None:
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/languages", self._languages)
        app.router.add_post("/translate", self._translate)
        return app

    async def start(self) -> "LibreTranslateStub":
        self._runner = web.AppRunner(self._app())
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def outage(self) -> None:
        """Close the listening socket: clients then get 'connection refused'."""
        await self.stop()

    async def restore(self) -> None:
        await self.start()

    async def __aenter__(self) -> "LibreTranslateStub":
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    @staticmethod
    def _error(status: int, message: str) -> web.Response:
        return web.json_response({"error": message}, status=status)

    async def _languages(self, request: web.Request) -> web.Response:
        codes = list(LANGUAGES)
        return web.json_response([{"code": c, "name": n, "targets": [t for t in codes if t != c]}
                                  for c, n in LANGUAGES.items()])

    async def _translate(self, request: web.Request) -> web.Response:
        if request.content_type == "application/json":
            try:
                data = await request.json()
            except ValueError:
                return self._error(400, "Invalid JSON format")
            if not isinstance(data, dict):
                return self._error(400, "Invalid JSON format")
        else:
            data = dict(await request.post())
        q, source, target = data.get("q"), data.get("source"), data.get("target")
        fmt, key = data.get("format") or "text", data.get("api_key")
        self.calls.append(Call(q, str(source), str(target), str(fmt), key))
        if self.api_keys is not None:
            if key and key not in self.api_keys:
                return self._error(403, "Invalid API key")
            if not key and self.require_key:
                return self._error(400, "Please contact the server operator to get an API key")
        for name, value in (("q", q), ("source", source), ("target", target)):
            if not value:
                return self._error(400, f"Invalid request: missing {name} parameter")
        texts = q if isinstance(q, list) else [q]
        if self.batch_limit != -1 and isinstance(q, list) and len(q) > self.batch_limit:
            return self._error(400, f"Invalid request: request ({len(q)}) exceeds text limit ({self.batch_limit})")
        if self.char_limit != -1:
            for t in texts:
                if len(t) > self.char_limit:
                    return self._error(400, f"Invalid request: request ({len(t)}) exceeds text limit "
                                            f"({self.char_limit})")
        for code in (source, target):
            if code not in LANGUAGES:
                return self._error(400, f"{code} is not supported")
        if fmt not in ("text", "html"):
            return self._error(400, f"{fmt} format is not supported")
        if self.mode == "slow":
            await asyncio.sleep(self.delay)
        elif self.mode == "429":
            answer = self._error(429, "Slowdown: 10 per 1 minute")
            if self.retry_after:
                answer.headers["Retry-After"] = self.retry_after
            return answer
        elif self.mode == "500":
            return self._error(500, "Cannot translate text: model crashed")
        elif self.mode == "malformed":
            return web.Response(status=200, text="<html>upstream proxy error</html>", content_type="text/html")
        out = [fake_translate(t, target, fmt) for t in texts]
        if self.mode == "drop_placeholders":
            out = [re.sub(r"\[#\d+\]", "", t) for t in out]
        if self.mode == "wrong_length" and isinstance(q, list):
            out = out[:-1]
        return web.json_response({"translatedText": out if isinstance(q, list) else out[0]})
