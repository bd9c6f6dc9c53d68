"""The claim index: normalised URLs, reworded and translated claims, short claims, removal and rebuilds."""

from __future__ import annotations

from node.factchecks.fingerprint import shingles, words
from node.factchecks.index import ClaimIndex, IndexedCheck
from schemas.factcheck import normalize_url

CLAIM = "The Caspian Sea level rose by three metres in one year and flooded the port of Baku"
CLAIM_RU = "Уровень Каспийского моря поднялся на три метра за один год и затопил порт Баку"
CLAIM_ZH = "里海水位一年内上升三米并淹没了巴库港口"


def _index() -> ClaimIndex:
    return ClaimIndex.build([
        IndexedCheck("https://baku.example/factchecks/1", ("https://rumours.example/p/1?id=7&utm_source=x",),
                     (("en", CLAIM), ("ru", CLAIM_RU), ("zh-Hans", CLAIM_ZH))),
        IndexedCheck("https://astana.example/factchecks/2", ("https://rumours.example/p/1?id=7",),
                     (("en", "Wheat exports through the port of Aktau stopped entirely last winter season"),)),
        IndexedCheck("https://ankara.example/factchecks/3", (), (("en", "Baku port flooded"),)),
    ])


def test_normalize_url__spellings_of_one_page_agree():
    """Scheme, www, default port, fragment, tracking parameters, query order and trailing slash do not matter."""
    same = ["https://www.Rumours.example/p/1/?b=2&a=1#top", "http://rumours.example:80/p/1?a=1&utm_source=fb&b=2",
            "https://rumours.example/p/1?fbclid=x&b=2&a=1"]
    assert len({normalize_url(u) for u in same}) == 1
    assert normalize_url("https://rumours.example/p/2?a=1") != normalize_url(same[0])
    assert normalize_url("ftp://rumours.example/x") == "" and normalize_url("not a url") == ""


def test_claim_index__url_and_reworded_text_match_unrelated_does_not():
    """A URL finds both agencies' checks; a reworded claim matches, in English, Russian and Chinese; an unrelated
    text and a three-word claim do not match by text."""
    index = _index()
    hits = index.match_url("http://www.rumours.example/p/1/?utm_medium=social&id=7")
    assert sorted(h.uri for h in hits) == ["https://astana.example/factchecks/2", "https://baku.example/factchecks/1"]
    reworded = "Posts claim the Caspian Sea level rose by three metres within one year and flooded the port in Baku."
    (hit,) = index.match_text(reworded)
    assert hit.uri.endswith("/1") and hit.how == "text" and hit.matched == "en" and 0.6 <= hit.score <= 1
    (hit,) = index.match_text("В соцсетях пишут: уровень Каспийского моря поднялся на три метра за год и "
                              "затопил порт Баку.")
    assert hit.matched == "ru"
    (hit,) = index.match_text("网传里海水位一年内上升三米并淹没了巴库港口。")
    assert hit.matched == "zh-Hans"
    assert index.match_text("The ferry line between Baku and Aktau reopens on Monday after repairs.") == []
    assert index.match_text("Baku port flooded") == []  # too short to recognise by its text


def test_claim_index__removed_checks_stop_matching_and_rebuild_keeps_the_rest():
    """A withdrawn fact-check matches neither by URL nor by text, before and after a rebuild; re-adding works."""
    index = _index()
    index.remove("https://baku.example/factchecks/1")
    assert [h.uri for h in index.match_url("https://rumours.example/p/1?id=7")] == [
        "https://astana.example/factchecks/2"]
    assert index.match_text(CLAIM) == []
    index.rebuild()
    assert index.match_text(CLAIM) == []
    assert index.match_text("Wheat exports through the port of Aktau stopped entirely last winter season")
    index.add(IndexedCheck("https://baku.example/factchecks/1", (), (("en", CLAIM),)))
    assert [h.uri for h in index.match_text(CLAIM)] == ["https://baku.example/factchecks/1"]
    assert len(index) == 3


def test_fingerprint__inflections_fall_away():
    """Stems keep the first six characters, so inflected words share a shingle."""
    assert words("Flooding FLOODED floods, a 2026") == ["floodi", "floode", "floods", "2026"]
    assert shingles("the reported flooding") & shingles("the reported floodings")


def test_claim_index__starting_empty_then_growing_matches_as_if_built_whole():
    """An index built with no claim texts (a URL-only check, or none; it needs no numpy then) answers queries,
    then takes claims with `add`, through a rebuild, and matches them as an index built with them does."""
    empty = ClaimIndex.build([IndexedCheck("https://astana.example/factchecks/9", ("https://rumours.example/x",))])
    assert empty.postings == () and empty.memory_bytes() == 0
    assert empty.match_text(CLAIM) == [] and [h.uri for h in empty.match_url("https://rumours.example/x")] == [
        "https://astana.example/factchecks/9"]
    whole = _index()
    for check in (IndexedCheck("https://baku.example/factchecks/1", (), (("en", CLAIM), ("ru", CLAIM_RU))),
                  IndexedCheck("https://ankara.example/factchecks/3", (), (("en", "Baku port flooded"),))):
        empty.add(check)
    assert [h.uri for h in empty.match_text(CLAIM_RU)] == [h.uri for h in whole.match_text(CLAIM_RU)]
    empty.rebuild()
    assert [h.uri for h in empty.match_text(CLAIM)] == ["https://baku.example/factchecks/1"]
    assert empty.memory_bytes() > 0


def test_claim_index__can_match_only_once_something_is_indexed():
    """An index with no claim URL and no claim text says it can match nothing (stories skip the check); a URL
    alone or a text alone is enough, and emptying it again says so."""
    empty = ClaimIndex.build([])
    assert not empty.can_match() and empty.match_text(CLAIM) == [] and empty.match_url("https://x.example/") == []
    url_only = ClaimIndex.build([IndexedCheck("https://baku.example/factchecks/9", ("https://rumours.example/a",))])
    assert url_only.can_match() and url_only.match_url("https://rumours.example/a")
    text_only = ClaimIndex.build([IndexedCheck("https://baku.example/factchecks/8", (), (("en", CLAIM),))])
    assert text_only.can_match() and text_only.match_text(CLAIM)
    text_only.remove("https://baku.example/factchecks/8")
    text_only.rebuild()
    assert not text_only.can_match()
