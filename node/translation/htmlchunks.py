"""Cutting a story into pieces a translation engine accepts, and putting the translations back (pure).

An engine takes a limited number of characters per text. A body is cut at block boundaries (top-level
paragraphs, headings, list items...) into pieces of at most `limit` characters each; a block that is still too
long is opened (its tags kept aside, untranslated) and cut between sentences outside inline markup, then at
spaces. Headlines and summaries are plain text and are cut between sentences. `join` reassembles the
translated pieces with the untranslated glue in the original order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

__all__ = ["Piece", "join", "split_html", "split_text"]

_TOKEN = re.compile(r"<!--.*?-->|<[^>]*>|[^<]+", re.S)
_TAG_NAME = re.compile(r"</?\s*([a-zA-Z][a-zA-Z0-9]*)")
_VOID = frozenset({"br", "hr", "img", "wbr", "input", "meta", "link", "source", "col", "area", "embed"})
_CONTAINERS = frozenset({"ul", "ol", "blockquote", "div", "section", "article", "table", "tbody", "thead", "tr",
                         "dl", "figure", "header", "footer", "main", "aside", "nav"})
_SENTENCE_END = re.compile(r"(?<=[.!?…。！？؟])\s+")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Piece:
    """A run of the source: sent to the engine (`translate`) or kept as it is (tags, whitespace between)."""

    text: str
    translate: bool


def _kind(token: str) -> tuple[str, str]:
    """('open'|'close'|'void'|'text'|'comment', tag name) of one token."""
    if token.startswith("<!--"):
        return "comment", ""
    if not token.startswith("<"):
        return "text", ""
    m = _TAG_NAME.match(token)
    name = m.group(1).lower() if m else ""
    if token.startswith("</"):
        return "close", name
    if name in _VOID or token.rstrip().endswith("/>"):
        return "void", name
    return "open", name


def _units(html: str) -> list[tuple[str, str]]:
    """Top-level units of a fragment: (html, name of its element or '' for text and voids)."""
    units: list[tuple[str, str]] = []
    depth, start, name = 0, 0, ""
    pos = 0
    for m in _TOKEN.finditer(html):
        token, pos = m.group(0), m.end()
        kind, tag = _kind(token)
        if depth == 0:
            if kind == "open":
                depth, start, name = 1, m.start(), tag
            elif kind == "close":  # a stray closing tag: keep it as glue
                units.append((token, ""))
            else:
                units.append((token, ""))
            continue
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth -= 1
            if depth == 0:
                units.append((html[start:pos], name))
    if depth:  # unclosed element: the rest is one unit
        units.append((html[start:], name))
    return units


def _cut_points(fragment: str, pattern: re.Pattern[str], html: bool) -> list[tuple[int, int]]:
    """Whitespace spans (start, end) matching `pattern` that lie in text outside any inline element."""
    spans: list[tuple[int, int]] = []
    depth = 0
    for m in (_TOKEN.finditer(fragment) if html else [re.match(r"(?s).*", fragment)]):
        assert m is not None
        token = m.group(0)
        kind, _ = _kind(token) if html else ("text", "")
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth = max(0, depth - 1)
        elif kind == "text" and depth == 0:
            spans += [(m.start() + s.start(), m.start() + s.end()) for s in pattern.finditer(token)]
    return spans


def _split_flat(fragment: str, limit: int, html: bool) -> list[Piece]:
    """Cut one run (a block's inside, or plain text) between sentences, then at spaces, into <= limit pieces."""
    if len(fragment) <= limit or not fragment.strip():
        return [Piece(fragment, bool(fragment.strip()))]
    pieces: list[Piece] = []
    start = 0
    sentences = _cut_points(fragment, _SENTENCE_END, html)
    spaces = _cut_points(fragment, _SPACE, html)
    while len(fragment) - start > limit:
        window_end = start + limit
        cut = next((s for s in reversed(sentences) if start < s[0] <= window_end), None) or \
            next((s for s in reversed(spaces) if start < s[0] <= window_end), None)
        if cut is None:  # one unbreakable run over the limit: send it whole, the engine may refuse it
            cut = next((s for s in sentences + spaces if s[0] > start), None)
            if cut is None:
                break
        pieces.append(Piece(fragment[start:cut[0]], True))
        pieces.append(Piece(fragment[cut[0]:cut[1]], False))
        start = cut[1]
    if start < len(fragment):
        pieces.append(Piece(fragment[start:], bool(fragment[start:].strip())))
    return pieces


def _split_unit(unit: str, name: str, limit: int) -> list[Piece]:
    tokens = list(_TOKEN.finditer(unit))
    open_end = tokens[0].end()
    close_start = tokens[-1].start() if len(tokens) > 1 and _kind(tokens[-1].group(0))[0] == "close" else len(unit)
    inner = unit[open_end:close_start]
    head, tail = Piece(unit[:open_end], False), Piece(unit[close_start:], False)
    body = split_html(inner, limit) if name in _CONTAINERS else _split_flat(inner, limit, html=True)
    return [head, *body, tail]


def split_html(html: str, limit: int) -> list[Piece]:
    """Pieces of an HTML fragment: translatable runs of whole blocks of at most `limit` characters (one block
    that cannot be cut may exceed it), with the glue between them kept aside."""
    if limit < 1:
        raise ValueError("limit must be positive")
    pieces: list[Piece] = []
    group: list[str] = []
    size = 0

    def flush() -> None:
        nonlocal group, size
        if group:
            pieces.append(Piece("".join(group), True))
        group, size = [], 0

    for unit, name in _units(html):
        if not unit.strip() or name == "" and unit.startswith("<"):
            # whitespace, voids (<hr>, <br>) and stray tags between blocks: glue, unless inside a group
            if group and unit.strip() == "" and size + len(unit) <= limit:
                group.append(unit)
                size += len(unit)
            else:
                flush()
                pieces.append(Piece(unit, False))
            continue
        if len(unit) > limit:
            flush()
            pieces += _split_unit(unit, name, limit) if name else _split_flat(unit, limit, html=True)
            continue
        if size + len(unit) > limit:
            flush()
        group.append(unit)
        size += len(unit)
    flush()
    # Trailing whitespace inside a group stays with it; that is harmless for engines.
    return [p for p in pieces if p.text]


def split_text(text: str, limit: int) -> list[Piece]:
    """Pieces of plain text: cut between sentences (then at spaces) into runs of at most `limit` characters."""
    if limit < 1:
        raise ValueError("limit must be positive")
    return [p for p in _split_flat(text, limit, html=False) if p.text]


def join(pieces: Iterable[Piece], translations: Iterable[str]) -> str:
    """The pieces put back together, each translatable one replaced by the next translation in order."""
    it = iter(translations)
    out = []
    for p in pieces:
        out.append(next(it) if p.translate else p.text)
    rest = list(it)
    if rest:
        raise ValueError(f"{len(rest)} translation(s) left over")
    return "".join(out)
