"""ninjs mapping: our stories out as ninjs 3.x valid against IPTC's schema, ninjs 3.x and 2.x in, round trips."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from schemas.ninjs import (NINJS2_SCHEMA, NINJS3_SCHEMA, NinjsError, from_ninjs, ninjs_version, schema_errors,
                           to_ninjs)
from schemas.ninjs_media import HASH_EXTENSION

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ninjs"
PACKAGED = Path(__file__).resolve().parents[2] / "schemas" / "iptc"

STORY = {
    "uri": "https://baku.example/stories/0b7e", "url": "https://baku-news.example/2026/ferry", "language": "az",
    "headline": "Bakı-Aktau bərə xətti açılır", "summary": "Bazar ertəsi reyslər bərpa olunur.",
    "body_html": "<p>Bərə xətti <strong>13 May</strong> açılır.</p>", "version": 3,
    "published": datetime(2026, 5, 1, 9, 0, tzinfo=timezone.utc),
    "updated": datetime(2026, 5, 2, 10, 30, tzinfo=timezone.utc), "state": "published", "urgency": 2,
    "subjects": [{"code": "medtop:04000000", "name": "economy, business and finance",
                  "uri": "http://cv.iptc.org/newscodes/mediatopic/04000000"},
                 {"code": "medtop:20000568", "name": "ferry", "uri": "http://cv.iptc.org/newscodes/mediatopic/20000568"}],
    "hashtags": ["Caspian", "ferry"], "corrections": [{"az": "Tarix düzəldildi.", "en": "The date was corrected."}],
    "translations": {"en": {"headline": "Baku-Aktau ferry line reopens", "summary": "Crossings resume Monday.",
                            "body_html": "<p>The line reopens on <strong>13 May</strong>.</p>"}},
    "agency": "Baku News Agency", "proof": "verified", "revisions_url": "https://baku.example/stories/0b7e/revisions",
}


def _validator(name: str) -> Draft202012Validator:
    schema = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_ninjs__packaged_schemas_are_the_iptc_fixtures():
    """The schemas the node validates imports with are byte-identical to IPTC's published files in fixtures."""
    for name in (NINJS3_SCHEMA, NINJS2_SCHEMA):
        assert (PACKAGED / name).read_bytes() == (FIXTURES / name).read_bytes()


@pytest.mark.parametrize("state,status", [("published", "usable"), ("scheduled", "withheld"),
                                          ("deleted", "canceled")])
def test_ninjs__story_is_valid_ninjs3(state, status):
    """Every state of a story maps to a document IPTC's 3.3 schema accepts, with the right pubStatus."""
    story = {**STORY, "state": state, "kill_reason": "Withdrawn by the operator." if state == "deleted" else None,
             "embargoed_until": datetime(2026, 6, 1, 6, 0, tzinfo=timezone.utc) if state == "scheduled" else None}
    doc = to_ninjs(story)
    assert list(_validator(NINJS3_SCHEMA).iter_errors(doc)) == []
    assert doc["pubStatus"] == status and doc["version"] == "3" and doc["urgency"] == 2
    assert doc["language"] == "az" and doc["associations"][0]["language"] == "en"
    assert [d["value"] for d in doc["descriptions"] if d["role"] == "correction"] == ["Tarix düzəldildi."]
    assert {"role": "https://agency-node.org/ns#proof", "href": STORY["uri"],
            "title": "Data Integrity proof (eddsa-jcs-2022): verified"} in doc["trustIndicators"]
    if state == "scheduled":
        assert doc["embargoedUntil"] == "2026-06-01T06:00:00Z"
    if state == "deleted":
        assert doc["edNote"] == "Killed: Withdrawn by the operator."


MEDIA = [
    {"sha256": "c" * 64, "url": "https://baku.example/media/" + "c" * 64, "kind": "image", "media_type": "image/jpeg",
     "size": 204800, "width": 1200, "height": 800, "lead": True,
     "alt": {"az": "Bakı limanında bərə", "en": "A ferry in Baku port"}, "caption": {"en": "The ferry at dawn"},
     "credit": "Xinhua / Li Ming", "copyright": "© 2026 Xinhua", "origin_actor": "https://xinhua.example/actors/x",
     "origin_agency": "Xinhua", "origin_url": "https://xinhua.example/media/" + "c" * 64,
     "digital_source_type": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture",
     "renditions": {"thumb.webp": {"sha256": "e" * 64, "media_type": "image/webp", "width": 320, "height": 213,
                                   "size": 9000}}},
    {"sha256": "d" * 64, "url": "https://baku.example/media/" + "d" * 64, "kind": "video", "media_type": "video/mp4",
     "size": 5_000_000, "width": 1920, "height": 1080, "duration": 12.5, "alt": {}, "caption": {"az": "Bərə"},
     "credit": "Baku News"},
    {"sha256": "f" * 64, "url": "https://baku.example/media/" + "f" * 64, "kind": "document",
     "media_type": "application/pdf", "size": 1000, "alt": {}, "caption": {}},
]


