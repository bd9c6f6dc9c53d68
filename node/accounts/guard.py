"""The editor API's gate, run for every /api/ request (`node.web.api.auth_middleware` calls it):

1. who: the node token (acting as admin "node"), a user's token, or a session cookie; else 401;
2. CSRF: a state-changing request authenticated by the cookie must carry its session's token
   (`X-CSRF-Token` header, or a `csrf_token` field of a urlencoded form; a multipart upload is a stream the gate
   does not read, so it sends the header); bearer requests need none;
3. role: the route's permission (`access.ROUTES`) against the role's (`roles.PERMISSIONS`); else 403 naming
   the role needed, before the handler runs, so nothing changes;
4. audit: a successful change is recorded with who made it (`audit.record`).
"""

from __future__ import annotations

import hmac
import logging
from typing import Awaitable, Callable

import orjson
from aiohttp import web

from node.accounts import access, audit, sessions
from node.accounts.audit import Principal
from node.accounts.passwords import Hasher, hasher_for
from node.accounts.ratelimit import AddressLimiter
from node.accounts.roles import allows, least_role_for
from node.config import hash_token
from node.web.keys import NODE
from node.web.limits import LIMITS
from node.web.problems import ProblemError

__all__ = ["AUDIT_ACTION", "CSRF_FIELD", "CSRF_HEADER", "HASHER", "LIMITER", "PRINCIPAL", "SESSION_COOKIE",
           "acting_name", "guard", "install", "principal_of"]

log = logging.getLogger("agency_node.accounts")

SESSION_COOKIE = "agency_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
PRINCIPAL: web.RequestKey[Principal] = web.RequestKey("principal", Principal)
# A handler may name its change more precisely than its route's line does (a PATCH that is a correction).
AUDIT_ACTION: web.RequestKey[str] = web.RequestKey("audit_action", str)
HASHER: web.AppKey[Hasher] = web.AppKey("password_hasher", Hasher)
LIMITER: web.AppKey[AddressLimiter] = web.AppKey("login_limiter", AddressLimiter)
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
_FORMS = ("application/x-www-form-urlencoded",)


def install(app: web.Application) -> None:
    """Give the app its password hasher and login limiter, from the node's [accounts] settings."""
    settings = app[NODE].config.accounts
    app[HASHER] = hasher_for(settings)
    app[LIMITER] = AddressLimiter(int(settings.get("address_failures", 30)),
                                  float(settings.get("address_window_seconds", 600.0)))


def principal_of(request: web.Request) -> Principal | None:
    """Who is behind this request (set by the gate), or None before it ran."""
    return request.get(PRINCIPAL)


def acting_name(request: web.Request, given: str = "") -> str:
    """The name to record as the person acting (a reviewer, an editor): the logged-in user's, whatever the body
    says; with the node token, the name the body gives (as before accounts existed)."""
    who = principal_of(request)
    return who.username if who is not None and who.is_user else given


async def _principal(request: web.Request) -> Principal:
    config = request.app[NODE].config
    header = request.headers.get("Authorization", "")
    if header:
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        if token and config.api_token_sha256 and hmac.compare_digest(hash_token(token), config.api_token_sha256):
            return Principal("node", "admin", "node-token")
        limiter = request.app[LIMITER]
        address = request.remote or ""
        wait = limiter.retry_after(address)
        if wait:  # this address sent too many wrong tokens or passwords: not even looked up
            raise ProblemError(429, "Too many failed attempts", f"too many wrong credentials from this address: "
                               f"try again in {wait} seconds", retry_after=wait)
        row = await sessions.resolve_token(token) if token else None
        if row is None:
            limiter.failed(address)
            raise ProblemError(401, "Unauthorized", "a valid bearer token is required")
        if row.user.disabled:
            raise ProblemError(401, "Unauthorized", "this token's user is disabled")
        return Principal(row.user.username, row.user.role, "token", user_id=row.user.id)
    raw = request.cookies.get(SESSION_COOKIE, "")
    if raw:
        sess = await sessions.resolve_session(raw, config.accounts)
        if sess is None:
            raise ProblemError(401, "Unauthorized", "the session has ended or expired: log in again")
        return Principal(sess.user.username, sess.user.role, "session", user_id=sess.user.id, session_id=sess.id,
                         csrf_token=sess.csrf_token)
    raise ProblemError(401, "Unauthorized", "log in (POST /api/session) or send a bearer token")


async def _check_csrf(request: web.Request, who: Principal) -> None:
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent and request.content_type in _FORMS:
        sent = str((await request.post()).get(CSRF_FIELD, ""))  # read once; aiohttp keeps it for the handler
    if not sent or not hmac.compare_digest(sent.encode(), who.csrf_token.encode()):
        raise ProblemError(403, "CSRF token missing or wrong",
                           f"a change made with the session cookie must carry the session's CSRF token in the "
                           f"{CSRF_HEADER} header or the {CSRF_FIELD} form field (GET /api/session gives it)")


def _subject(request: web.Request, response: web.StreamResponse) -> str:
    parts = [v for k, v in request.match_info.items() if k != "decision"]
    if parts:
        return "/".join(parts)
    if isinstance(response, web.Response) and response.content_type.endswith("json") and response.body:
        try:
            doc = orjson.loads(response.body)  # type: ignore[arg-type]
        except (orjson.JSONDecodeError, TypeError):
            return ""
        if isinstance(doc, dict):
            for key in ("uuid", "sha256", "actor", "object", "story", "username", "id"):
                if doc.get(key) not in (None, ""):
                    return str(doc[key])
    return ""


async def guard(request: web.Request,
                handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    """Authenticate, check CSRF and role, run the handler, audit the change (see the module's docstring)."""
    if not request.path.startswith("/api/"):
        return await handler(request)
    resource = request.match_info.route.resource
    canonical = resource.canonical if resource is not None else None
    if (request.method, canonical) in access.PUBLIC:
        return await handler(request)
    who = await _principal(request)
    request[PRINCIPAL] = who
    wait = request.app[LIMITS].api.take(f"{who.via}:{who.user_id if who.user_id is not None else who.username}")
    if wait:
        raise ProblemError(429, "Too many requests", f"{who.username} calls the API faster than this node "
                           f"allows: retry in {wait} seconds", retry_after=wait)
    if canonical is None:  # no such route: the handler answers 404 or 405
        return await handler(request)
    if who.via == "session" and request.method not in _SAFE:
        await _check_csrf(request, who)
    rule = access.rule_for(request.method, canonical)
    if not allows(who.role, rule.permission):
        needed = least_role_for(rule.permission)
        raise ProblemError(403, "Role required", f"this needs the {needed} role (or higher); {who.username} is "
                           f"{who.role}", required_role=needed, role=who.role)
    response = await handler(request)
    if rule.action and request.method not in _SAFE and response.status < 400:
        action = request.get(AUDIT_ACTION) or rule.action.format(method=request.method.lower(),
                                                                 **request.match_info)
        await audit.record(who, action, _subject(request, response), request.method, request.path)
    return response
