"""The desk's gate, run for every /desk/ request (the HTML twin of `node/accounts/guard.py`):

1. who: the session cookie (the desk has no bearer tokens); without a live session a page redirects to the login
   form and an event stream or fetch answers 401;
2. locale: the user's setting, else the `desk_lang` cookie, else Accept-Language;
3. CSRF: every POST carries the session's token (`csrf_token` form field or `X-CSRF-Token` header);
4. role: the route's line in `node/desk/access.py` against the role's permissions, before the handler runs;
5. audit: a successful change is recorded with who made it.

Errors under /desk/ are pages in the editor's language (status kept), never JSON problems or tracebacks.
"""

from __future__ import annotations

import hmac
import logging
import urllib.parse
from typing import Awaitable, Callable

from aiohttp import web

from node.accounts import audit, sessions
from node.accounts.audit import Principal
from node.accounts.guard import CSRF_FIELD, CSRF_HEADER, PRINCIPAL, SESSION_COOKIE
from node.accounts.roles import allows, least_role_for
from node.desk import access
from node.desk.i18n import desk_locale, negotiate
from node.desk.keys import DESK_LOCALE, DESK_USER
from node.desk.render import render
from node.web.keys import NODE
from node.web.problems import ProblemError

__all__ = ["LANG_COOKIE", "DeskRefusal", "check_csrf", "desk_middleware"]

log = logging.getLogger("agency_node.desk")
LANG_COOKIE = "desk_lang"
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


class DeskRefusal(Exception):
    """A desk request refused before its handler: an error page with this status, title and text."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


def _wants_page(request: web.Request) -> bool:
    accept = request.headers.get("Accept", "")
    return request.method in _SAFE and "text/event-stream" not in accept and "application/json" not in accept


@web.middleware
async def desk_middleware(request: web.Request,
                          handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    """Guard /desk/ (see the module's docstring); other paths pass through."""
    if not (request.path == "/desk" or request.path.startswith("/desk/")):
        return await handler(request)
    try:
        return await _guarded(request, handler)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        loc = request.get(DESK_LOCALE) or desk_locale("en")
        title = {404: loc.gettext("Page not found"), 405: loc.gettext("Not allowed here")}.get(
            exc.status, exc.reason)
        return _error_page(request, exc.status, title, "")
    except DeskRefusal as exc:
        return _error_page(request, exc.status, exc.title, exc.detail)
    except ProblemError as exc:
        # A use-case's refusal (a 404 story, a 409 conflict, a 422 input) reached the page: show it in words.
        return _error_page(request, exc.status, exc.title, exc.detail)


def _error_page(request: web.Request, status: int, title: str, detail: str) -> web.Response:
    return render(request, "error.html", {"status": status, "title": title, "detail": detail}, status=status)


async def _guarded(request: web.Request,
                   handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    node = request.app[NODE]
    request[DESK_LOCALE] = desk_locale(_cookie_or_browser_locale(request))
    resource = request.match_info.route.resource
    canonical = resource.canonical if resource is not None else None
    if request.path.startswith(access.PUBLIC_PREFIXES) or (request.method, canonical) in access.PUBLIC:
        await _identify(request, node)  # the login page knows who is already logged in
        return await handler(request)
    if not await _identify(request, node):
        if _wants_page(request):
            next_path = request.path_qs if request.path_qs.startswith("/desk") else "/desk/"
            raise web.HTTPSeeOther("/desk/login?" + urllib.parse.urlencode({"next": next_path}))
        loc = request[DESK_LOCALE]
        raise DeskRefusal(401, loc.gettext("Log in first"), loc.gettext("Your session has ended. Log in again."))
    who = request[PRINCIPAL]
    loc = request[DESK_LOCALE]
    if canonical is None:  # no such route: 404/405 from the router, as a page
        return await handler(request)
    if request.method not in _SAFE:
        await check_csrf(request, who)
    rule = access.rule_for(request.method, canonical)
    if not allows(who.role, rule.permission):
        needed = least_role_for(rule.permission)
        raise DeskRefusal(403, loc.gettext("Not allowed"),
                          loc.gettext("This needs the %(needed)s role; you are %(role)s. Nothing was changed.",
                                      needed=loc.gettext(needed), role=loc.gettext(who.role)))
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status >= 400:
            raise
        await _audit(request, who, rule)  # a change answered with a redirect (post/redirect/get)
        raise
    if response.status < 400:
        await _audit(request, who, rule)
    return response


async def _audit(request: web.Request, who: Principal, rule: access.Rule) -> None:
    if rule.action and request.method not in _SAFE:
        subject = "/".join(v for v in request.match_info.values())
        await audit.record(who, rule.action.format(**request.match_info), subject, request.method, request.path)


async def _identify(request: web.Request, node: object) -> bool:
    """Set the request's principal, user and locale from a live session cookie; False without one."""
    raw = request.cookies.get(SESSION_COOKIE, "")
    if not raw:
        return False
    sess = await sessions.resolve_session(raw, node.config.accounts)  # type: ignore[attr-defined]
    if sess is None:
        return False
    user = sess.user
    request[PRINCIPAL] = Principal(user.username, user.role, "session", user_id=user.id, session_id=sess.id,
                                   csrf_token=sess.csrf_token)
    request[DESK_USER] = user
    if user.locale:
        request[DESK_LOCALE] = desk_locale(user.locale)
    return True


def _cookie_or_browser_locale(request: web.Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE, "")
    return chosen if chosen in ("en", "az", "tr", "ru", "kk", "uz", "zh-Hans") else negotiate(
        request.headers.get("Accept-Language", ""))


async def check_csrf(request: web.Request, who: Principal) -> None:
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent and request.content_type in _FORMS:
        sent = str((await request.post()).get(CSRF_FIELD, ""))  # read once; aiohttp keeps it for the handler
    if not sent or not hmac.compare_digest(sent.encode(), who.csrf_token.encode()):
        loc = request[DESK_LOCALE]
        log.warning("desk.csrf_refused", extra={"user": who.username, "path": request.path})
        raise DeskRefusal(403, loc.gettext("This form has expired"),
                          loc.gettext("The form was not sent from this desk session (its security token is "
                                      "missing or wrong). Nothing was changed: reload the page and try again."))
