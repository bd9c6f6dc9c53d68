"""Editor API input for translations, offers and reviews, validated before anything is stored.

Sizes are checked twice: loosely here (a request can never be absurd), and against the node's configured
`[translation] max_body_chars` by the use-case (413 with the limit in the message).
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from schemas.languages import normalize_tag

__all__ = ["DecisionSchema", "OfferDecisionSchema", "OfferEditSchema", "OfferInputSchema", "TranslationEditSchema",
           "TranslationInputSchema", "TranslationRequestSchema", "validate_tag"]

_BODY_CEILING = 5_000_000


def validate_tag(tag: str) -> None:
    """A BCP 47 tag babel knows; raises ValidationError with the reason otherwise."""
    try:
        normalize_tag(tag)
    except (ValueError, TypeError) as exc:
        raise ValidationError(str(exc)) from None


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class TranslationInputSchema(_Strict):
    """A translation submitted by people (or, from the engine side, by a machine)."""

    language = fields.String(required=True, validate=validate_tag)
    headline = fields.String(required=True, validate=validate.Length(min=1, max=500))
    summary = fields.String(load_default="", validate=validate.Length(max=5000))
    body = fields.String(required=True, validate=validate.Length(min=1, max=_BODY_CEILING))
    body_format = fields.String(load_default="html", validate=validate.OneOf(["html", "markdown"]))
    translator = fields.String(load_default="", validate=validate.Length(max=200))


class TranslationEditSchema(_Strict):
    """A person's edit of an existing translation: any of the texts."""

    headline = fields.String(validate=validate.Length(min=1, max=500))
    summary = fields.String(validate=validate.Length(max=5000))
    body = fields.String(validate=validate.Length(min=1, max=_BODY_CEILING))
    body_format = fields.String(load_default="html", validate=validate.OneOf(["html", "markdown"]))
    editor = fields.String(load_default="", validate=validate.Length(max=200))


class DecisionSchema(_Strict):
    """Approve or reject: who decided and why."""

    reviewer = fields.String(load_default="", validate=validate.Length(max=200))
    note = fields.String(load_default="", validate=validate.Length(max=1000))


class TranslationRequestSchema(_Strict):
    """Ask the engine for machine translations of a story."""

    languages = fields.List(fields.String(validate=validate_tag), required=True,
                            validate=validate.Length(min=1, max=50))


class OfferInputSchema(TranslationInputSchema):
    """Our translation of a partner's wire story, offered to its origin."""

    story = fields.String(required=True, validate=validate.Length(min=8, max=512))


class OfferEditSchema(_Strict):
    """A change to an offer we made, before the origin decides: any of the texts, and the translator's name."""

    headline = fields.String(validate=validate.Length(min=1, max=500))
    summary = fields.String(validate=validate.Length(max=5000))
    body = fields.String(validate=validate.Length(min=1, max=_BODY_CEILING))
    body_format = fields.String(load_default="html", validate=validate.OneOf(["html", "markdown"]))
    translator = fields.String(validate=validate.Length(max=200))


class OfferDecisionSchema(_Strict):
    """Accept or decline an offer."""

    editor = fields.String(load_default="", validate=validate.Length(max=200))
    reason = fields.String(load_default="", validate=validate.Length(max=1000))
