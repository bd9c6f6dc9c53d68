"""Tests for schemas.nodeinfo: discovery links and 2.0/2.1 documents, checked against the
published JSON schemas (tests/fixtures/nodeinfo) and a marshmallow structural check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from marshmallow import Schema, ValidationError, fields, validate

from schemas.nodeinfo import nodeinfo, nodeinfo_links

SCHEMAS = Path(__file__).resolve().parents[1] / "fixtures" / "nodeinfo"


class _Users(Schema):
    total = fields.Integer(required=True, validate=validate.Range(min=0))
    activeMonth = fields.Integer(required=True, validate=validate.Range(min=0))
    activeHalfyear = fields.Integer(required=True, validate=validate.Range(min=0))


class _Usage(Schema):
    users = fields.Nested(_Users, required=True)
    localPosts = fields.Integer(required=True, validate=validate.Range(min=0))


class _Software(Schema):
    name = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9-]+$"))
    version = fields.String(required=True)


class _Services(Schema):
    inbound = fields.List(fields.String(), required=True)
    outbound = fields.List(fields.String(), required=True)


class _NodeInfo(Schema):
    version = fields.String(required=True, validate=validate.OneOf(["2.0", "2.1"]))
    software = fields.Nested(_Software, required=True)
    protocols = fields.List(fields.String(validate=validate.OneOf(["activitypub"])), required=True,
                            validate=validate.Length(min=1))
    services = fields.Nested(_Services, required=True)
    openRegistrations = fields.Boolean(required=True, truthy={True}, falsy={False})
    usage = fields.Nested(_Usage, required=True)
    metadata = fields.Dict(required=True)


@pytest.mark.parametrize("version", ["2.0", "2.1"])
def test_nodeinfo__structure(version):
    """The document has every key NodeInfo requires, with the right types."""
    doc = nodeinfo(version, "0.1.0", users=3, local_posts=42, metadata={"nodeName": "Wire"})
    _NodeInfo().load(doc)  # raises on a structural problem
    assert doc["software"]["name"] == "agency-node"
    assert doc["protocols"] == ["activitypub"]
    assert doc["usage"] == {"users": {"total": 3, "activeMonth": 3, "activeHalfyear": 3}, "localPosts": 42}
    assert doc["metadata"] == {"nodeName": "Wire"}
    assert doc["openRegistrations"] is False


@pytest.mark.parametrize("version", ["2.0", "2.1"])
def test_nodeinfo__valid_against_published_schema(version):
    """The document validates against NodeInfo's JSON schema for its version."""
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((SCHEMAS / f"schema-{version}.json").read_text(encoding="utf-8"))
    doc = nodeinfo(version, "0.1.0+abc", users=0, local_posts=0, open_registrations=True)
    jsonschema.Draft4Validator(schema).validate(doc)


def test_nodeinfo__published_schema_rejects_bad_name():
    """The shipped schema really checks something (a bad software name fails)."""
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((SCHEMAS / "schema-2.1.json").read_text(encoding="utf-8"))
    doc = nodeinfo("2.1", "0.1.0", users=1, local_posts=1)
    doc["software"]["name"] = "Agency Node"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(schema).validate(doc)


def test_nodeinfo__active_counts_override():
    """Callers who know active-user counts can give them."""
    doc = nodeinfo("2.1", "0.1.0", users=10, local_posts=5, active_month=2, active_halfyear=4)
    assert doc["usage"]["users"] == {"total": 10, "activeMonth": 2, "activeHalfyear": 4}


def test_nodeinfo__metadata_copied():
    """The metadata dict is copied, not shared with the caller."""
    meta = {"a": 1}
    doc = nodeinfo("2.1", "0.1.0", users=1, local_posts=0, metadata=meta)
    doc["metadata"]["b"] = 2
    assert meta == {"a": 1}


@pytest.mark.parametrize(
    "args",
    [
        ("1.0", "0.1.0", 1, 1),
        ("2.1", "", 1, 1),
        ("2.1", "0.1.0", -1, 1),
        ("2.1", "0.1.0", 1, -5),
        ("2.1", "0.1.0", True, 1),
    ],
)
def test_nodeinfo__bad_arguments_rejected(args):
    """Unknown versions, empty software versions and negative counts raise ValueError."""
    with pytest.raises(ValueError):
        nodeinfo(*args)


def test_nodeinfo_links__both_versions():
    """The discovery document links 2.1 and 2.0 under the base URL (trailing slash ignored)."""
    doc = nodeinfo_links("https://agency.test/")
    assert doc == {
        "links": [
            {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": "https://agency.test/nodeinfo/2.1"},
            {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": "https://agency.test/nodeinfo/2.0"},
        ]
    }


def test_nodeinfo__structural_check_catches_missing_key():
    """The marshmallow check itself fails on a document missing `usage`."""
    doc = nodeinfo("2.1", "0.1.0", users=1, local_posts=1)
    del doc["usage"]
    with pytest.raises(ValidationError):
        _NodeInfo().load(doc)
