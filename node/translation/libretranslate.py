"""A LibreTranslate engine: its HTTP API (``POST /translate``, ``GET /languages``) over our guarded client.

Wire shapes, as LibreTranslate documents and serves them: the request is JSON ``{q, source, target, format,
api_key}`` with `q` a string or a list of strings and `format` ``"text"`` or ``"html"``; the answer is
``{"translatedText": ...}`` (a string, or a list for a list); errors are ``{"error": "..."}`` with 400 (bad
request, unsupported language, text over the server's limit, API key required), 403 (invalid API key, banned),
429 (slow down) or 500. ``GET /languages`` lists ``[{code, name, targets}]``.

The API key goes in the body only, is never logged and never appears in an error message.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any, Mapping

import orjson

from federation.http import HttpClient
from node.translation.engine_http import exchange
from node.translation.mt import (
    EngineAnswerInvalid, EngineRefused, EngineUnavailable, TranslationEngine, match_code,
)
from federation.retry import parse_retry_after

__all__ = ["LibreTranslateEngine"]



class LibreTranslateEngine(TranslationEngine):
    """Translates through a LibreTranslate server at `url` (its base URL, e.g. ``http://127.0.0.1:5000``).

    `http` must be started; its policy decides whether a private (local) engine address may be used.
    """

    name = "libretranslate"

    def __init__(self, url: str, http: HttpClient, *, api_key: str = "", timeout: float = 30.0,
                 languages_ttl: float = 3600.0) -> None:
        self.url = url.rstrip("/")
        self._http = http
        self._api_key = api_key
        self.timeout = timeout
        self._languages: dict[str, frozenset[str]] | None = None
        self._languages_at = 0.0
        self._languages_ttl = languages_ttl

    def __repr__(self) -> str:  # never shows the key
        return f"LibreTranslateEngine({self.url!r}, api_key={'set' if self._api_key else 'none'})"

    async def _request(self, method: str, path: str, payload: dict[str, Any] | None) -> Any:
        status, headers, body = await exchange(
            self._http, self.name, method, self.url + path, timeout=self.timeout,
            data=orjson.dumps(payload) if payload is not None else None,
            headers={"Content-Type": "application/json", "Accept": "application/json"})
        if status != 200:
            self._raise_for(status, body, headers.get("Retry-After"))
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            raise EngineAnswerInvalid(f"{self.name}: answer is not JSON") from None

    def _raise_for(self, status: int, body: bytes, retry_after: str | None) -> None:
        try:
            message = str(orjson.loads(body).get("error", ""))
        except (orjson.JSONDecodeError, AttributeError):
            message = body[:200].decode("utf-8", "replace")
        text = f"{self.name}: HTTP {status}: {message}"[:300]
        wait = parse_retry_after(retry_after, datetime.now(timezone.utc))
        if status == 400 and "api key" not in message.lower():
            raise EngineRefused(text)  # unsupported language, over the text limit: asking again will not help
        if status in (400, 403):
            # A missing or refused key (or a flood ban) is the operator's to fix; keep the work until then.
            raise EngineUnavailable(text, retry_after=wait)
        if status == 429 or status >= 500:
            raise EngineUnavailable(text, retry_after=wait)
        raise EngineAnswerInvalid(text)

    async def languages(self) -> Mapping[str, frozenset[str]]:
        """``{source code: target codes}`` from ``GET /languages``, cached for an hour."""
        if self._languages is not None and time.monotonic() - self._languages_at < self._languages_ttl:
            return self._languages
        doc = await self._request("GET", "/languages", None)
        if not isinstance(doc, list) or not all(isinstance(d, dict) and isinstance(d.get("code"), str)
                                                 for d in doc):
            raise EngineAnswerInvalid(f"{self.name}: /languages is not a list of languages")
        self._languages = {d["code"]: frozenset(t for t in d.get("targets", []) if isinstance(t, str))
                           for d in doc}
        self._languages_at = time.monotonic()
        return self._languages

    async def _codes(self, source: str, target: str) -> tuple[str, str]:
        pairs = await self.languages()
        src = match_code(source, pairs)
        if src is None:
            raise EngineRefused(f"{self.name}: cannot translate from {source!r}")
        tgt = match_code(target, pairs[src])
        if tgt is None:
            raise EngineRefused(f"{self.name}: cannot translate {source!r} into {target!r}")
        return src, tgt

    async def translate(self, texts: list[str], source: str, target: str, *, html: bool) -> list[str]:
        """Translate `texts` in one request (`q` as a list); the answer must hold one text per text."""
        if not texts:
            return []
        src, tgt = await self._codes(source, target)
        payload: dict[str, Any] = {"q": texts, "source": src, "target": tgt, "format": "html" if html else "text"}
        if self._api_key:
            payload["api_key"] = self._api_key
        doc = await self._request("POST", "/translate", payload)
        out = doc.get("translatedText") if isinstance(doc, dict) else None
        if isinstance(out, str) and len(texts) == 1:
            out = [out]
        if not isinstance(out, list) or not all(isinstance(t, str) for t in out):
            raise EngineAnswerInvalid(f"{self.name}: answer has no translatedText list")
        if len(out) != len(texts):
            raise EngineAnswerInvalid(f"{self.name}: sent {len(texts)} texts, got {len(out)} translations")
        return out

