"""The claim index: every fact-check a node has, findable by a normalised claim URL and by the claim's text in each
of its languages.

In memory, built from the database at first use and kept current by the use-cases that change fact-checks in
this process; another process's changes are picked up by a cheap generation check (row counts and the newest
change) at most every `RECHECK_SECONDS` (node/factchecks/index_registry.py). Text postings live in one sorted
numpy array of ``hash << 24 | doc`` (8 bytes per shingle instead of the hundreds a dict of sets costs; a text's
shingles are looked up all at once with `searchsorted`), plus a small dict of postings added since the last
rebuild; withdrawn documents are skipped until the next rebuild drops them. bench/claims.py measures it.
"""

from __future__ import annotations

import functools
import time
from array import array
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable

from node.factchecks.fingerprint import MIN_SHINGLES, THRESHOLD, shingles
from schemas.factcheck import normalize_url

if TYPE_CHECKING:
    import numpy as np

__all__ = ["ClaimIndex", "Hit", "IndexedCheck"]

_DOC_BITS = 24
_DOC_MASK = (1 << _DOC_BITS) - 1
REBUILD_AFTER = 50_000  # postings added since the last rebuild before the sorted array is rebuilt


@functools.cache
def _numpy() -> Any:
    """numpy and the index's two constants in its types. Imported at the first index that holds a claim text, not
    at start-up: numpy costs about 0.15 s of CPU to import, a restarted node answers that much sooner, and a node
    without fact-checks never needs it."""
    import numpy

    return numpy, numpy.uint64(_DOC_BITS), numpy.uint64(_DOC_MASK)


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


@dataclass(slots=True)
class _Doc:
    uri: str
    language: str
    size: int
    live: bool = True


