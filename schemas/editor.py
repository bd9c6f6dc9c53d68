"""Editor API input: the story an editor submits, validated before anything is stored."""

from __future__ import annotations

from urllib.parse import urlsplit

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from schemas.languages import normalize_tag


def validate_language(tag: str) -> None:
    """A BCP 47 tag babel knows (``az``, ``az-Cyrl``, ``zh-Hans``); raises ValidationError otherwise."""
    try:
        normalize_tag(tag)
    except (ValueError, TypeError) as exc:
        raise ValidationError(str(exc)) from None


def _http_url(value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError("must be an absolute http(s) URL")


class StoryInputSchema(Schema):
    """A new story (all required fields) or, with `partial=True`, the fields of an update."""

    class Meta:
        unknown = RAISE

    headline = fields.String(required=True, validate=validate.Length(min=1, max=500))
    summary = fields.String(load_default="", validate=validate.Length(max=5000))
    body = fields.String(required=True, validate=validate.Length(min=1, max=500_000))
    body_format = fields.String(load_default="html", validate=validate.OneOf(["html", "markdown"]))
    language = fields.String(required=True, validate=validate_language)
    hashtags = fields.List(fields.String(validate=validate.Regexp(r"^#?[\w]{1,100}$")), load_default=list,
                           validate=validate.Length(max=30))
    canonical_url = fields.String(load_default=None, allow_none=True, validate=_http_url)
    # The life of a story (schemas/lifecycle.py checks the subjects and the correction note's languages).
    urgency = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=9))
    subjects = fields.List(fields.Raw(), load_default=list, validate=validate.Length(max=50))
    embargoed_until = fields.AwareDateTime(load_default=None, allow_none=True)
    correction_note = fields.Dict(keys=fields.String(validate=validate_language),
                                  values=fields.String(validate=validate.Length(min=1, max=2000)),
                                  load_default=dict)
    # Media from the stock, by SHA-256: the lead image and the other items, in order (the lead goes first).
    image = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^[0-9a-fA-F]{64}$"))
    media = fields.List(fields.String(validate=validate.Regexp(r"^[0-9a-fA-F]{64}$")), load_default=None,
                        allow_none=True, validate=validate.Length(max=20))


class KillInputSchema(Schema):
    """Why a story is retracted (sent in the Delete and kept by every receiving node)."""

    class Meta:
        unknown = RAISE

    reason = fields.String(load_default="", validate=validate.Length(max=2000))


class FollowInputSchema(Schema):
    class Meta:
        unknown = RAISE

    handle = fields.String(required=True, validate=validate.Length(min=3, max=512))
