"""An Apertium engine: the APy HTTP service (``GET /listPairs``, ``POST /translate``) over our guarded client.

Apertium is rule-based and offline (Debian packages ``apertium-apy`` and one package per pair, e.g.
``apertium-eng-spa``). Its wire shapes: ``/listPairs`` answers ``{"responseData": [{"sourceLanguage": "eng",
"targetLanguage": "spa"}, ...]}``; ``/translate`` takes ``langpair=eng|spa``, ``q`` (one text) and ``format=html``
and answers ``{"responseData": {"translatedText": ...}, "responseStatus": 200}``; errors are
``{"status": "error", "code": 400, "explanation": "That pair is not installed"}``.

Pairs are named in ISO 639-3 (``eng``, ``spa``, ``eng_US``); the engine speaks BCP 47 to the rest of the node
and maps both ways. Apertium marks words it could not handle: ``*`` unknown to the analyser, ``@`` missing from
the bilingual dictionary, ``#`` not generated. Those marks must never reach a reader, so every text is sent as
HTML with its own ``*``, ``@`` and ``#`` written as character references (which Apertium copies through), and
every bare mark in the answer's text (never in tags, references or our ``[#0]`` placeholders) is removed.
"""

from __future__ import annotations

import asyncio
import html as htmllib
import re
import time
from typing import Any, Mapping

import orjson

from federation.http import HttpClient
from node.translation.engine_http import exchange
from node.translation.mt import (
    EngineAnswerInvalid, EngineRefused, EngineUnavailable, TranslationEngine, match_code,
)

__all__ = ["ApertiumEngine", "clean_marks", "from_apertium", "prepare_text", "to_apertium"]


# ISO 639-3 codes Apertium uses for languages that have a two-letter (ISO 639-1) code in BCP 47. A code not
# listed here is already a valid BCP 47 primary subtag (``ast``, ``crh``, ``sah``...) and is kept as it is.
_TWO_LETTER = {
    "afr": "af", "ara": "ar", "arg": "an", "aze": "az", "bak": "ba", "bel": "be", "ben": "bn", "bos": "bs",
    "bre": "br", "bul": "bg", "cat": "ca", "ces": "cs", "chv": "cv", "cym": "cy", "dan": "da", "deu": "de",
    "ell": "el", "eng": "en", "epo": "eo", "est": "et", "eus": "eu", "fao": "fo", "fas": "fa", "fin": "fi",
    "fra": "fr", "gle": "ga", "glg": "gl", "heb": "he", "hin": "hi", "hrv": "hr", "hun": "hu", "hye": "hy",
    "ind": "id", "isl": "is", "ita": "it", "jpn": "ja", "kat": "ka", "kaz": "kk", "kir": "ky", "kor": "ko",
    "lat": "la", "lav": "lv", "lit": "lt", "ltz": "lb", "mkd": "mk", "mlt": "mt", "msa": "ms", "nld": "nl",
    "nno": "nn", "nob": "nb", "oci": "oc", "pol": "pl", "por": "pt", "ron": "ro", "rus": "ru", "sme": "se",
    "slk": "sk", "slv": "sl", "spa": "es", "sqi": "sq", "srp": "sr", "swe": "sv", "tat": "tt", "tgk": "tg",
    "tur": "tr", "tuk": "tk", "ukr": "uk", "urd": "ur", "uzb": "uz", "zho": "zh",
}
_THREE_LETTER = {v: k for k, v in _TWO_LETTER.items()}

_TAG = re.compile(r"(<[^>]*>)")
# What may legitimately hold a '#' or '@' in the answer's text: character references and our placeholders.
_KEEP_OR_MARK = re.compile(r"(&#?\w+;|\[\s*#\s*\d+\s*\])|[*@#]")
_PLACEHOLDER = re.compile(r"\[\s*#\s*\d+\s*\]")
_OWN_MARKS = {"*": "&#42;", "@": "&#64;", "#": "&#35;"}


def from_apertium(code: str) -> str:
    """The BCP 47 tag for an Apertium code: ``eng`` -> ``en``, ``eng_US`` -> ``en-US``, ``ast`` -> ``ast``."""
    language, _, rest = code.partition("_")
    tag = _TWO_LETTER.get(language.lower(), language.lower())
    for part in filter(None, rest.split("_")):
        tag += "-" + (part.upper() if len(part) == 2 else part.title() if len(part) == 4 else part.lower())
    return tag


def to_apertium(tag: str) -> str:
    """The Apertium code for a BCP 47 tag (the inverse of `from_apertium`): ``es`` -> ``spa``, ``en-US`` ->
    ``eng_US``."""
    language, *rest = tag.split("-")
    return "_".join([_THREE_LETTER.get(language.lower(), language.lower()), *rest])


