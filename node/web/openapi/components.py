"""The shared parts of the OpenAPI document: security schemes, problem responses, and the main object schemas."""

from __future__ import annotations

from typing import Any

from node.web.openapi.build import PROBLEM, obj, ref

__all__ = ["components"]

_STR, _INT, _BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
_TIME = {"type": ["string", "null"], "format": "date-time"}
_TITLES = {400: "Bad request", 401: "Not authenticated", 403: "Refused (role, CSRF token)", 404: "Not found",
           409: "Conflict with the current state", 413: "Too large", 415: "Unsupported media type",
           422: "Invalid input", 423: "Account locked", 429: "Too many requests",
           501: "No translation engine configured", 502: "A peer failed", 503: "Unavailable for a moment"}

_SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object", "description": "An RFC 9457 problem document",
        "required": ["type", "title", "status"],
        "properties": {"type": _STR, "title": _STR, "status": _INT, "detail": _STR,
                       "errors": {"description": "the invalid fields and their messages (422)"},
                       "required_role": _STR, "role": _STR, "retry_after": _INT},
    },
    "Story": obj(
        ("id", "url", "headline", "language", "state"),
        id={"type": "string", "format": "uuid"}, url={"type": "string", "format": "uri"}, headline=_STR,
        summary=_STR, body_html=_STR, language=_STR, hashtags={"type": "array", "items": _STR},
        canonical_url={"type": ["string", "null"]}, state=_STR, version=_INT, published=_TIME, updated=_TIME,
        deleted=_TIME, urgency={"type": ["integer", "null"]}, subjects={"type": "array"}, embargoed_until=_TIME,
        kill_reason={"type": ["string", "null"]}, media={"type": "array", "items": {"type": "object"}},
        deliveries={"type": "object", "additionalProperties": _INT, "description": "deliveries by state"},
        factchecks={"type": "array", "items": {"type": "object"},
                    "description": "the fact-checks the story matched when it was published or last changed "
                                   "(as POST /api/check answers them); one story only"}),
    "MediaItem": obj(
        ("id", "url", "kind", "media_type", "size"),
        id={"type": "string", "description": "the file's SHA-256"}, url={"type": "string", "format": "uri"},
        kind=_STR, media_type=_STR, size=_INT, width={"type": ["integer", "null"]},
        height={"type": ["integer", "null"]}, duration={"type": ["number", "null"]}, alt=_STR, caption=_STR,
        credit=_STR, copyright=_STR, usage_terms=_STR, renditions={"type": "object"},
        c2pa_verdict={"type": ["string", "null"]}, created={"type": "string", "format": "date-time"}),
    "User": obj(("username", "role", "disabled"), id=_INT, username=_STR,
                role={"type": "string", "enum": ["viewer", "translator", "editor", "admin"]}, disabled=_BOOL,
                locked_until=_TIME, created=_TIME, last_login=_TIME),
    "Token": obj(("id", "name"), id=_INT, name=_STR, created=_TIME, last_used=_TIME, revoked=_TIME,
                 token={"type": "string", "description": "the token itself, only in the answer that made it"}),
    "Me": obj(("username", "role"), username=_STR, role=_STR, permissions={"type": "array", "items": _STR},
              csrf_token={"type": "string", "description": "with a session: send it as X-CSRF-Token on changes"},
              expires=_TIME),
    "Translation": obj(("language",), language=_STR, headline=_STR, summary=_STR, body_html=_STR, state=_STR,
                       provenance=_STR),
    "VerificationReport": obj(("verdict",), verdict=_STR, summary=_STR, checks={"type": "array"}),
    "Accepted": obj(description=_STR, activity={"type": "string", "description": "the activity's id"}),
}


def components() -> dict[str, Any]:
    """`components` of the document."""
    responses = {f"Problem{code}": {"description": title, "content": {PROBLEM: {"schema": ref("Problem")}}}
                 for code, title in _TITLES.items()}
    return {
        "schemas": _SCHEMAS,
        "responses": responses,
        "securitySchemes": {
            "bearerToken": {"type": "http", "scheme": "bearer",
                            "description": "the node token (acts as admin) or a user's token (POST /api/tokens)"},
            "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "agency_session",
                              "description": "the desk's session, set by POST /api/session"},
            "csrfHeader": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token",
                           "description": "the session's CSRF token (GET /api/session), required with the cookie "
                                          "on every change"},
        },
    }
