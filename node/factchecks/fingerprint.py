"""Text fingerprints that survive small edits: the shingles a claim and a story are compared by.

A text is cut into words (Unicode-aware, case-folded, NFKC), each word is cut to its first `STEM` characters (a
crude stemmer that works for the suffixing languages of our agencies: Turkic, Russian, English inflections fall
away), Chinese and Japanese runs become one "word" per character, and consecutive pairs of those stems are
hashed to 40 bits. A claim matches a text when enough of the claim's shingles are in the text (containment),
which is what "this story repeats that claim" means: the claim is a sentence, the story a thousand words, so their
Jaccard similarity (what MinHash estimates) would be tiny even for a story that quotes the claim word for word.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["HASH_BITS", "MIN_SHINGLES", "THRESHOLD", "shingles", "words"]

STEM = 6
HASH_BITS = 40
_MASK = (1 << HASH_BITS) - 1
# A claim matches when this share of its shingles is found in the text (a reworded claim keeps most of them),
# and at least MIN_SHINGLES of them (a claim of a few words is too short to recognise by its text, and a few common
# word pairs in a long story happen by chance: bench/claims.py found false matches with 4 and 5, in about one of
# 2,000 stories at 100,000 fact-checks; 6 costs about 1 % recall on reworded claims).
THRESHOLD = 0.6
MIN_SHINGLES = 6
_WORD = re.compile(r"\w+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def words(text: str) -> list[str]:
    """The stems of a text's words, in order."""
    text = unicodedata.normalize("NFKC", text).casefold()
    found = _WORD.findall(text)
    if not _CJK.search(text):  # the common case, without a look at each word
        return [w[:STEM] for w in found if len(w) > 1 or w.isdigit()]
    out: list[str] = []
    for word in found:
        if _CJK.search(word):
            out.extend(word)
        elif len(word) > 1 or word.isdigit():
            out.append(word[:STEM])
    return out


def shingles(text: str) -> set[int]:
    """The 40-bit hashes of the text's consecutive stem pairs (a one-word text: that word)."""
    stems = words(text)
    if len(stems) < 2:
        return {hash(stems[0]) & _MASK} if stems else set()
    return {hash((a, b)) & _MASK for a, b in zip(stems, stems[1:])}