def test_ninjs__media_are_associations_with_renditions_and_hashes():
    """A story's lead image and other media become ninjs 3.3 associations (picture, video, component) with their
    texts, credit, rights, origin and renditions whose SHA-256 is in the rendition's extensions; still valid."""
    doc = to_ninjs({**STORY, "media": MEDIA})
    assert list(_validator(NINJS3_SCHEMA).iter_errors(doc)) == []
    assert schema_errors(doc) == []  # with format checks, as imports are checked
    translation, lead, video, document = doc["associations"]
    assert translation["rel"] == "translation"
    assert (lead["name"], lead["rel"], lead["type"], lead["uri"]) == ("featuremedia", "featuremedia", "picture",
                                                                      MEDIA[0]["url"])
    assert lead["headlines"] == [{"value": "The ferry at dawn", "contentType": "text/plain"}]
    # The story is in az: the alt text in az, the caption in the only language it has (so no single language).
    assert lead["descriptions"] == [{"role": "caption", "contentType": "text/plain", "value": "The ferry at dawn"},
                                    {"role": "alt", "contentType": "text/plain", "value": "Bakı limanında bərə"}]
    assert "language" not in lead
    assert (lead["by"], lead["copyrightHolder"], lead["copyrightNotice"]) == ("Xinhua / Li Ming", "Xinhua",
                                                                             "© 2026 Xinhua")
    assert lead["altIds"] == [{"role": "origin", "value": MEDIA[0]["origin_url"]}]
    assert lead["digitalSourceType"] == {"uri": MEDIA[0]["digital_source_type"]}
    original, thumb = lead["renditions"]
    assert original == {"name": "original", "href": MEDIA[0]["url"], "contentType": "image/jpeg", "width": 1200,
                        "height": 800, "sizeInBytes": 204800, "extensions": {HASH_EXTENSION: "c" * 64}}
    assert thumb == {"name": "thumb.webp", "href": MEDIA[0]["url"] + "/thumb.webp", "contentType": "image/webp",
                     "width": 320, "height": 213, "sizeInBytes": 9000, "extensions": {HASH_EXTENSION: "e" * 64}}
    assert (video["name"], video["rel"], video["type"], video["language"]) == ("media-1", "attachment", "video", "az")
    assert video["renditions"][0]["duration"] == 12.5 and video["copyrightHolder"] == "Baku News Agency"
    assert (document["type"], document["renditions"][0]["contentType"]) == ("component", "application/pdf")
    assert "headlines" not in document
    # Importing the document still reads the story (media associations are not translations).
    assert from_ninjs(doc)["translations"].keys() == {"en"}


def test_ninjs__round_trip_keeps_every_field():
    """story -> ninjs 3.x -> story keeps languages, texts, urgency, subjects, hashtags, embargo and version."""
    story = {**STORY, "state": "scheduled", "embargoed_until": datetime(2026, 6, 1, 6, 0, tzinfo=timezone.utc)}
    back = from_ninjs(to_ninjs(story))
    assert (back["headline"], back["summary"], back["body"]) == (STORY["headline"], STORY["summary"],
                                                                  STORY["body_html"])
    assert back["language"] == "az" and back["version"] == 3 and back["urgency"] == 2
    assert back["subjects"] == STORY["subjects"] and back["hashtags"] == STORY["hashtags"]
    assert back["embargoed_until"] == story["embargoed_until"] and back["pub_status"] == "withheld"
    assert back["first_created"] == STORY["published"] and back["version_created"] == STORY["updated"]
    assert back["canonical_url"] == STORY["url"] and back["corrections"] == ["Tarix düzəldildi."]
    assert back["ed_note"] == ""
    assert back["translations"] == {"en": {"headline": "Baku-Aktau ferry line reopens",
                                           "summary": "Crossings resume Monday.", "body_format": "html",
                                           "body": "<p>The line reopens on <strong>13 May</strong>.</p>"}}
    # And once more: the second trip changes nothing.
    again = to_ninjs({**story, "headline": back["headline"], "summary": back["summary"], "body_html": back["body"]})
    assert again == to_ninjs(story)


