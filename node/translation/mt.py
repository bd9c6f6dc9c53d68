"""Machine translation, engine-neutral and pure: the engine interface, its errors, and the pipeline that runs
a story's fields through an engine (protected terms masked, long bodies cut into pieces, pieces sent in
batches, everything put back and checked).

An engine is a small class: a `name`, `translate(texts, source, target, html=...)` returning one text per text,
and `languages()` saying which pairs it can do (see `node.translation.libretranslate` and
`node.translation.apertium` for HTTP ones, `node.translation.bergamot` for one that runs in the node).

Errors (what a job does with each):

    TranslationFailed              base; `retryable` says whether a later attempt may succeed
    ├── EngineUnavailable          outage, timeout, 429, 5xx, refused API key -> retry (honour retry_after)
    ├── EngineAnswerInvalid        malformed JSON, wrong number of texts, lost placeholders -> retry
    └── EngineRefused              the request itself is wrong for this engine (unsupported pair, text over
                                   the engine's limit) -> give up (not retryable)
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Awaitable, Callable, Iterable, Mapping

from babel.core import get_global

from node.translation.glossary import Glossary, Masked, PlaceholderLost, mask, unmask
from node.translation.htmlchunks import Piece, join, split_html, split_text
from federation.sanitize import sanitize_html

__all__ = [
    "EngineAnswerInvalid", "EngineRefused", "EngineUnavailable", "Progress", "TranslationEngine",
    "TranslationFailed", "match_code", "translate_fields",
]


class TranslationFailed(Exception):
    """A translation could not be made now. `retryable`: a later attempt may work."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class EngineUnavailable(TranslationFailed):
    """The engine cannot be reached or asks us to wait (connection refused, timeout, 429, 5xx, 403)."""


class EngineAnswerInvalid(TranslationFailed):
    """The engine answered, but not with a usable translation (malformed JSON, wrong count, lost terms)."""


class EngineRefused(TranslationFailed):
    """The engine will never accept this request (unsupported language pair, text over its limit)."""

    retryable = False


def match_code(tag: str, codes: Iterable[str]) -> str | None:
    """The engine's code for a BCP 47 tag: the tag itself, or its bare language when the tag's script is that
    language's usual one (``uz-Latn`` -> ``uz``, ``az-Cyrl`` -> None when the engine only has Latin ``az``)."""
    available = {c.lower(): c for c in codes}
    if tag.lower() in available:
        return available[tag.lower()]
    parts = tag.split("-")
    language = parts[0].lower()
    if language not in available:
        return None
    script = next((p for p in parts[1:] if len(p) == 4 and p.isalpha()), None)
    if script is None:
        return available[language]
    likely = get_global("likely_subtags").get(language, "")
    return available[language] if f"_{script.title()}" in likely else None


class TranslationEngine(abc.ABC):
    """A machine-translation engine. Subclasses set `name` and implement `translate` and `languages`."""

    name: str = "engine"
    # Whether the node refuses to start with a configured target this engine does not offer (engines whose
    # pairs are installed by the operator); otherwise only the jobs for that pair end refused.
    checks_targets_at_start: bool = False

    @abc.abstractmethod
    async def translate(self, texts: list[str], source: str, target: str, *, html: bool) -> list[str]:
        """One translation per text, in order (BCP 47 tags in; the engine maps them to its codes)."""

    @abc.abstractmethod
    async def languages(self) -> Mapping[str, frozenset[str]]:
        """The engine's source codes, each with the target codes it can translate into."""

    async def supports(self, source: str, target: str) -> bool:
        """Whether the engine can translate from `source` into `target` (BCP 47 tags)."""
        pairs = await self.languages()
        src = match_code(source, pairs)
        return src is not None and match_code(target, pairs[src]) is not None

    async def close(self) -> None:
        """Release what the engine holds (sessions); the default holds nothing."""


@dataclass(frozen=True)
class Progress:
    """Where a translation stands: `done` of `total` engine requests, `chars` sent so far."""

    done: int
    total: int
    chars: int
    target: str


@dataclass(frozen=True)
class _Field:
    name: str
    html: bool
    masked: Masked
    pieces: list[Piece]


def _batches(items: list[str], max_chars: int, max_texts: int) -> list[list[int]]:
    """Indices of `items` grouped into requests of at most `max_texts` texts and `max_chars` characters."""
    out: list[list[int]] = []
    current: list[int] = []
    size = 0
    for i, text in enumerate(items):
        if current and (len(current) >= max_texts or size + len(text) > max_chars):
            out.append(current)
            current, size = [], 0
        current.append(i)
        size += len(text)
    if current:
        out.append(current)
    return out


async def translate_fields(engine: TranslationEngine, fields: Mapping[str, tuple[str, bool]], *, source: str,
                           target: str, glossary: Glossary = Glossary(), chunk_chars: int = 2000,
                           batch_texts: int = 16,
                           progress: Callable[[Progress], Awaitable[None] | None] | None = None) -> dict[str, str]:
    """Translate each field (``name -> (text, is_html)``) from `source` into `target` through `engine`.

    Protected and glossary terms are masked first and restored after (PlaceholderLost -> EngineAnswerInvalid);
    long texts are cut with `chunk_chars` per piece and sent at most `batch_texts` pieces per request, HTML and
    plain text separately; `progress` is called after each request. HTML results are sanitized again (an
    engine's output is outside input). Empty fields stay empty and cost no request.
    """
    prepared: list[_Field] = []
    for name, (text, is_html) in fields.items():
        m = mask(text or "", glossary, target, html=is_html)
        pieces = (split_html(m.text, chunk_chars) if is_html else split_text(m.text, chunk_chars)) if text else []
        prepared.append(_Field(name, is_html, m, pieces))

    plans: list[tuple[bool, list[str], list[list[int]]]] = []
    for is_html in (False, True):
        texts = [p.text for f in prepared if f.html is is_html for p in f.pieces if p.translate]
        if texts:
            plans.append((is_html, texts, _batches(texts, chunk_chars, batch_texts)))
    total = sum(len(b) for _, _, b in plans)
    done = chars = 0
    results: dict[bool, list[str]] = {False: [], True: []}
    for is_html, texts, batches in plans:
        out: list[str] = [""] * len(texts)
        for batch in batches:
            sent = [texts[i] for i in batch]
            got = await engine.translate(sent, source, target, html=is_html)
            if not isinstance(got, list) or len(got) != len(sent) or not all(isinstance(g, str) for g in got):
                raise EngineAnswerInvalid(f"{engine.name}: asked for {len(sent)} translations, got "
                                          f"{len(got) if isinstance(got, list) else type(got).__name__}")
            for i, text in zip(batch, got):
                out[i] = text
            done += 1
            chars += sum(len(s) for s in sent)
            if progress is not None:
                maybe = progress(Progress(done, total, chars, target))
                if maybe is not None:
                    await maybe
        results[is_html] = out

    cursor = {False: 0, True: 0}
    translated: dict[str, str] = {}
    for f in prepared:
        n = sum(1 for p in f.pieces if p.translate)
        mine = results[f.html][cursor[f.html]:cursor[f.html] + n]
        cursor[f.html] += n
        try:
            text = unmask(join(f.pieces, mine), f.masked)
        except PlaceholderLost as exc:
            raise EngineAnswerInvalid(f"{engine.name}: {f.name}: {exc}") from None
        translated[f.name] = sanitize_html(text) if f.html else text.strip()
    return translated
