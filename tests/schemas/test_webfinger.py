"""Tests for schemas.webfinger: the JRD we serve, the JRDs and handles we read."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from schemas.webfinger import jrd, parse_acct, parse_jrd

ACTOR = "https://agency.test/actors/wire"


def test_jrd__links_and_aliases():
    """The JRD has the subject, aliases, a self link (activity+json) and a profile page."""
    doc = jrd("acct:wire@agency.test", ACTOR, "https://agency.test/@wire", [ACTOR, "https://agency.test/@wire"])
    assert doc["subject"] == "acct:wire@agency.test"
    assert doc["aliases"] == [ACTOR, "https://agency.test/@wire"]
    assert {"rel": "self", "type": "application/activity+json", "href": ACTOR} in doc["links"]
    assert {
        "rel": "http://webfinger.net/rel/profile-page",
        "type": "text/html",
        "href": "https://agency.test/@wire",
    } in doc["links"]


def test_jrd__no_profile_page():
    """Without a profile URL only the self link is present."""
    doc = jrd("acct:wire@agency.test:8443", ACTOR, None, [])
    assert [link["rel"] for link in doc["links"]] == ["self"]
    assert doc["aliases"] == []


def test_parse_jrd__roundtrip():
    """Our own JRD parses back to the actor URL."""
    assert parse_jrd(jrd("acct:wire@agency.test", ACTOR, None, [])) == ACTOR


def test_parse_jrd__ld_json_profile_accepted():
    """A self link typed as the ActivityStreams ld+json profile is accepted."""
    doc = {
        "subject": "acct:a@remote.test",
        "links": [
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": "https://remote.test/@a"},
            {
                "rel": "self",
                "type": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
                "href": "https://remote.test/users/a",
            },
        ],
    }
    assert parse_jrd(doc) == "https://remote.test/users/a"


@pytest.mark.parametrize(
    "doc",
    [
        {"subject": "acct:a@remote.test"},
        {"links": "nope"},
        {"links": [{"rel": "self", "type": "text/html", "href": "https://remote.test/@a"}]},
        {"links": [{"rel": "self", "type": "application/ld+json", "href": "https://remote.test/users/a"}]},
        {"links": [{"rel": "self", "type": "application/activity+json", "href": "javascript:alert(1)"}]},
        "not a dict",
    ],
)
def test_parse_jrd__no_actor_link_rejected(doc):
    """JRDs without a usable ActivityPub self link raise ValidationError."""
    with pytest.raises(ValidationError):
        parse_jrd(doc)


@pytest.mark.parametrize(
    "resource,expected",
    [
        ("acct:wire@agency.test", ("wire", "agency.test")),
        ("acct:wire@agency.test:8443", ("wire", "agency.test:8443")),
        ("wire@Agency.Test", ("wire", "agency.test")),
        ("@wire@agency.test", ("wire", "agency.test")),
        ("ACCT:wire@127.0.0.1:8123", ("wire", "127.0.0.1:8123")),
    ],
)
def test_parse_acct__forms(resource, expected):
    """acct: URIs, bare and @-prefixed handles, with ports, all parse."""
    assert parse_acct(resource) == expected


@pytest.mark.parametrize(
    "resource",
    ["", "wire", "acct:@agency.test", "wire@", "a@b@c", "https://agency.test/actors/wire", "wire@host:port", "wi re@host"],
)
def test_parse_acct__bad_handles_rejected(resource):
    """Anything that is not user@host raises ValueError."""
    with pytest.raises(ValueError):
        parse_acct(resource)