@dataclass
class ClaimIndex:
    """The index of one node (see the module docstring)."""

    docs: list[_Doc] = field(default_factory=list)
    postings: "np.ndarray | tuple[()]" = ()  # () until a claim text is posted: no numpy needed till then
    recent: dict[int, list[int]] = field(default_factory=dict)
    recent_count: int = 0
    by_uri: dict[str, list[int]] = field(default_factory=dict)
    urls: dict[str, tuple[str, ...]] = field(default_factory=dict)  # one holder mostly: tuples, not sets
    urls_of: dict[str, tuple[str, ...]] = field(default_factory=dict)
    generation: object = None
    checked_at: float = 0.0

    def __len__(self) -> int:
        return len(self.by_uri)

    def can_match(self) -> bool:
        """False when no query can match anything (no claim URL and no claim text indexed): a node without
        fact-checks then spends nothing on checking each story that arrives."""
        return bool(self.urls or self.docs)

    # -- changes ---------------------------------------------------------------------------------------------------

    def _register(self, check: IndexedCheck) -> list[tuple[int, set[int]]]:
        """Record a fact-check's URLs and documents (one per language); their shingles are the caller's to post."""
        self.remove(check.uri)
        normal = tuple(u for u in (normalize_url(x) for x in check.urls) if u)
        self.urls_of[check.uri] = normal
        for u in normal:
            if check.uri not in self.urls.get(u, ()):
                self.urls[u] = (*self.urls.get(u, ()), check.uri)
        out: list[tuple[int, set[int]]] = []
        for language, text in check.texts:
            grams = shingles(text)
            if len(grams) < MIN_SHINGLES:
                continue  # too short to recognise by text (its URLs still match)
            if len(self.docs) > _DOC_MASK:
                self.rebuild()
            out.append((len(self.docs), grams))
            self.docs.append(_Doc(check.uri, language, len(grams)))
        self.by_uri[check.uri] = [doc for doc, _ in out]
        return out

    def add(self, check: IndexedCheck) -> None:
        """Index a fact-check (replacing what was indexed under its uri); the sorted postings are rebuilt once
        enough were added since the last rebuild."""
        for doc, grams in self._register(check):
            for g in grams:
                self.recent.setdefault(g, []).append(doc)
            self.recent_count += len(grams)
        if self.recent_count > REBUILD_AFTER:
            self.rebuild()

    def remove(self, uri: str) -> None:
        """Forget a fact-check (withdrawn); its postings are skipped until the next rebuild."""
        for doc in self.by_uri.pop(uri, ()):
            self.docs[doc].live = False
        for u in self.urls_of.pop(uri, ()):
            holders = tuple(h for h in self.urls.get(u, ()) if h != uri)
            if holders:
                self.urls[u] = holders
            else:
                self.urls.pop(u, None)

    def rebuild(self) -> None:
        """Merge recent postings into the sorted array, dropping removed documents and renumbering the rest.

        A shingle found in more than `common_limit()` documents says nothing about which claim a text repeats
        ("of the", "prime minister"): its postings are dropped, and each document's size counts only the shingles
        kept, so containment is measured on what identifies a claim. This also keeps a query from walking long
        posting runs (bench/claims.py)."""
        if not self.docs:  # nothing posted, nothing to renumber
            self.recent, self.recent_count = {}, 0
            return
        np, _BITS_U, _MASK_U = _numpy()
        postings = self.postings if len(self.postings) else np.zeros(0, dtype=np.uint64)
        live = np.fromiter((d.live for d in self.docs), dtype=bool, count=len(self.docs))
        renumber = np.full(len(self.docs), -1, dtype=np.int64)
        renumber[live] = np.arange(int(live.sum()))
        old_docs = (postings & _MASK_U).astype(np.int64)
        keep = renumber[old_docs] >= 0 if len(old_docs) else np.zeros(0, dtype=bool)
        old = ((postings[keep] >> _BITS_U) << _BITS_U) | renumber[old_docs[keep]].astype(np.uint64)
        pairs = sum(len(ds) for ds in self.recent.values())
        new = np.fromiter(((g << _DOC_BITS) | d for g, ds in self.recent.items() for d in ds), dtype=np.uint64,
                          count=pairs)
        new_docs = (new & _MASK_U).astype(np.int64)
        new = new[renumber[new_docs] >= 0]
        new = ((new >> _BITS_U) << _BITS_U) | renumber[(new & _MASK_U).astype(np.int64)].astype(np.uint64)
        merged = np.concatenate([old, new])
        merged.sort()
        docs = [d for d in self.docs if d.live]
        if len(merged):
            grams = merged >> _BITS_U
            starts = np.flatnonzero(np.r_[True, grams[1:] != grams[:-1]])
            lengths = np.diff(np.r_[starts, len(merged)])
            merged = merged[np.repeat(lengths <= common_limit(len(docs)), lengths)]
        sizes = np.bincount((merged & _MASK_U).astype(np.int64), minlength=len(docs))
        for d, size in zip(docs, sizes.tolist()):
            d.size = size
        old_ids = np.flatnonzero(live).tolist()
        mapping = dict(zip(old_ids, range(len(old_ids))))
        self.postings = merged
        self.docs = docs
        self.recent, self.recent_count = {}, 0
        self.by_uri = {uri: [mapping[d] for d in ids if d in mapping] for uri, ids in self.by_uri.items()}

    @classmethod
    def build(cls, checks: Iterable[IndexedCheck]) -> "ClaimIndex":
        """An index of these fact-checks, compacted. The postings are gathered in a flat array (8 bytes each)
        rather than the dict `add` uses, so building 100,000 fact-checks does not leave the process holding
        hundreds of MiB of freed small objects."""
        index = cls()
        flat = array("Q")
        for check in checks:
            for doc, grams in index._register(check):
                flat.extend((g << _DOC_BITS) | doc for g in grams)
        if flat:
            np = _numpy()[0]
            index.postings = np.frombuffer(flat, dtype=np.uint64).copy()
        del flat
        index.rebuild()
        return index

    # -- queries ---------------------------------------------------------------------------------------------------

    def _counts(self, grams: set[int]) -> dict[int, int]:
        """How many of `grams` each document has (documents with fewer than MIN_SHINGLES left out)."""
        counts: dict[int, int] = {}
        arr = self.postings
        if grams and len(arr):
            np, _BITS_U, _MASK_U = _numpy()
            keys = np.fromiter(grams, dtype=np.uint64, count=len(grams)) << _BITS_U
            lo = np.searchsorted(arr, keys, "left")
            hi = np.searchsorted(arr, keys | _MASK_U, "right")
            lengths = hi - lo
            total = int(lengths.sum())
            if total:
                # The positions of every posting of every gram, without a Python loop.
                offsets = np.repeat(lo - (np.cumsum(lengths) - lengths), lengths) + np.arange(total)
                ids, n = np.unique((arr[offsets] & _MASK_U).astype(np.int64), return_counts=True)
                wanted = n >= MIN_SHINGLES
                counts = dict(zip(ids[wanted].tolist(), n[wanted].tolist()))
        for g in grams:
            for d in self.recent.get(g, ()):
                counts[d] = counts.get(d, 0) + 1
        return counts

    def match_text(self, text: str, *, threshold: float = THRESHOLD) -> list[Hit]:
        """Fact-checks whose claim (in any of its languages) this text repeats, best first, one hit per uri."""
        best: dict[str, Hit] = {}
        if not self.docs:  # no claim text indexed: nothing to cut the text into shingles for
            return []
        for d, n in self._counts(shingles(text)).items():
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
        return int(getattr(self.postings, "nbytes", 0)) + self.recent_count * 40


def rebuild_due(index: ClaimIndex, recheck_seconds: float) -> bool:
    """True when the index has not compared its generation with the database for `recheck_seconds`."""
    return time.monotonic() - index.checked_at >= recheck_seconds
