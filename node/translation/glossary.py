"""Protected terms and a fixed glossary, applied around a machine-translation engine (pure).

Before a text goes to the engine, every protected term and every glossary term is replaced by a placeholder
(``[#0]``, ``[#1]``...) that engines copy through unchanged; afterwards each placeholder is restored, to the
term itself (protected) or to the glossary's fixed translation for the target language. If the engine lost,
duplicated or invented a placeholder, `unmask` raises `PlaceholderLost` rather than publish a text in which a
name was silently machine-translated. In HTML, terms are matched in text only (never inside tags or attribute
values) and replacements are HTML-escaped.
"""

from __future__ import annotations

import html as htmllib
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Mapping

__all__ = ["Glossary", "Masked", "PlaceholderLost", "mask", "unmask"]

# Engines are tolerated for putting spaces inside the brackets ("[# 0]"); anything worse is a loss.
_PLACEHOLDER = re.compile(r"\[\s*#\s*(\d+)\s*\]")
_TAG = re.compile(r"(<[^>]*>)")


class PlaceholderLost(ValueError):
    """The engine's output does not carry each placeholder exactly as often as the input did."""


@dataclass(frozen=True)
class Glossary:
    """A node's protected terms (kept as written in every language) and fixed translations per target.

    `fixed` maps a BCP 47 target tag to ``{source term: fixed translation}``; a target such as ``uz-Latn`` also
    uses the entries of its base language ``uz`` (its own entries win).
    """

    protected: tuple[str, ...] = ()
    fixed: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def terms_for(self, target: str) -> dict[str, str]:
        """``{term: what it becomes in target}`` for every term that applies to `target`."""
        out = {t: t for t in self.protected if t}
        base = target.split("-", 1)[0]
        for tag in (base, target) if base != target else (target,):
            out.update({k: v for k, v in (self.fixed.get(tag) or {}).items() if k})
        return out

    def __bool__(self) -> bool:
        return bool(self.protected) or any(self.fixed.values())


@dataclass(frozen=True)
class Masked:
    """A text with terms replaced by placeholders, and what each placeholder must become."""

    text: str
    restore: tuple[tuple[str, str], ...] = ()  # (placeholder number, final text)

    @property
    def counts(self) -> Counter[str]:
        """How often each of our placeholder numbers occurs in the masked text."""
        ours = {n for n, _ in self.restore}
        return Counter(n for n in _PLACEHOLDER.findall(self.text) if n in ours)


def _pattern(terms: list[str], html: bool) -> re.Pattern[str] | None:
    if not terms:
        return None
    forms = sorted({htmllib.escape(t, quote=False) if html else t for t in terms}, key=len, reverse=True)
    # Whole words only: "Baku" must not match inside "Bakuvian"; (?<!\w)/(?!\w) also work for non-Latin scripts.
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(f) for f in forms) + r")(?!\w)")


def mask(text: str, glossary: Glossary, target: str, *, html: bool) -> Masked:
    """Replace the glossary's terms for `target` in `text` (text nodes only when `html`) by placeholders."""
    terms = glossary.terms_for(target)
    pattern = _pattern(list(terms), html)
    if pattern is None or not text:
        return Masked(text)
    by_form = {(htmllib.escape(k, quote=False) if html else k): v for k, v in terms.items()}
    taken = [int(n) for n in _PLACEHOLDER.findall(text)]
    next_number = max(taken) + 1 if taken else 0  # never reuse a number the source itself contains
    numbers: dict[str, str] = {}

    def _sub(match: re.Match[str]) -> str:
        nonlocal next_number
        form = match.group(1)
        if form not in numbers:
            numbers[form] = str(next_number)
            next_number += 1
        return f"[#{numbers[form]}]"

    if html:
        parts = _TAG.split(text)
        masked = "".join(p if i % 2 else pattern.sub(_sub, p) for i, p in enumerate(parts))
    else:
        masked = pattern.sub(_sub, text)
    restore = tuple((n, htmllib.escape(by_form[f], quote=False) if html else by_form[f]) for f, n in numbers.items())
    return Masked(masked, restore)


def unmask(translated: str, masked: Masked) -> str:
    """The engine's output with each placeholder restored; PlaceholderLost if any went missing or multiplied."""
    if not masked.restore:
        return translated
    expected = masked.counts
    ours = dict(masked.restore)
    found = Counter(n for n in _PLACEHOLDER.findall(translated) if n in ours)
    if found != expected:
        missing = sorted(set(expected) - set(found) | {n for n in expected if found[n] and found[n] != expected[n]})
        raise PlaceholderLost(f"the engine did not keep protected-term placeholders {', '.join(missing) or '?'}")
    return _PLACEHOLDER.sub(lambda m: ours.get(m.group(1), m.group(0)), translated)
