"""Machine translation for this node: the engine named in config, the node's glossary, and the two uses of
them that need no queue: translating one story's fields now, and reading a wire story in another language
(cached per story, language and source text; nothing is published).

`MachineTranslation.from_config(config)` returns None when no engine is configured: the node then offers only
human translation, queues no jobs, and answers on-demand reading with 501.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable, Mapping

from tortoise.exceptions import IntegrityError

from node.translation.glossary import Glossary
from federation.http import HttpClient, HttpPolicy
from node.translation.apertium import ApertiumEngine
from node.translation.bergamot import BergamotEngine
from node.translation.libretranslate import LibreTranslateEngine
from federation.sanitize import html_to_text
from node.translation.mt import Progress, TranslationEngine, TranslationFailed, match_code, translate_fields
from node import __version__
from node.config import Config, ConfigError
from node.translation.models import MachineReading
from node.wire.models import WireStory
from schemas.languages import normalize_tag

ProgressFn = Callable[[Progress], Awaitable[None] | None]

# Engines by config name; another engine is a TranslationEngine subclass and one line here.
ENGINES: dict[str, Callable[[Config, HttpClient], TranslationEngine]] = {
    "libretranslate": lambda config, http: LibreTranslateEngine(
        config.translation["url"], http, api_key=config.translation_api_key,
        timeout=float(config.translation["timeout_seconds"])),
    "apertium": lambda config, http: ApertiumEngine(
        config.translation["url"], http, timeout=float(config.translation["timeout_seconds"])),
    "bergamot": lambda config, http: BergamotEngine(config.translation.get("models_dir", "")),
}

log = logging.getLogger(__name__)


class ReadingError(Exception):
    """On-demand reading cannot be done as asked (status, title and detail for a problem document)."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


@dataclass(frozen=True)
class TranslationSettings:
    """The [translation] section, as the jobs and the pipeline use it."""

    targets: tuple[str, ...]
    chunk_chars: int
    batch_texts: int
    concurrency: int
    base_delay: float
    max_delay: float
    give_up_after: float
    lock_seconds: float

    @classmethod
    def from_config(cls, config: Config) -> "TranslationSettings":
        t = config.translation
        return cls(targets=tuple(t.get("targets", ())), chunk_chars=int(t.get("chunk_chars", 2000)),
                   batch_texts=int(t.get("batch_texts", 16)), concurrency=int(t.get("concurrency", 2)),
                   base_delay=float(t.get("base_delay_seconds", 30)), max_delay=float(t.get("max_delay_seconds", 3600)),
                   give_up_after=float(t.get("give_up_after_hours", 24)) * 3600,
                   lock_seconds=float(t.get("lock_seconds", 600)))


def source_hash(headline: str, summary: str, body_html: str, language: str) -> str:
    """A digest of the text a translation was made from (a change means the translation is stale)."""
    h = hashlib.sha256()
    for part in (language, headline, summary, body_html):
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


def _glossary_from_doc(protected: list[Any], fixed: Mapping[str, Any], where: str) -> Glossary:
    try:
        entries = {normalize_tag(lang): {str(k): str(v) for k, v in dict(terms).items()}
                   for lang, terms in fixed.items()}
    except (ValueError, TypeError, AttributeError) as exc:
        raise ConfigError(f"{where}: glossary: {exc}") from None
    return Glossary(tuple(str(p) for p in protected if str(p).strip()), entries)


def load_glossary_file(path: Path) -> Glossary:
    """A glossary file: TOML (``protected = [...]`` and ``[glossary.<lang>]`` tables) or CSV
    (``term,language,translation``; an empty language or ``*`` marks a protected term)."""
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the glossary file: {exc.strerror}") from None
    if path.suffix.lower() == ".csv":
        protected, fixed = [], {}  # type: ignore[var-annotated]
        for n, row in enumerate(csv.reader(io.StringIO(raw)), 1):
            if not row or row[0].startswith("#") or (n == 1 and row[0].strip().lower() == "term"):
                continue
            term, lang, translation = (row + ["", ""])[:3]
            if lang.strip() in ("", "*"):
                protected.append(term.strip())
            elif not translation.strip():
                raise ConfigError(f"{path}:{n}: a glossary entry needs a translation")
            else:
                fixed.setdefault(lang.strip(), {})[term.strip()] = translation.strip()
        return _glossary_from_doc(protected, fixed, str(path))
    try:
        doc = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return _glossary_from_doc(list(doc.get("protected", [])), doc.get("glossary", {}), str(path))


def node_glossary(config: Config) -> Glossary:
    """The node's glossary: the config's own `protected` and `glossary`, plus the glossary file's entries."""
    t = config.translation
    base = _glossary_from_doc(list(t.get("protected", [])), t.get("glossary", {}), config.source or "config")
    if not t.get("glossary_file"):
        return base
    extra = load_glossary_file(Path(t["glossary_file"]))
    fixed = {lang: dict(terms) for lang, terms in extra.fixed.items()}
    for lang, terms in base.fixed.items():  # the config file's own entries win
        fixed.setdefault(lang, {}).update(terms)
    return Glossary(tuple(dict.fromkeys(base.protected + extra.protected)), fixed)


