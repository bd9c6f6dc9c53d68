"""What a received story says about its media: attachments read from the shapes peers send, the digest they
carry, the stock fields they describe, and the fetch job's declared states."""

from __future__ import annotations

import hashlib

import pytest

from federation.multikey import digest_multibase
from federation.states import IllegalTransition, check_transition
from node.media.fetching import announced_kind, normal_type
from node.media.receiving import attachments_of, expected_sha256, item_fields
from node.media.stock import MAX_STORY_MEDIA
from node.media.wire_states import MediaFetchState as S

SHA = hashlib.sha256(b"photo").hexdigest()


def test_attachments_of__our_article_lead_image_once_and_first():
    """Our Articles carry the lead image as `image` and again, in full, as the first attachment: one entry,
    marked lead, with the fuller description."""
    lead = {"type": "Image", "mediaType": "image/png", "url": "https://baku.example/media/a", "name": "Ferry",
            "digestMultibase": "zabc", "creditText": "BNA"}
    doc = {"url": "https://baku.example/media/b", "type": "Document", "mediaType": "application/pdf"}
    got = attachments_of({"image": {k: lead[k] for k in ("type", "mediaType", "url", "name")},
                          "attachment": [lead, doc]})
    assert [(e["url"], e["lead"], e["kind"]) for e in got] == [
        ("https://baku.example/media/a", True, "image"), ("https://baku.example/media/b", False, "document")]
    assert got[0]["description"]["creditText"] == "BNA"


def test_attachments_of__mastodon_documents_links_and_property_values():
    """Mastodon's `Document` with an image type is an image; Links without a media type and PropertyValues are
    not media; a Link object's href is the URL."""
    got = attachments_of({"attachment": [
        {"type": "Document", "mediaType": "image/jpeg", "url": "https://m.example/files/1.jpg"},
        {"type": "PropertyValue", "name": "site", "value": "x"},
        {"type": "Video", "url": {"type": "Link", "href": "https://m.example/v.mp4", "mediaType": "video/mp4"}},
        {"type": "Image", "url": "javascript:alert(1)"},
    ]})
    assert [(e["url"], e["kind"], e["media_type"]) for e in got] == [
        ("https://m.example/files/1.jpg", "image", "image/jpeg"), ("https://m.example/v.mp4", "video", "video/mp4")]


def test_attachments_of__a_single_attachment_and_a_string_image():
    """`attachment` as one object and `image` as a bare URL are read too."""
    got = attachments_of({"image": "https://x.example/lead.jpg",
                          "attachment": {"type": "Audio", "mediaType": "audio/mpeg", "url": "https://x.example/a"}})
    assert [(e["url"], e["lead"], e["kind"]) for e in got] == [
        ("https://x.example/lead.jpg", True, "image"), ("https://x.example/a", False, "audio")]


def test_attachments_of__capped_at_the_story_limit():
    """A story listing thousands of files queues no more than a story of ours may carry."""
    many = [{"type": "Image", "mediaType": "image/png", "url": f"https://x.example/{i}"} for i in range(500)]
    assert len(attachments_of({"attachment": many})) == MAX_STORY_MEDIA


def test_expected_sha256__reads_sha256_multihash_only():
    """The digest is the SHA-256 inside a multibase multihash; anything else gives no expected hash."""
    assert expected_sha256(digest_multibase(bytes.fromhex(SHA))) == SHA
    assert expected_sha256("") == ""
    assert expected_sha256("zNotAMultihash") == ""
    assert expected_sha256("not multibase at all") == ""


def test_item_fields__what_the_attachment_says_becomes_the_stock_fields():
    """nameMap is the alt text per language, credit/copyright/source type, size, duration, blurhash, focal point."""
    fields = item_fields({"name": "Ferry", "nameMap": {"en": "Ferry", "az": "Bərə"}, "creditText": "BNA / R. A.",
                          "copyrightNotice": "2026 BNA", "width": 1600, "height": 900, "duration": "PT1M2.5S",
                          "blurhash": "LEHV6nWB2yk8", "focalPoint": [0.25, -0.5],
                          "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"},
                         "en")
    assert fields == {"alt": {"en": "Ferry", "az": "Bərə"}, "credit": "BNA / R. A.", "copyright": "2026 BNA",
                      "digital_source_type": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture",
                      "width": 1600, "height": 900, "duration": 62.5, "blurhash": "LEHV6nWB2yk8",
                      "focal_point": [0.25, -0.5]}


def test_item_fields__odd_values_are_dropped_not_trusted():
    """A name without nameMap is alt text in the story's language; nonsense sizes and focal points are left out."""
    fields = item_fields({"name": "  Harbour  ", "width": True, "height": -4, "focalPoint": [3, 0],
                          "duration": "soon", "creditText": 42}, "tr")
    assert fields["alt"] == {"tr": "Harbour"}
    assert (fields["width"], fields["height"], fields["focal_point"], fields["duration"]) == (None,) * 4
    assert fields["credit"] == ""


@pytest.mark.parametrize("given, expected", [("image/JPG", "image/jpeg"), ("video/mp4; codecs=avc1", "video/mp4"),
                                             ("audio/mp3", "audio/mpeg"), (None, "")])
def test_normal_type__aliases_and_parameters(given, expected):
    """Peers' names for a type are read as the sniffer's name, without parameters."""
    assert normal_type(given) == expected


def test_announced_kind__media_type_first_then_activitystreams_type():
    assert announced_kind("image/jpeg", "Document") == "image"
    assert announced_kind("application/pdf", "Document") == "document"
    assert announced_kind(None, "Video") == "video"
    assert announced_kind("text/html", "Link") == ""


def test_states__fetch_jobs_move_only_along_declared_edges():
    """A stored file is never fetched again by a stale claim; a withdrawn row stays withdrawn."""
    check_transition(S.WAITING, S.FETCHING)
    check_transition(S.FETCHING, S.STORED)
    check_transition(S.FETCHING, S.WAITING)   # retry
    check_transition(S.STORED, S.WAITING)     # the file changed under its URL
    for current, new in ((S.STORED, S.FETCHING), (S.WITHDRAWN, S.WAITING), (S.REJECTED, S.STORED),
                         (S.WAITING, S.STORED)):
        with pytest.raises(IllegalTransition):
            check_transition(current, new)
