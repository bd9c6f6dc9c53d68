"""The claim index: every fact-check a node has, findable by a normalised claim URL and by the claim's text in each
of its languages.

In memory, built from the database at first use and kept current by the use-cases that change fact-checks in
this process; another process's changes are picked up by a cheap generation check (row counts and the newest
change) at most every `RECHECK_SECONDS`. Text postings live in one sorted `array('Q')` of ``hash << 24 | doc``
(12 bytes per shingle instead of the hundreds a dict of sets costs; looked up with `bisect`), plus a small dict
of postings added since the last rebuild; withdrawn documents are skipped until the next rebuild drops them.
bench/claims.py measures it: 100,000 fact-checks, a 1,000-word story checked in a few milliseconds.
"""

from __future__ import annotations

import time
from array import array
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Iterable

from node.factchecks.fingerprint import MIN_SHINGLES, THRESHOLD, shingles
from schemas.factcheck import normalize_url

__all__ = ["ClaimIndex", "Hit", "IndexedCheck"]

_DOC_BITS = 24
_DOC_MASK = (1 << _DOC_BITS) - 1
REBUILD_AFTER = 50_000  # postings added since the last rebuild before the sorted array is rebuilt


def common_limit(documents: int) -> int:
    """How many documents a shingle may be in and still be kept (see `ClaimIndex.rebuild`)."""
    return max(50, documents // 500)


@dataclass(frozen=True)
class IndexedCheck:
    """What the index holds of one fact-check: its id, the claim's URLs, and its claim texts per language."""

    uri: str
    urls: tuple[str, ...] = ()
    texts: tuple[tuple[str, str], ...] = ()  # (language, text): claim and explanation translations


@dataclass(frozen=True)
class Hit:
    """One fact-check a query matched: how (``url`` or ``text``), how well, and on what."""

    uri: str
    how: str
    score: float
    matched: str


@dataclass
class _Doc:
    uri: str
    language: str
    size: int
    live: bool = True


@dataclass
class ClaimIndex:
    """The index of one node (see the module docstring)."""

    docs: list[_Doc] = field(default_factory=list)
    postings: array = field(default_factory=lambda: array("Q"))
    recent: dict[int, list[int]] = field(default_factory=dict)
    recent_count: int = 0
    by_uri: dict[str, list[int]] = field(default_factory=dict)
    urls: dict[str, set[str]] = field(default_factory=dict)
    urls_of: dict[str, tuple[str, ...]] = field(default_factory=dict)
    generation: object = None
    checked_at: float = 0.0

    def __len__(self) -> int:
        return len(self.by_uri)

    # -- changes ---------------------------------------------------------------------------------------------------

    def add(self, check: IndexedCheck) -> None:
        """Index a fact-check (replacing what was indexed under its uri)."""
        self.remove(check.uri)
        normal = tuple(u for u in (normalize_url(x) for x in check.urls) if u)
        self.urls_of[check.uri] = normal
        for u in normal:
            self.urls.setdefault(u, set()).add(check.uri)
        ids: list[int] = []
        for language, text in check.texts:
            grams = shingles(text)
            if len(grams) < MIN_SHINGLES:
                continue  # too short to recognise by text (its URLs still match)
            doc = len(self.docs)
            if doc > _DOC_MASK:
                self.rebuild()
                doc = len(self.docs)
            self.docs.append(_Doc(check.uri, language, len(grams)))
            ids.append(doc)
            for g in grams:
                self.recent.setdefault(g, []).append(doc)
            self.recent_count += len(grams)
        self.by_uri[check.uri] = ids
        if self.recent_count > REBUILD_AFTER:
            self.rebuild()

    def remove(self, uri: str) -> None:
        """Forget a fact-check (withdrawn); its postings are skipped until the next rebuild."""
        for doc in self.by_uri.pop(uri, ()):
            self.docs[doc].live = False
        for u in self.urls_of.pop(uri, ()):
            holders = self.urls.get(u)
            if holders is not None:
                holders.discard(uri)
                if not holders:
                    del self.urls[u]

    def rebuild(self) -> None:
        """Merge recent postings into the sorted array, dropping removed documents and renumbering the rest.

        A shingle found in more than `common_limit()` documents says nothing about which claim a text repeats
        ("of the", "prime minister"): its postings are dropped, and each document's size counts only the shingles
        kept, so containment is measured on what identifies a claim. This also keeps a query from walking long
        posting runs (bench/claims.py)."""
        renumber: dict[int, int] = {}
        docs: list[_Doc] = []
        for old, d in enumerate(self.docs):
            if d.live:
                renumber[old] = len(docs)
                docs.append(d)
        merged = [((v >> _DOC_BITS) << _DOC_BITS) | renumber[v & _DOC_MASK]
                  for v in self.postings if (v & _DOC_MASK) in renumber]
        merged += [(g << _DOC_BITS) | renumber[d] for g, ds in self.recent.items() for d in ds if d in renumber]
        merged.sort()
        limit = common_limit(len(docs))
        kept = array("Q")
        sizes = [0] * len(docs)
        i, n = 0, len(merged)
        while i < n:
            g = merged[i] >> _DOC_BITS
            j = i + 1
            while j < n and (merged[j] >> _DOC_BITS) == g:
                j += 1
            if j - i <= limit:
                run = merged[i:j]
                kept.extend(run)
                for v in run:
                    sizes[v & _DOC_MASK] += 1
            i = j
        for d, size in zip(docs, sizes):
            d.size = size
        self.postings = kept
        self.docs = docs
        self.recent, self.recent_count = {}, 0
        self.by_uri = {uri: [renumber[d] for d in ids if d in renumber] for uri, ids in self.by_uri.items()}

    @classmethod
    def build(cls, checks: Iterable[IndexedCheck]) -> "ClaimIndex":
        """An index of these fact-checks, compacted."""
        index = cls()
        for check in checks:
            index.add(check)
        index.rebuild()
        return index

    # -- queries ---------------------------------------------------------------------------------------------------

    def match_text(self, text: str, *, threshold: float = THRESHOLD) -> list[Hit]:
        """Fact-checks whose claim (in any of its languages) this text repeats, best first, one hit per uri."""
        counts: dict[int, int] = {}
        arr, n, recent = self.postings, len(self.postings), self.recent
        for g in shingles(text):
            i = bisect_left(arr, g << _DOC_BITS)
            while i < n:
                v = arr[i]
                if v >> _DOC_BITS != g:
                    break
                d = v & _DOC_MASK
                counts[d] = counts.get(d, 0) + 1
                i += 1
            for d in recent.get(g, ()):
                counts[d] = counts.get(d, 0) + 1
        best: dict[str, Hit] = {}
        for d, n in counts.items():
            doc = self.docs[d]
            if not doc.live or doc.size < MIN_SHINGLES or n < MIN_SHINGLES:
                continue
            score = n / doc.size
            if score >= threshold and (doc.uri not in best or best[doc.uri].score < score):
                best[doc.uri] = Hit(doc.uri, "text", round(min(score, 1.0), 3), doc.language)
        return sorted(best.values(), key=lambda h: -h.score)

    def match_url(self, url: str) -> list[Hit]:
        """Fact-checks of a claim that appeared at this URL (compared in normalised form)."""
        normal = normalize_url(url)
        return [Hit(uri, "url", 1.0, url) for uri in sorted(self.urls.get(normal, ()))] if normal else []

    def memory_bytes(self) -> int:
        """Roughly what the text postings take (the array, plus the recent dict's entries)."""
        return self.postings.buffer_info()[1] * self.postings.itemsize + self.recent_count * 40


def rebuild_due(index: ClaimIndex, recheck_seconds: float) -> bool:
    """True when the index has not compared its generation with the database for `recheck_seconds`."""
    return time.monotonic() - index.checked_at >= recheck_seconds
