"""Lifecycle terms: canonical hashes, subjects, urgency, correction notes, and what we accept from peers."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import pytest

from federation.vocab import OBJECT_CONTEXT
from schemas.lifecycle import (TERMS, LifecycleError, canonical_json, clean_correction_note, clean_subjects,
                               clean_urgency, content_hash, decorate_article, kill_reason, received_terms)


def test_lifecycle__content_hash_is_sha256_of_sorted_compact_json():
    """The hash is independent of key order and equals sha256 over the JCS-style canonical bytes."""
    a = content_hash({"headline": "Bakı", "urgency": 2, "hashtags": ["x"]})
    b = content_hash({"hashtags": ["x"], "urgency": 2, "headline": "Bakı"})
    expected = hashlib.sha256('{"hashtags":["x"],"headline":"Bakı","urgency":2}'.encode()).hexdigest()
    assert a == b == "sha256:" + expected
    assert canonical_json({"b": None, "a": True}) == b'{"a":true,"b":null}'
    assert content_hash({"headline": "Bakı!"}) != content_hash({"headline": "Bakı"})


def test_lifecycle__subjects_from_codes_uris_and_objects():
    """Media Topics are accepted as codes, cv.iptc.org URIs or objects; top-level ones are named; duplicates go."""
    got = clean_subjects(["medtop:04000000", "http://cv.iptc.org/newscodes/mediatopic/20000568",
                          {"code": "medtop:04000000", "name": "dup"}, {"uri": "medtop:11000000", "name": "Siyasət"}])
    assert got == [
        {"code": "medtop:04000000", "name": "economy, business and finance",
         "uri": "http://cv.iptc.org/newscodes/mediatopic/04000000"},
        {"code": "medtop:20000568", "name": "", "uri": "http://cv.iptc.org/newscodes/mediatopic/20000568"},
        {"code": "medtop:11000000", "name": "Siyasət", "uri": "http://cv.iptc.org/newscodes/mediatopic/11000000"},
    ]
    for bad in ("politics", "medtop:123", "subj:04000000", 42):
        with pytest.raises(LifecycleError):
            clean_subjects([bad])


@pytest.mark.parametrize("value,expected", [(1, 1), ("9", 9), (None, None), ("", None)])
def test_lifecycle__urgency_accepts_1_to_9(value, expected):
    """IPTC urgency is an integer from 1 to 9."""
    assert clean_urgency(value) == expected


@pytest.mark.parametrize("value", [0, 10, "high", True, 2.5])
def test_lifecycle__urgency_refuses_others(value):
    """Anything else is refused with a reason."""
    with pytest.raises(LifecycleError):
        clean_urgency(value)


def test_lifecycle__correction_note_needs_every_language():
    """A correction note must cover each language of the story; blank notes do not count."""
    assert clean_correction_note({"az": " Düzəliş ", "en": "Fix"}, ["az", "en"]) == {"az": "Düzəliş", "en": "Fix"}
    assert clean_correction_note({}, ["az"]) == {}
    with pytest.raises(LifecycleError, match="en"):
        clean_correction_note({"az": "Düzəliş", "en": "  "}, ["az", "en"])


def test_lifecycle__decorated_article_shows_notes_in_every_language():
    """Notes are appended (escaped, oldest first) to content and every contentMap entry; terms are set."""
    obj = {"content": "<p>A</p>", "contentMap": {"az": "<p>A</p>", "en": "<p>B</p>"}}
    out = decorate_article(obj, revision=3, hash_="sha256:00", revisions_url="https://x.example/s/1/revisions",
                           corrections=[{"az": "bir", "en": "one"}, {"az": "<iki>", "en": "two"}], correction=True,
                           urgency=1, subjects=clean_subjects(["medtop:17000000"]),
                           embargoed_until=datetime(2026, 1, 1, tzinfo=timezone.utc))
    # Each language's paragraph is labelled in that language (schemas/labels.py).
    assert out["contentMap"]["az"] == ('<p>A</p><p class="correction"><strong>Düzəliş:</strong> bir</p>'
                                       '<p class="correction"><strong>Düzəliş:</strong> &lt;iki&gt;</p>')
    assert out["contentMap"]["en"] == ('<p>B</p><p class="correction"><strong>Correction:</strong> one</p>'
                                       '<p class="correction"><strong>Correction:</strong> two</p>')
    assert out["content"] == out["contentMap"]["az"]
    assert out["correctionNoteMap"] == {"az": "<iki>", "en": "two"} and out["correction"] is True
    assert out["subject"] == [{"id": "http://cv.iptc.org/newscodes/mediatopic/17000000", "code": "medtop:17000000",
                               "name": "weather"}]
    assert out["embargoedUntil"] == "2026-01-01T00:00:00Z" and out["revision"] == 3
    assert obj["content"] == "<p>A</p>"  # the input is not changed
    # Every term we send is defined inline in the context peers get (no remote context to fetch).
    for term in ("revision", "contentHash", "revisions", "correction", "correctionNoteMap", "urgency", "subject",
                 "embargoedUntil", "killReason"):
        assert term in TERMS and term in OBJECT_CONTEXT[1]


def test_lifecycle__received_terms_drop_bad_values():
    """What a peer sends is checked: wrong types and out-of-range values are dropped, text is stripped of HTML."""
    got = received_terms({"revision": "2", "contentHash": "md5:x", "correction": "yes", "urgency": 42,
                          "subject": [{"id": "http://cv.iptc.org/newscodes/mediatopic/15000000", "name": "sport"},
                                      {"id": "javascript:alert(1)"}, "nonsense"],
                          "embargoedUntil": "soon"})
    assert got == {"revision": None, "content_hash": "", "correction": False, "correction_note": {},
                   "urgency": None, "embargoed_until": None,
                   "subjects": [{"code": "medtop:15000000", "name": "sport",
                                 "uri": "http://cv.iptc.org/newscodes/mediatopic/15000000"}]}
    ok = received_terms({"revision": 2, "contentHash": "sha256:ab", "correction": True,
                         "correctionNoteMap": {"az": "<b>Düzəliş</b>", "en": 5}, "embargoedUntil": "2026-01-01T00:00:00Z"})
    assert ok["revision"] == 2 and ok["correction_note"] == {"az": "Düzəliş"}
    assert ok["embargoed_until"] == datetime(2026, 1, 1, tzinfo=timezone.utc)


def test_lifecycle__kill_reason_from_term_or_summary():
    """A Delete's reason comes from our term (activity or Tombstone), else its summary; none means a plain delete."""
    assert kill_reason({"killReason": "Withdrawn"}) == "Withdrawn"
    assert kill_reason({"object": {"type": "Tombstone", "killReason": "<p>Legal</p>"}}) == "Legal"
    assert kill_reason({"summary": "Retracted"}) == "Retracted"
    assert kill_reason({"object": "https://x.example/s/1"}) is None
