"""The index's word splitting (`node.media.search_index`) gives exactly what the first, per-character version
gave, on mixed-script text: Latin, Turkish and Azerbaijani, Cyrillic, Chinese and Japanese, Arabic, and
characters that fold or decompose. The reference below is that first version, kept here verbatim."""

from __future__ import annotations

import random
import unicodedata
from typing import Iterable

from node.media import search_index
from node.wire import search_index as wire_index

_CJK = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3FFFF))


def _reference_runs(text: str) -> Iterable[tuple[bool, str]]:
    run: list[str] = []
    cjk_run = False
    for char in search_index.fold(text):
        cjk = any(lo <= ord(char) <= hi for lo, hi in _CJK)
        word = unicodedata.category(char)[0] in "LNM"
        if run and (not word or cjk != cjk_run):
            yield cjk_run, "".join(run)
            run = []
        if word:
            run.append(char)
            cjk_run = cjk
    if run:
        yield cjk_run, "".join(run)


def _reference_words(text: str) -> list[str]:
    out: list[str] = []
    for cjk, run in _reference_runs(text):
        out.extend(run) if cjk else out.append(run)
    return out


MIXED = [
    "Bakıda İSTANBUL şehri, Ağdam — ÇAY; Şuşa!",
    "Москва: ЁЛКА и ёж, Київ ґанок; Алматы — Қазақстан",
    "北京今天下雨了，行人打着伞。東京タワー・ラーメンとカタカナー",
    "مرحبا بالعالم، ١٢٣ خبر عاجل — طهران ۴۵۶ ﷺ",
    "Wheat 北京 harvest Москва mixed: x²₃ ﬁnance café e\u0301 Ⅻ ǅ Straße ＡＢＣ１２３ 𠀀𠀁字 — emoji 😀 end",
    "",
    "   ...  ---  \"\" ** ",
    "a_b-c'd\u200bE\u00adF",
]

# Characters from each script above, with punctuation, marks, fullwidth forms, emoji and CJK extension B.
_POOL = [chr(c) for lo, hi in [(0x20, 0x7F), (0xA0, 0x250), (0x300, 0x36F), (0x370, 0x3FF), (0x400, 0x52F),
                               (0x600, 0x6FF), (0x3000, 0x30FF), (0x4E00, 0x4F00), (0xFF00, 0xFFEF),
                               (0x1F600, 0x1F64F), (0x20000, 0x20100)] for c in range(lo, hi)]


def _random_texts(n: int) -> list[str]:
    rnd = random.Random(13)
    return ["".join(rnd.choice(_POOL) for _ in range(rnd.randint(0, 60))) for _ in range(n)]


def test_search_words__runs_and_words_equal_the_per_character_version_on_mixed_scripts():
    """`_runs` and `words` give the reference's output for hand-picked and random mixed-script texts."""
    for text in MIXED + _random_texts(2000):
        assert list(search_index._runs(text)) == list(_reference_runs(text)), text
        assert search_index.words(text) == _reference_words(text), text


def test_search_words__queries_and_documents_equal_the_per_character_version():
    """The FTS5 and tsquery texts and the wire's document and in-memory match are unchanged."""
    for text in MIXED:
        terms = [f'"{" ".join(run)}"' if cjk else f'"{run}"*' for cjk, run in _reference_runs(text)]
        assert search_index.fts5_query(text) == (" AND ".join(terms) or None)
        assert search_index.document_of({"az": text}, {}, "", "")[0] == " ".join(_reference_words(text))
        assert wire_index.document_of(text, "", f"<p>{text}</p>") == " ".join(
            _reference_words(" \n ".join(dict.fromkeys(t for t in (text, "", text) if t))))
        assert wire_index.matches(text, wire_index.document_of(text, "", "")) is True


def test_search_words__a_character_seen_once_keeps_its_class():
    """The class table caches each character: the same text split twice gives the same runs."""
    text = MIXED[4]
    assert list(search_index._runs(text)) == list(search_index._runs(text)) == list(_reference_runs(text))


def test_search_words__the_class_tables_stay_bounded_and_correct_past_their_size(monkeypatch):
    """Text with more distinct characters than the tables hold: they start again, and the words stay right."""
    monkeypatch.setattr(search_index, "_TABLE_MAX", 64)
    monkeypatch.setattr(search_index, "_CLASSES", search_index._Classes())
    monkeypatch.setattr(search_index, "_SPACED", search_index._Spaced())
    texts = _random_texts(50)
    for text in texts:
        assert search_index.words(text) == _reference_words(text), text
        assert list(search_index._runs(text)) == list(_reference_runs(text)), text
    assert 0 < len(search_index._CLASSES) <= 64 and 0 < len(search_index._SPACED) <= 64