def _escape_own(text: str) -> str:
    """Our own '*', '@' and '#' as character references, except the '#' of a placeholder."""
    out, last = [], 0
    for m in _PLACEHOLDER.finditer(text):
        out.append(re.sub(r"[*@#]", lambda c: _OWN_MARKS[c.group(0)], text[last:m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(re.sub(r"[*@#]", lambda c: _OWN_MARKS[c.group(0)], text[last:]))
    return "".join(out)


def prepare_text(text: str, *, html: bool) -> str:
    """What is sent to Apertium (always as HTML): text nodes with named references turned into characters
    (Apertium mangles ``&eacute;``), ``&``, ``<``, ``>`` escaped, and our own marks as references."""
    if not html:
        return _escape_own(htmllib.escape(text, quote=False))
    parts = _TAG.split(text)
    return "".join(p if i % 2 else _escape_own(htmllib.escape(htmllib.unescape(p), quote=False))
                   for i, p in enumerate(parts))


def clean_marks(text: str, *, html: bool) -> str:
    """Apertium's answer with its ``*``/``@``/``#`` marks removed from the text (tags, character references and
    placeholders untouched); plain text comes back unescaped."""
    parts = _TAG.split(text)
    cleaned = "".join(p if i % 2 else _KEEP_OR_MARK.sub(lambda m: m.group(1) or "", p) for i, p in enumerate(parts))
    return cleaned if html else htmllib.unescape(cleaned)


class ApertiumEngine(TranslationEngine):
    """Translates through an Apertium APy server at `url` (e.g. ``http://127.0.0.1:2737``), one text per request
    with at most `parallel` requests at a time."""

    name = "apertium"
    checks_targets_at_start = True

    def __init__(self, url: str, http: HttpClient, *, timeout: float = 30.0, parallel: int = 4,
                 languages_ttl: float = 3600.0) -> None:
        self.url = url.rstrip("/")
        self._http = http
        self.timeout = timeout
        self._parallel = max(1, parallel)
        self._pairs: dict[str, dict[str, str]] | None = None  # BCP 47 source -> {BCP 47 target: langpair}
        self._pairs_at = 0.0
        self._languages_ttl = languages_ttl

    def __repr__(self) -> str:
        return f"ApertiumEngine({self.url!r})"

    async def _request(self, method: str, path: str, form: dict[str, str] | None) -> Any:
        status, _, body = await exchange(self._http, self.name, method, self.url + path, timeout=self.timeout,
                                         data=form, headers={"Accept": "application/json"})
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError:
            doc = None
        if status != 200:
            why = doc.get("explanation") or doc.get("message") if isinstance(doc, dict) else None
            text = f"{self.name}: HTTP {status}: {why or body[:200].decode('utf-8', 'replace')}"[:300]
            if status == 400:
                raise EngineRefused(text)  # an invalid or uninstalled pair: asking again will not help
            if status in (408, 429) or status >= 500:
                raise EngineUnavailable(text)
            raise EngineAnswerInvalid(text)
        if doc is None:
            raise EngineAnswerInvalid(f"{self.name}: answer is not JSON")
        return doc

    async def _langpairs(self) -> dict[str, dict[str, str]]:
        if self._pairs is not None and time.monotonic() - self._pairs_at < self._languages_ttl:
            return self._pairs
        doc = await self._request("GET", "/listPairs", None)
        data = doc.get("responseData") if isinstance(doc, dict) else None
        if not isinstance(data, list):
            raise EngineAnswerInvalid(f"{self.name}: /listPairs has no responseData list")
        pairs: dict[str, dict[str, str]] = {}
        for p in data:
            src, tgt = (p.get("sourceLanguage"), p.get("targetLanguage")) if isinstance(p, dict) else (None, None)
            if isinstance(src, str) and isinstance(tgt, str) and src and tgt:
                pairs.setdefault(from_apertium(src), {})[from_apertium(tgt)] = f"{src}|{tgt}"
        self._pairs, self._pairs_at = pairs, time.monotonic()
        return pairs

    async def languages(self) -> Mapping[str, frozenset[str]]:
        """``{source tag: target tags}`` (BCP 47) from ``GET /listPairs``, cached for an hour."""
        return {src: frozenset(targets) for src, targets in (await self._langpairs()).items()}

    async def langpair(self, source: str, target: str) -> str:
        """The APy ``langpair`` for two BCP 47 tags; EngineRefused naming the pair when none is installed."""
        pairs = await self._langpairs()
        src = match_code(source, pairs)
        tgt = match_code(target, pairs[src]) if src is not None else None
        if src is None or tgt is None:
            offered = ", ".join(sorted(f"{s}->{t}" for s, ts in pairs.items() for t in ts)) or "none"
            raise EngineRefused(f"{self.name}: no installed pair {to_apertium(source)}|{to_apertium(target)} "
                                f"({source} -> {target}); installed: {offered}")
        return pairs[src][tgt]

    async def translate(self, texts: list[str], source: str, target: str, *, html: bool) -> list[str]:
        """Translate `texts` (one APy request each, a few at a time); the marks are removed from every answer."""
        if not texts:
            return []
        pair = await self.langpair(source, target)
        gate = asyncio.Semaphore(self._parallel)

        async def one(text: str) -> str:
            async with gate:
                # markUnknown stays on: APy itself would strip only '*' (and eat a literal "5*3"); we strip all
                # three marks, knowing every bare one is Apertium's.
                doc = await self._request("POST", "/translate", {
                    "langpair": pair, "q": prepare_text(text, html=html), "format": "html", "markUnknown": "yes"})
            data = doc.get("responseData") if isinstance(doc, dict) else None
            out = data.get("translatedText") if isinstance(data, dict) else None
            if not isinstance(out, str):
                raise EngineAnswerInvalid(f"{self.name}: answer has no translatedText")
            return clean_marks(out, html=html)

        return list(await asyncio.gather(*(one(t) for t in texts)))
