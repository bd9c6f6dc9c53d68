"""Editor API for accounts: log in and out (`/api/session`), one's own API tokens (`/api/tokens`), and the audit
trail (`/api/audit`, admin). The gate in `guard.py` decides who may call what."""

from __future__ import annotations

import logging

from aiohttp import web

from node.accounts import audit, sessions, user_routes, users
from node.accounts.audit import Principal
from node.accounts.errors import AccountError, LoginRefused
from node.accounts.guard import HASHER, LIMITER, SESSION_COOKIE, principal_of
from node.accounts.roles import PERMISSIONS
from node.web.api import json_response, read_json
from node.web.keys import NODE
from node.web.problems import ProblemError

__all__ = ["routes"]

log = logging.getLogger("agency_node.accounts")


def _problem(exc: AccountError) -> ProblemError:
    return ProblemError(exc.status, exc.title, exc.detail, **exc.extra)


def _who(request: web.Request) -> Principal:
    who = principal_of(request)
    assert who is not None  # the gate ran
    return who


def _user_only(who: Principal) -> int:
    if who.user_id is None:
        raise ProblemError(400, "Not a user", "the node token is no user (it has no password or tokens of its "
                           "own); log in as a user (agency-node users add) for this")
    return who.user_id


def _me(who: Principal) -> dict[str, object]:
    doc: dict[str, object] = {"username": who.username, "role": who.role, "via": who.via,
                              "permissions": sorted(PERMISSIONS.get(who.role, ()))}
    if who.csrf_token:
        doc["csrf_token"] = who.csrf_token
    return doc


async def login(request: web.Request) -> web.Response:
    """{username, password}: a session cookie and the session's CSRF token; 401/403/423/429 otherwise."""
    node = request.app[NODE]
    data = await read_json(request)
    if not isinstance(data, dict) or not isinstance(data.get("username"), str) \
            or not isinstance(data.get("password"), str):
        raise ProblemError(422, "Invalid input", "send {\"username\": ..., \"password\": ...}")
    address = request.remote or ""
    limiter = request.app[LIMITER]
    wait = limiter.retry_after(address)
    if wait:
        log.warning("accounts.login_rate_limited", extra={"address": address})
        raise ProblemError(429, "Too many failed logins", f"too many wrong passwords from this address: try again "
                           f"in {wait} seconds", retry_after=wait)
    try:
        user = await users.authenticate(request.app[HASHER], node.config.accounts, data["username"],
                                        data["password"])
    except LoginRefused as exc:
        if exc.status in (401, 423):
            limiter.failed(address)
        log.info("accounts.login_refused", extra={"status": exc.status, "address": address})
        raise _problem(exc) from None
    raw, sess = await sessions.start_session(user, node.config.accounts)
    who = Principal(user.username, user.role, "session", user_id=user.id, session_id=sess.id,
                    csrf_token=sess.csrf_token)
    await audit.record(who, "session.login", user.username, request.method, request.path)
    log.info("accounts.login", extra={"user": user.username, "address": address})
    response = json_response({**_me(who), "expires": sess.expires_at.isoformat().replace("+00:00", "Z")}, 201)
    response.set_cookie(SESSION_COOKIE, raw, path="/", httponly=True, samesite="Lax",
                        secure=node.config.base_url.startswith("https://"),
                        max_age=int(float(node.config.accounts.get("session_max_days", 7.0)) * 86400))
    return response


async def whoami(request: web.Request) -> web.Response:
    """Who I am, my role and what it allows; with a session, its CSRF token."""
    return json_response(_me(_who(request)))


async def logout(request: web.Request) -> web.Response:
    """End this session (a bearer token is not a session: it stays valid; revoke it with DELETE /api/tokens)."""
    raw = request.cookies.get(SESSION_COOKIE, "")
    if raw:
        await sessions.end_session(raw)
    response = web.Response(status=204)
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


async def change_password(request: web.Request) -> web.Response:
    """{current_password, new_password}: my new password; my other sessions end, this one stays."""
    who = _who(request)
    user_id = _user_only(who)
    data = await read_json(request)
    if not isinstance(data, dict) or not isinstance(data.get("current_password"), str) \
            or not isinstance(data.get("new_password"), str):
        raise ProblemError(422, "Invalid input", "send {current_password, new_password} as strings")
    try:
        await users.change_own_password(request.app[HASHER], user_id, data["current_password"],
                                        data["new_password"], keep_session=who.session_id)
    except AccountError as exc:
        raise _problem(exc) from None
    return web.Response(status=204)


async def make_token(request: web.Request) -> web.Response:
    """{name?}: a new token for me, shown once."""
    user_id = _user_only(_who(request))
    data = await read_json(request) if request.can_read_body else {}
    name = data.get("name", "") if isinstance(data, dict) else None
    if not isinstance(name, str):
        raise ProblemError(422, "Invalid input", "name: a string")
    try:
        raw, row = await sessions.create_token(await users.User.get(id=user_id), name)
    except AccountError as exc:
        raise _problem(exc) from None
    return json_response({**sessions.token_json(row), "token": raw}, 201)


async def my_tokens(request: web.Request) -> web.Response:
    user_id = _user_only(_who(request))
    return json_response({"tokens": [sessions.token_json(t) for t in await sessions.list_tokens(user_id)]})


async def revoke_token(request: web.Request) -> web.Response:
    user_id = _user_only(_who(request))
    token_id = request.match_info["id"]
    if not token_id.isdigit():
        raise ProblemError(404, "No such token", f"you have no token {token_id}")
    try:
        row = await sessions.revoke_token(user_id, int(token_id))
    except AccountError as exc:
        raise _problem(exc) from None
    return json_response(sessions.token_json(row))


async def audit_log(request: web.Request) -> web.Response:
    """The latest changes, newest first: `limit` (1-1000, default 100), `actor` (a username or "node")."""
    try:
        limit = int(request.query.get("limit", "100") or 100)
    except ValueError:
        raise ProblemError(422, "Invalid limit", "limit must be a whole number from 1 to 1000") from None
    rows = await audit.recent(limit, request.query.get("actor") or None)
    return json_response({"events": [audit.audit_json(r) for r in rows]})


def routes() -> list[web.RouteDef]:
    """The session, token and audit routes, and the user management routes (`user_routes.py`)."""
    return user_routes.routes() + [
        web.post("/api/session", login),
        web.get("/api/session", whoami),
        web.delete("/api/session", logout),
        web.post("/api/session/password", change_password),
        web.post("/api/tokens", make_token),
        web.get("/api/tokens", my_tokens),
        web.delete("/api/tokens/{id}", revoke_token),
        web.get("/api/audit", audit_log),
    ]
