"""The newsroom's operations in the OpenAPI document: stories, import, the wire, verification, translations and
their jobs, and the media stock."""

from __future__ import annotations

from typing import Any

from node.web.openapi.build import from_marshmallow, json_body, obj, op, ref
from schemas.editor import KillInputSchema, StoryInputSchema
from schemas.translation_input import (
    DecisionSchema, OfferDecisionSchema, OfferEditSchema, OfferInputSchema, TranslationEditSchema,
    TranslationInputSchema, TranslationRequestSchema,
)

__all__ = ["operations"]

_STR, _INT = {"type": "string"}, {"type": "integer"}
_LIMIT = {"limit": {"type": "integer", "minimum": 1}}
_LIST = {"type": "array", "items": {"type": "object"}}
_NINJS = {"application/ninjs+json": {"schema": {"type": "object", "description": "an IPTC ninjs document"}}}
_MEDIA_FIELDS = {name: _STR for name in ("alt", "caption", "credit", "copyright", "usage_terms",
                                         "digital_source_type", "focal_point", "language")}


def _stories() -> list[tuple[str, str, dict[str, Any]]]:
    s, story = "stories", ref("Story")
    return [
        ("post", "/api/stories", op("post", "/api/stories", s, "Publish a story (or schedule it under embargo)",
                                    body=json_body(from_marshmallow(StoryInputSchema())), ok=201, response=story)),
        ("get", "/api/stories", op("get", "/api/stories", s, "This node's stories, newest first", query=_LIMIT,
                                   response=obj(("stories",), stories={"type": "array", "items": story}))),
        ("get", "/api/stories/{uuid}", op("get", "/api/stories/{uuid}", s, "One story with its delivery counts",
                                          response=story, errors=(404,))),
        ("patch", "/api/stories/{uuid}", op(
            "patch", "/api/stories/{uuid}", s, "Update or correct a story (sends an Update)",
            body=json_body(from_marshmallow(StoryInputSchema(), partial=True)), response=story, errors=(404, 409))),
        ("delete", "/api/stories/{uuid}", op(
            "delete", "/api/stories/{uuid}", s, "Kill a story (sends a Delete)",
            body=json_body(from_marshmallow(KillInputSchema()), required=False), response=story, errors=(404,))),
        ("post", "/api/stories/{uuid}/kill", op(
            "post", "/api/stories/{uuid}/kill", s, "Kill a story with a reason (sends a Delete)",
            body=json_body(from_marshmallow(KillInputSchema()), required=False), response=story, errors=(404,))),
        ("get", "/api/stories/{uuid}/deliveries", op(
            "get", "/api/stories/{uuid}/deliveries", s, "Delivery progress of a story, by inbox and host",
            errors=(404,))),
        ("get", "/api/stories/{uuid}/revisions", op(
            "get", "/api/stories/{uuid}/revisions", s, "A story's revisions, who made them and why",
            errors=(404,))),
        ("get", "/api/stories/{uuid}/ninjs", op("get", "/api/stories/{uuid}/ninjs", s, "A story as IPTC ninjs",
                                                content=_NINJS, errors=(404,))),
        ("post", "/api/import", op(
            "post", "/api/import", s, "Publish a ninjs document from a newsroom system (checked against IPTC's "
            "JSON Schema); 201 when new, 200 when it updates or kills", ok=201, also=(200,), response=story,
            errors=(400,),
            body={"required": True, "content": {"application/ninjs+json": {"schema": {"type": "object"}},
                                                "application/json": {"schema": {"type": "object"}}}})),
    ]


def _wire() -> list[tuple[str, str, dict[str, Any]]]:
    w = "wire"
    uri_q = {"id": {"type": "string", "format": "uri", "description": "the wire story's id"}}
    return [
        ("get", "/api/wire", op("get", "/api/wire", w, "Stories from followed agencies, newest first", query={
            "agency": _STR, "language": _STR, "include_killed": {"type": "string", "enum": ["1", "true", "0"]},
            **_LIMIT}, response=obj(("stories",), stories=_LIST))),
        ("get", "/api/wire/story", op("get", "/api/wire/story", w, "One wire story with its revisions",
                                      query={**uri_q, "format": {"type": "string", "enum": ["ninjs"]}},
                                      errors=(404,))),
        ("get", "/api/wire/read", op("get", "/api/wire/read", w, "Read a wire story in a language (machine "
                                     "translation on demand, labelled)", query={**uri_q, "lang": _STR},
                                     errors=(400, 404, 501, 502, 503))),
        ("get", "/api/wire/languages", op("get", "/api/wire/languages", w, "Languages a wire story is available in",
                                          query={"story": _STR, "language": _STR}, errors=(400, 404))),
        ("post", "/api/wire/announce", op(
            "post", "/api/wire/announce", w, "Forward a wire story to our followers (Announce)", ok=202,
            body=json_body(obj(("uri",), uri={"type": "string", "format": "uri"})),
            response=obj(("activity", "story"), activity=_STR, story=_STR), errors=(404, 409))),
        ("post", "/api/verify", op(
            "post", "/api/verify", "verify", "Check a story's proof and origin (a URL or a pasted document)",
            body=json_body({"type": "object", "oneOf": [
                obj(("url",), url={"type": "string", "format": "uri"}),
                obj(("document",), document={"type": "object"})]}),
            response=ref("VerificationReport"), errors=(502,))),
    ]


