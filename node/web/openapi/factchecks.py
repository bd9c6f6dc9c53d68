"""Fact-checks in the OpenAPI document: publishing, correcting, withdrawing and translating ours, partners' ones,
endorsements, ninjs, and "has anyone in our network checked this?" (`/api/check`)."""

from __future__ import annotations

from typing import Any

from node.web.openapi.build import from_marshmallow, json_body, obj, op
from schemas.factcheck import VERDICTS, FactCheckInputSchema, TranslationInputSchema

__all__ = ["operations"]

_STR = {"type": "string"}
_FC = obj(("id", "verdict", "claim"), id=_STR, url=_STR, verdict={"type": "string", "enum": list(VERDICTS)},
          label=_STR, claim={"type": "object"}, explanation={"type": "object"}, state=_STR,
          endorsements={"type": "integer"}, endorsed_by={"type": "array", "items": {"type": "object"}})
_NINJS = {"application/ninjs+json": {"schema": {"type": "object", "description": "an IPTC ninjs document with "
                                                                                  "the claimReview extension"}}}
_REASON = obj(reason=_STR)


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    """Every fact-check operation, as (method, path, operation)."""
    t = "factchecks"
    fc_input = from_marshmallow(FactCheckInputSchema())
    return [
        ("post", "/api/factchecks", op(
            "post", "/api/factchecks", t, "Publish a fact-check (claim, verdict on the fixed scale, explanation per "
            "language, evidence, urgency); sends a signed Create", body=json_body(fc_input), ok=201, response=_FC)),
        ("get", "/api/factchecks", op(
            "get", "/api/factchecks", t, "Fact-checks newest first: ours (origin=local), partners' (origin=wire), "
            "one partner's (origin=actor URI or user@host) or all (origin=all); urgent=1: only urgent ones (alerts)",
            query={"origin": _STR, "limit": {"type": "integer", "minimum": 1}, "include_withdrawn": _STR,
                   "urgent": _STR},
            response=obj(("factchecks",), factchecks={"type": "array", "items": _FC}))),
        ("get", "/api/factchecks/{uuid}", op("get", "/api/factchecks/{uuid}", t,
                                             "One of our fact-checks with its endorsements", response=_FC,
                                             errors=(404,))),
        ("patch", "/api/factchecks/{uuid}", op(
            "patch", "/api/factchecks/{uuid}", t, "Correct a fact-check (verdict, claim, explanation...); sends an "
            "Update", body=json_body(from_marshmallow(FactCheckInputSchema(), partial=True)), response=_FC,
            errors=(404, 409))),
        ("delete", "/api/factchecks/{uuid}", op(
            "delete", "/api/factchecks/{uuid}", t, "Withdraw a fact-check (sends a Delete)",
            body=json_body(_REASON, required=False), response=_FC, errors=(404, 409))),
        ("post", "/api/factchecks/{uuid}/withdraw", op(
            "post", "/api/factchecks/{uuid}/withdraw", t, "Withdraw a fact-check with a reason (sends a Delete)",
            body=json_body(_REASON, required=False), response=_FC, errors=(404, 409))),
        ("get", "/api/factchecks/{uuid}/ninjs", op("get", "/api/factchecks/{uuid}/ninjs", t,
                                                   "A fact-check as IPTC ninjs (claimReview extension)",
                                                   content=_NINJS, errors=(404,))),
        ("post", "/api/factchecks/import", op(
            "post", "/api/factchecks/import", t, "Publish, correct or withdraw a fact-check from ninjs", ok=201,
            also=(200,), response=_FC,
            body={"required": True, "content": {"application/ninjs+json": {"schema": {"type": "object"}},
                                                "application/json": {"schema": {"type": "object"}}}})),
        ("post", "/api/factchecks/{uuid}/translations", op(
            "post", "/api/factchecks/{uuid}/translations", t, "Submit the claim and explanation in another "
            "language, pending review", body=json_body(from_marshmallow(TranslationInputSchema())), ok=201,
            errors=(404, 409))),
        ("post", "/api/factchecks/{uuid}/translations/{language}/{decision}", op(
            "post", "/api/factchecks/{uuid}/translations/{language}/{decision}", t,
            "Approve (sends an Update with the language) or reject a translation", errors=(404, 409))),
        ("post", "/api/factchecks/endorse", op(
            "post", "/api/factchecks/endorse", t, "Endorse a fact-check this node has (sends a signed Endorse)",
            body=json_body(obj(("uri",), uri=_STR, comment=_STR)), ok=202, errors=(404, 409))),
        ("delete", "/api/factchecks/endorse", op(
            "delete", "/api/factchecks/endorse", t, "Take back our endorsement (sends an Undo of the Endorse)",
            body=json_body(obj(("uri",), uri=_STR)), ok=202, errors=(404,))),
        ("post", "/api/factchecks/announce", op(
            "post", "/api/factchecks/announce", t, "Forward a partner's fact-check to our followers (Announce, with "
            "the checking agency's signed copy)", body=json_body(obj(("uri",), uri=_STR)), ok=202,
            response=obj(("factcheck", "activity"), factcheck=_STR, activity=_STR), errors=(404, 409))),
        ("post", "/api/check", op(
            "post", "/api/check", t, "Has anyone in our network checked this? Matches of a URL or a text with "
            "their verdicts (every agency's, side by side)",
            body=json_body(obj(url=_STR, text=_STR)),
            response=obj(("matches",), query=_STR, indexed={"type": "integer"},
                         matches={"type": "array", "items": {"type": "object"}}))),
    ]
