"""The desk's own operations in the OpenAPI document: sessions, tokens, users, the audit trail, the network
(followers and following), keys, and this document itself."""

from __future__ import annotations

from typing import Any

from node.web.openapi.build import from_marshmallow, json_body, obj, op, ref
from schemas.editor import FollowInputSchema

__all__ = ["operations"]

_STR = {"type": "string"}
_ROLE = {"type": "string", "enum": ["viewer", "translator", "editor", "admin"]}


def _accounts() -> list[tuple[str, str, dict[str, Any]]]:
    a, user = "accounts", ref("User")
    return [
        ("post", "/api/session", op(
            "post", "/api/session", a, "Log in: sets the session cookie and returns the CSRF token", public=True,
            ok=201, body=json_body(obj(("username", "password"), username=_STR, password=_STR)),
            response=ref("Me"), errors=(401, 403, 423, 429))),
        ("get", "/api/session", op("get", "/api/session", a, "Who I am, my role and permissions", response=ref("Me"))),
        ("delete", "/api/session", op("delete", "/api/session", a, "Log out (end this session)", ok=204)),
        ("post", "/api/session/password", op(
            "post", "/api/session/password", a, "Change my password (my other sessions end)", ok=204,
            body=json_body(obj(("current_password", "new_password"), current_password=_STR, new_password=_STR)))),
        ("get", "/api/tokens", op("get", "/api/tokens", a, "My API tokens (never the tokens themselves)",
                                  response=obj(("tokens",), tokens={"type": "array", "items": ref("Token")}))),
        ("post", "/api/tokens", op("post", "/api/tokens", a, "A new API token for me, shown once", ok=201,
                                   body=json_body(obj(name=_STR), required=False), response=ref("Token"))),
        ("delete", "/api/tokens/{id}", op("delete", "/api/tokens/{id}", a, "Revoke one of my tokens",
                                          response=ref("Token"), errors=(404,))),
        ("get", "/api/users", op("get", "/api/users", a, "The desk's users (admin)",
                                 response=obj(("users",), users={"type": "array", "items": user}))),
        ("post", "/api/users", op("post", "/api/users", a, "Add a user (admin)", ok=201, response=user,
                                  body=json_body(obj(("username", "password", "role"), username=_STR,
                                                     password=_STR, role=_ROLE)), errors=(409,))),
        ("patch", "/api/users/{username}", op(
            "patch", "/api/users/{username}", a, "Change a user's role, disable or re-enable, reset the password",
            body=json_body({**obj(role=_ROLE, disabled={"type": "boolean"}, password=_STR), "minProperties": 1,
                            "additionalProperties": False}), response=user, errors=(404,))),
        ("get", "/api/audit", op("get", "/api/audit", a, "The audit trail: who changed what (admin)",
                                 query={"limit": {"type": "integer", "minimum": 1}, "actor": _STR},
                                 response=obj(("events",), events={"type": "array", "items": {"type": "object"}}),
                                 errors=(400,))),
    ]


def _network() -> list[tuple[str, str, dict[str, Any]]]:
    n = "network"
    follow = json_body(from_marshmallow(FollowInputSchema()))
    state = {"state": {"type": "string", "enum": ["pending", "accepted", "rejected"]}}
    return [
        ("get", "/api/following", op("get", "/api/following", n, "Agencies we follow",
                                     response=obj(("following",), following={"type": "array"}))),
        ("post", "/api/following", op("post", "/api/following", n, "Follow an agency by handle (acct:name@host)",
                                      ok=202, body=follow, errors=(404, 409, 502),
                                      response=obj(("id", "actor", "state"), id={"type": "integer"}, actor=_STR,
                                                   handle=_STR, state=_STR))),
        ("post", "/api/following/unfollow", op("post", "/api/following/unfollow", n, "Stop following an agency",
                                               body=follow, response=obj(("actor", "state"), actor=_STR, state=_STR),
                                               errors=(404,))),
        ("get", "/api/followers", op("get", "/api/followers", n, "Who follows us", query=state,
                                     response=obj(("followers",), followers={"type": "array"}))),
        ("post", "/api/followers/{id}/{decision}", op("post", "/api/followers/{id}/{decision}", n,
                                                      "Approve or reject a follow request", errors=(404, 409),
                                                      response=obj(("id", "state"), id={"type": "integer"},
                                                                   state=_STR))),
    ]


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("post", "/api/keys/rotate", op("post", "/api/keys/rotate", "operations",
                                        "Rotate the keys of the agency and its channels (each actor's followers "
                                        "are told with an Update)", ok=201)),
        ("get", "/api/openapi.json", op("get", "/api/openapi.json", "operations", "This OpenAPI document",
                                        public=True, content={"application/json": {"schema": {"type": "object"}}})),
    ]


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) of every desk route."""
    return _accounts() + _network() + _operations()
