"""Editor API for managing users (admin): list, add, and change a role, a password or the disabled state.
The same use-cases as `agency-node users` (`users.py`); the gate audits each change as user.add / user.change."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from node.accounts import users
from node.accounts.errors import AccountError
from node.accounts.guard import HASHER
from node.web.api import json_response, read_json
from node.web.problems import ProblemError

__all__ = ["routes"]

_CHANGES = {"role": str, "disabled": bool, "password": str}


def _problem(exc: AccountError) -> ProblemError:
    return ProblemError(exc.status, exc.title, exc.detail, **exc.extra)


async def list_users(request: web.Request) -> web.Response:
    return json_response({"users": [users.user_json(u) for u in await users.list_users()]})


async def add_user(request: web.Request) -> web.Response:
    """{username, password, role}: a new user (201)."""
    data = await read_json(request)
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("username", "password", "role")):
        raise ProblemError(422, "Invalid input", "send {username, password, role} as strings")
    try:
        user = await users.add_user(request.app[HASHER], data["username"], data["password"], data["role"])
    except AccountError as exc:
        raise _problem(exc) from None
    return json_response(users.user_json(user), 201)


async def change_user(request: web.Request) -> web.Response:
    """{role?, disabled?, password?}: each given change is made (checked all first: a bad one changes nothing)."""
    data: Any = await read_json(request)
    if not isinstance(data, dict) or not data or set(data) - set(_CHANGES) \
            or any(not isinstance(v, _CHANGES[k]) for k, v in data.items()):
        raise ProblemError(422, "Invalid input", "send any of role (string), disabled (boolean), password (string)")
    name = request.match_info["username"]
    try:
        await users.get_user(name)
        if "password" in data:
            users.check_password_rules(data["password"])
        if "role" in data:
            user = await users.set_role(name, data["role"])
        if "disabled" in data:
            user = await users.set_disabled(name, data["disabled"])
        if "password" in data:
            user = await users.reset_password(request.app[HASHER], name, data["password"])
    except AccountError as exc:
        raise _problem(exc) from None
    return json_response(users.user_json(user))


def routes() -> list[web.RouteDef]:
    return [
        web.get("/api/users", list_users),
        web.post("/api/users", add_user),
        web.patch("/api/users/{username}", change_user),
    ]
