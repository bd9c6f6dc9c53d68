"""Provenance vocabulary: records we send, tolerant parsing of what peers send, review moves, offer links."""

from __future__ import annotations

from schemas.provenance import (
    PROVENANCE_TERMS, TRANSLATION_OF_REL, can_move, parse_provenance, provenance_record, translation_link,
    translation_of,
)


def test_provenance__record_round_trips():
    """A record we build parses back to the same provenance."""
    record = provenance_record(language="ru", kind="translation", updated="2026-11-30T00:00:00Z",
                               source_language="az", method="machine+human", engine="libretranslate",
                               translated_by="https://baku.example/actors/baku", reviewed_by="Rashad")
    parsed = parse_provenance([record])["ru"]
    assert (parsed["kind"], parsed["method"], parsed["source_language"], parsed["engine"]) == (
        "translation", "machine+human", "az", "libretranslate")
    assert parsed["translated_by"] == "https://baku.example/actors/baku" and parsed["reviewed_by"] == "Rashad"
    assert "translator" not in record  # empty members are left out


def test_provenance__parse_tolerates_junk():
    """Unknown kinds and methods, bad tags, non-URL agencies and non-dict entries are dropped, not fatal."""
    parsed = parse_provenance([
        "nonsense", {"language": "zz-Qqqq"}, {"language": "EN", "kind": "guess", "method": "magic",
                                             "translatedBy": "javascript:alert(1)"},
        {"language": "kk", "translatedBy": {"id": "https://astana.example/actors/astana"}},
    ])
    assert set(parsed) == {"en", "kk"}
    assert parsed["en"]["kind"] == "" and parsed["en"]["method"] == "" and parsed["en"]["translated_by"] == ""
    assert parsed["kk"]["translated_by"] == "https://astana.example/actors/astana"
    assert parse_provenance(None) == {} and parse_provenance({"language": "tr"}).keys() == {"tr"}


def test_provenance__review_moves():
    """Pending can be approved or rejected; an approved one can be withdrawn; nothing goes back to draft."""
    assert can_move("pending_review", "approved") and can_move("pending_review", "rejected")
    assert can_move("approved", "rejected") and not can_move("approved", "draft")
    assert not can_move("rejected", "draft") and not can_move("nonsense", "approved")


def test_provenance__translation_link():
    """The FEP-e232 link we send is found again; other links and rels are not mistaken for it."""
    obj = {"tag": [{"type": "Hashtag", "name": "#x"}, translation_link("https://baku.example/stories/1")]}
    assert translation_of(obj) == "https://baku.example/stories/1"
    assert translation_of({"tag": {"type": "Link", "rel": ["alternate", TRANSLATION_OF_REL],
                                   "href": "https://b.example/s"}}) == "https://b.example/s"
    assert translation_of({"tag": [{"type": "Link", "rel": "alternate", "href": "https://b.example/s"}]}) is None
    assert translation_of({"tag": [{"type": "Link", "rel": TRANSLATION_OF_REL, "href": "ftp://x"}]}) is None


def test_provenance__terms_are_inline():
    """Our terms are defined inline under our namespace (nothing a JSON-LD processor must fetch)."""
    assert all(isinstance(v, (str, dict)) for v in PROVENANCE_TERMS.values())
    assert PROVENANCE_TERMS["agency"].startswith("https://") and PROVENANCE_TERMS["agency"].endswith("#")
