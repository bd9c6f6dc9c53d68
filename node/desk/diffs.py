"""Differences between two revisions of a story, for people: paragraph by paragraph (difflib), with the changed
words of a changed paragraph marked as removed and added."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Mapping

from federation.sanitize import html_to_text
from node.desk.paragraphs import paragraphs

__all__ = ["DiffRow", "Piece", "revision_diff"]


@dataclass(frozen=True)
class Piece:
    """A run of text: `kind` is "same", "del" or "ins" (text, escaped when shown)."""

    kind: str
    text: str


@dataclass(frozen=True)
class DiffRow:
    """One line of the table: the field, what changed ("same", "changed", "removed", "added") and the old and
    new text as pieces."""

    field: str
    change: str
    old: tuple[Piece, ...]
    new: tuple[Piece, ...]


def _words(old: str, new: str) -> tuple[tuple[Piece, ...], tuple[Piece, ...]]:
    a, b = old.split(" "), new.split(" ")
    left: list[Piece] = []
    right: list[Piece] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            left.append(Piece("same", " ".join(a[i1:i2])))
            right.append(Piece("same", " ".join(b[j1:j2])))
            continue
        if i2 > i1:
            left.append(Piece("del", " ".join(a[i1:i2])))
        if j2 > j1:
            right.append(Piece("ins", " ".join(b[j1:j2])))
    return tuple(left), tuple(right)


def _lines(field: str, old: list[str], new: list[str]) -> list[DiffRow]:
    rows: list[DiffRow] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op == "equal":
            rows += [DiffRow(field, "same", (Piece("same", t),), (Piece("same", t),)) for t in old[i1:i2]]
        elif op == "replace":
            pairs = list(zip(old[i1:i2], new[j1:j2]))
            rows += [DiffRow(field, "changed", *_words(a, b)) for a, b in pairs]
            rows += [DiffRow(field, "removed", (Piece("del", t),), ()) for t in old[i1 + len(pairs):i2]]
            rows += [DiffRow(field, "added", (), (Piece("ins", t),)) for t in new[j1 + len(pairs):j2]]
        elif op == "delete":
            rows += [DiffRow(field, "removed", (Piece("del", t),), ()) for t in old[i1:i2]]
        else:
            rows += [DiffRow(field, "added", (), (Piece("ins", t),)) for t in new[j1:j2]]
    return rows


def _texts(snapshot: Mapping[str, Any]) -> dict[str, list[str]]:
    subjects = ", ".join(s.get("name") or s.get("code", "") for s in snapshot.get("subjects") or [])
    media = ", ".join((m.get("alt") or {}).get(snapshot.get("language", ""), "") or m.get("sha256", "")[:12]
                      for m in snapshot.get("media") or [])
    return {
        "headline": [html_to_text(snapshot.get("headline", ""))],
        "summary": [t for t in [html_to_text(snapshot.get("summary", ""))] if t],
        "body": paragraphs(snapshot.get("body_html", "")),
        "language": [snapshot.get("language", "")],
        "urgency": [str(snapshot["urgency"])] if snapshot.get("urgency") else [],
        "topics": [subjects] if subjects else [],
        "embargo": [snapshot["embargoed_until"]] if snapshot.get("embargoed_until") else [],
        "media": [media] if media else [],
        "correction note": [n for n in (snapshot.get("correction_note") or {}).values() if n],
    }


def revision_diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[DiffRow]:
    """The rows of the table comparing two revision snapshots, field by field (unchanged short fields
    are left out; unchanged body paragraphs stay, for context)."""
    a, b = _texts(old), _texts(new)
    rows: list[DiffRow] = []
    for field in a:
        part = _lines(field, a[field], b[field])
        if field != "body" and all(r.change == "same" for r in part):
            continue
        rows += part
    return rows