def _translations() -> list[tuple[str, str, dict[str, Any]]]:
    t, base = "translations", "/api/stories/{uuid}/translations"
    tr = ref("Translation")
    return [
        ("get", "/api/languages", op("get", "/api/languages", t, "Languages with their names in a locale",
                                     query={"locale": _STR})),
        ("get", "/api/translations", op("get", "/api/translations", t, "The review queue of translations",
                                        query={"status": _STR})),
        ("get", "/api/translations/decisions", op("get", "/api/translations/decisions", t,
                                                  "Review decisions, who made them and when",
                                                  query={"story": _STR, "language": _STR})),
        ("get", base, op("get", base, t, "A story's translations", errors=(404,))),
        ("post", base, op("post", base, t, "Submit a human translation", ok=201, response=tr, errors=(404, 409),
                          body=json_body(from_marshmallow(TranslationInputSchema())))),
        ("post", f"{base}/request", op("post", f"{base}/request", t, "Ask the machine engine for translations",
                                       ok=202, body=json_body(from_marshmallow(TranslationRequestSchema())),
                                       errors=(404, 501, 503))),
        ("get", f"{base}/{{language}}", op("get", f"{base}/{{language}}", t, "One translation", response=tr,
                                           errors=(404,))),
        ("patch", f"{base}/{{language}}", op("patch", f"{base}/{{language}}", t, "Edit a translation", response=tr,
                                             body=json_body(from_marshmallow(TranslationEditSchema())),
                                             errors=(404, 409))),
        ("post", f"{base}/{{language}}/{{decision}}", op(
            "post", f"{base}/{{language}}/{{decision}}", t, "Approve or reject a translation", response=tr,
            body=json_body(from_marshmallow(DecisionSchema()), required=False), errors=(404, 409))),
        ("get", "/api/offers", op("get", "/api/offers", t, "Translations partners offered us",
                                  query={"state": _STR})),
        ("post", "/api/offers/{id}/{decision}", op(
            "post", "/api/offers/{id}/{decision}", t, "Accept or decline an offered translation",
            body=json_body(from_marshmallow(OfferDecisionSchema()), required=False), errors=(404, 409))),
        ("get", "/api/wire/offers", op("get", "/api/wire/offers", t, "Translations we offered partners")),
        ("post", "/api/wire/offers", op("post", "/api/wire/offers", t, "Offer a partner a translation of its story",
                                        ok=202, body=json_body(from_marshmallow(OfferInputSchema())),
                                        errors=(404, 409))),
        ("patch", "/api/wire/offers/{id}", op("patch", "/api/wire/offers/{id}", t, "Change an offer we sent",
                                              body=json_body(from_marshmallow(OfferEditSchema())),
                                              errors=(404, 409))),
        ("delete", "/api/wire/offers/{id}", op("delete", "/api/wire/offers/{id}", t, "Withdraw an offer we sent",
                                               errors=(404, 409))),
        ("get", "/api/translation-jobs", op("get", "/api/translation-jobs", "jobs", "Machine translation jobs",
                                            query={"story": _STR, "state": _STR, **_LIMIT},
                                            response=obj(("jobs",), jobs=_LIST), errors=(400,))),
        ("get", "/api/stories/{uuid}/translation-jobs", op(
            "get", "/api/stories/{uuid}/translation-jobs", "jobs", "A story's machine translation jobs",
            response=obj(("jobs",), jobs=_LIST), errors=(404,))),
        ("post", "/api/stories/{uuid}/translation-jobs", op(
            "post", "/api/stories/{uuid}/translation-jobs", "jobs", "Queue machine translation jobs", ok=202,
            body=json_body(obj(("languages",), languages={"type": "array", "items": _STR})),
            response=obj(("jobs",), jobs=_LIST), errors=(404, 501, 503))),
    ]


def _media() -> list[tuple[str, str, dict[str, Any]]]:
    m, item = "media", ref("MediaItem")
    upload = {"required": True, "content": {
        "multipart/form-data": {"schema": obj(("file",), file={"type": "string", "contentMediaType":
                                                               "application/octet-stream"}, **_MEDIA_FIELDS)},
        "application/octet-stream": {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}}}}
    return [
        ("post", "/api/media", op("post", "/api/media", m, "Add a file to the stock (streamed; fields as form "
                                  "fields, or as query parameters with a raw body); 200 when these bytes are there",
                                  body=upload, ok=201, also=(200,), response=item, query=_MEDIA_FIELDS,
                                  errors=(413,))),
        ("get", "/api/media", op("get", "/api/media", m, "Search the stock", query={
            "q": _STR, "kind": _STR, "language": _STR, "agency": _STR, "credit": _STR},
            response=obj(("media",), media={"description": "a page of items"}), errors=(400,))),
        ("get", "/api/media/{sha256}", op("get", "/api/media/{sha256}", m, "One stock item", response=item,
                                          errors=(404,))),
        ("patch", "/api/media/{sha256}", op("patch", "/api/media/{sha256}", m, "Change an item's texts and rights",
                                            body=json_body(obj(**_MEDIA_FIELDS)), response=item, errors=(404,))),
    ]


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) of every newsroom route."""
    return _stories() + _wire() + _translations() + _media()