def test_ninjs__iptc_examples_import_in_both_versions():
    """IPTC's own dpa example, as ninjs 3.0 and as 2.0, is recognised, validated and read the same way."""
    v3 = json.loads((FIXTURES / "dpa_text-3.0.json").read_text(encoding="utf-8"))
    v2 = json.loads((FIXTURES / "dpa_text-2.0.json").read_text(encoding="utf-8"))
    assert (ninjs_version(v3), ninjs_version(v2)) == (3, 2)
    assert list(_validator(NINJS3_SCHEMA).iter_errors(v3)) == []
    assert list(_validator(NINJS2_SCHEMA).iter_errors(v2)) == []
    a, b = from_ninjs(v3), from_ninjs(v2)
    assert a == b
    assert a["pub_status"] == "usable" and a["uri"] == "urn:newsml:dpa.com:20090101:190510-99-167362"
    assert a["headline"] == "Faktencheck Derby-Elfmeter: Hat Schiedsrichter Zwayer recht?"
    assert a["language"] == "de" and a["urgency"] == 4 and a["version"] == 2
    assert a["body"].startswith('<section class="main"><p>Für Lucien Favre')
    assert a["version_created"] == datetime(2019, 5, 10, 14, 2, 28, tzinfo=timezone.utc)


@pytest.mark.parametrize("doc,problem", [
    ({"headlines": [{"value": "No uri"}]}, "'uri' is a required property"),
    ({"uri": "urn:x:1", "urgency": 12, "headlines": [{"value": "h"}], "bodies": [{"value": "b"}]},
     "urgency: 12 is greater than the maximum of 9"),
    ({"uri": "urn:x:1", "headline": "h", "bodies": [{"value": "b"}]}, "'headline' was unexpected"),
    ({"uri": "urn:x:1", "pubStatus": "killed", "headlines": [{"value": "h"}]}, "pubStatus: 'killed' is not one of"),
    ({"uri": "urn:x:1", "language": "en", "bodies": [{"value": "b"}]}, "headlines: the item has no headline"),
    ({"uri": "urn:x:1", "language": "en", "headlines": [{"value": "h"}]}, "bodies: the item has no body"),
    ({"uri": "urn:x:1", "language": "en", "pubStatus": "withheld", "headlines": [{"value": "h"}],
      "bodies": [{"value": "b"}]}, "withheld item needs embargoedUntil"),
    ({"uri": "urn:x:1", "language": "en", "type": "picture", "headlines": [{"value": "h"}],
      "bodies": [{"value": "b"}]}, "only text items"),
    ({"uri": "urn:x:1", "pubstatus": "usable", "headlines": [{"value": "h", "contentType": "text/plain"}]},
     "'contentType' was unexpected"),
    ([1, 2], "a ninjs document is a JSON object"),
])
def test_ninjs__bad_documents_name_the_problem(doc, problem):
    """A document failing IPTC's schema, or unusable as a story, raises an error that says what and where."""
    with pytest.raises(NinjsError) as info:
        from_ninjs(doc, default_language=None)
    assert problem in str(info.value)


def test_ninjs__plain_text_bodies_become_escaped_paragraphs():
    """A text/plain body (common from CMSs) is escaped and split into paragraphs."""
    got = from_ninjs({"uri": "urn:x:2", "language": "en", "headlines": [{"value": "H"}],
                      "bodies": [{"contentType": "text/plain", "value": "First <b>line</b>.\n\nSecond."}]})
    assert got["body"] == "<p>First &lt;b&gt;line&lt;/b&gt;.</p><p>Second.</p>"


def test_ninjs__canceled_item_is_read_without_text():
    """A canceled item (the CMS retracting an earlier version) is read with its reason, even with no body."""
    got = from_ninjs({"uri": "urn:x:3", "language": "en", "pubStatus": "canceled", "edNote": " Legal hold. "})
    assert (got["pub_status"], got["ed_note"], got["headline"], got["body"]) == ("canceled", "Legal hold.", "", "")