class MachineTranslation:
    """The configured engine with the node's glossary and settings."""

    def __init__(self, engine: TranslationEngine, glossary: Glossary, settings: TranslationSettings,
                 http: HttpClient | None = None) -> None:
        self.engine, self.glossary, self.settings = engine, glossary, settings
        self._http = http

    @classmethod
    async def from_config(cls, config: Config) -> "MachineTranslation | None":
        """The node's machine translation, or None when `translation.engine` is empty."""
        t = config.translation
        if not t.get("engine"):
            return None
        glossary = node_glossary(config)
        # The engine is an address the operator chose: a local one is fine once allowed explicitly.
        policy = HttpPolicy(user_agent=f"agency-node/{__version__} (+{config.base_url})",
                            timeout=float(t["timeout_seconds"]), max_response_bytes=8 * 1024 * 1024,
                            allow_private=bool(t.get("allow_private_engine")))
        http = HttpClient(policy, signing_threads=1)
        await http.start()
        try:
            mt = cls(ENGINES[t["engine"]](config, http), glossary, TranslationSettings.from_config(config), http)
        except TranslationFailed as exc:
            await http.close()
            raise ConfigError(f"translation.engine: {exc}") from None
        if mt.engine.checks_targets_at_start:
            try:
                await mt.check_targets(config.agency.languages)
            except BaseException:
                await mt.close()
                raise
        return mt

    async def unsupported_pairs(self, sources: tuple[str, ...] | list[str]) -> list[tuple[str, str]]:
        """The (source, target) pairs among the agency's languages and the configured targets that the engine
        does not offer (a target equal to the source needs no pair)."""
        pairs = await self.engine.languages()
        missing = []
        for target in self.settings.targets:
            for source in sources:
                if _same(source, target):
                    continue
                src = match_code(source, pairs)
                if src is None or match_code(target, pairs[src]) is None:
                    missing.append((source, target))
        return missing

    async def check_targets(self, sources: tuple[str, ...] | list[str]) -> None:
        """At start-up: ConfigError naming each pair the engine does not offer. An engine that cannot be
        reached now is only logged (its jobs wait and retry)."""
        try:
            missing = await self.unsupported_pairs(sources)
        except TranslationFailed as exc:
            log.warning("translation.engine_unreachable_at_start engine=%s error=%s", self.engine.name, exc)
            return
        if missing:
            offered = ", ".join(f"{s}->{t}" for s, ts in sorted((await self.engine.languages()).items())
                                for t in sorted(ts))
            raise ConfigError(
                f"translation.targets: the {self.engine.name} engine cannot translate "
                f"{', '.join(f'{s} -> {t}' for s, t in missing)} (it offers: {offered[:500] or 'none'})")

    async def close(self) -> None:
        await self.engine.close()
        if self._http is not None:
            await self._http.close()

    async def translate(self, headline: str, summary: str, body_html: str, *, source: str, target: str,
                        progress: ProgressFn | None = None) -> dict[str, str]:
        """``{"headline", "summary", "body_html"}`` in `target`. Raises `federation.mt.TranslationFailed`."""
        return await translate_fields(
            self.engine, {"headline": (headline, False), "summary": (summary, False), "body_html": (body_html, True)},
            source=source, target=target, glossary=self.glossary, chunk_chars=self.settings.chunk_chars,
            batch_texts=self.settings.batch_texts, progress=progress)

    async def read_wire(self, uri: str, language: str) -> dict[str, Any]:
        """A wire story in `language` for local reading: the agency's own text when it carries that language,
        else a machine translation (cached per story, language and source text). Publishes nothing."""
        try:
            lang = normalize_tag(language)
        except ValueError as exc:
            raise ReadingError(400, "Invalid language", str(exc)) from None
        wire = await WireStory.get_or_none(uri=uri)
        if wire is None or wire.state != "live":
            raise ReadingError(404, "No such wire story", f"no live wire story {uri}")
        doc = {"id": wire.uri, "language": lang, "source_language": wire.language}
        own = _from_maps(wire.object, lang)
        if own is not None or _same(wire.language, lang):
            values = own or {"headline": wire.headline, "summary": wire.summary, "body_html": wire.content_html}
            return {**doc, **values, "machine": False, "engine": None, "cached": False}
        if not wire.language:
            raise ReadingError(422, "Unknown source language", "the wire story does not say its language")
        digest = source_hash(wire.headline, wire.summary, wire.content_html, wire.language)
        hit = await MachineReading.get_or_none(wire_story_id=wire.id, language=lang, source_hash=digest)
        if hit is None:
            out = await self.translate(wire.headline, wire.summary, wire.content_html, source=wire.language,
                                       target=lang)
            try:
                hit = await MachineReading.create(wire_story_id=wire.id, language=lang, source_hash=digest,
                                                  engine=self.engine.name, **out)
            except IntegrityError:  # another reader stored it first
                hit = await MachineReading.get(wire_story_id=wire.id, language=lang, source_hash=digest)
            cached = False
        else:
            cached = True
        return {**doc, "headline": hit.headline, "summary": hit.summary, "body_html": hit.body_html,
                "machine": True, "engine": hit.engine, "cached": cached}


def _same(a: str, b: str) -> bool:
    try:
        return bool(a) and normalize_tag(a) == normalize_tag(b)
    except ValueError:
        return False


def _from_maps(obj: Any, lang: str) -> dict[str, str] | None:
    """The story's own text in `lang` from its contentMap/nameMap/summaryMap, when the agency sent it."""
    if not isinstance(obj, dict) or not isinstance(obj.get("contentMap"), dict):
        return None
    key = next((k for k in obj["contentMap"] if _same(str(k), lang)), None)
    if key is None:
        return None
    pick = lambda m: (obj.get(m) or {}).get(key, "") if isinstance(obj.get(m), dict) else ""  # noqa: E731
    return {"headline": html_to_text(pick("nameMap")), "summary": html_to_text(pick("summaryMap")),
            "body_html": obj["contentMap"][key]}
