"""Logging in and out of the desk, the language switcher, and my account (language, password)."""

from __future__ import annotations

import logging

from aiohttp import web

from node.accounts import audit, sessions, users
from node.accounts.audit import Principal
from node.accounts.errors import AccountError, LoginRefused
from node.accounts.guard import HASHER, LIMITER, PRINCIPAL, SESSION_COOKIE
from node.accounts.models import User
from node.desk.gate import LANG_COOKIE, check_csrf
from node.desk.i18n import DESK_LOCALES
from node.desk.keys import DESK_USER
from node.desk.render import locale_of, redirect, render
from node.web.keys import NODE

__all__ = ["routes"]

log = logging.getLogger("agency_node.desk")


def _safe_next(value: str) -> str:
    """Where to go after logging in: a desk path only (never another site: no open redirect)."""
    if value.startswith("/desk") and not value.startswith("//") and "\\" not in value:
        return value
    return "/desk/"


async def login_form(request: web.Request) -> web.Response:
    """The login form (or straight to the desk when already logged in)."""
    next_path = _safe_next(request.query.get("next", "/desk/"))
    if request.get(PRINCIPAL) is not None:
        raise web.HTTPSeeOther(next_path)
    return render(request, "login.html", {"next": next_path, "error": "", "username": ""})


async def login(request: web.Request) -> web.StreamResponse:
    """Check the password (argon2), with the same lock-out and per-address limit as POST /api/session."""
    node = request.app[NODE]
    loc = locale_of(request)
    form = await request.post()
    username, password = str(form.get("username", "")).strip(), str(form.get("password", ""))
    next_path = _safe_next(str(form.get("next", "/desk/")))
    address = request.remote or ""
    limiter = request.app[LIMITER]
    wait = limiter.retry_after(address)
    if wait:
        response = render(request, "login.html", {"next": next_path, "username": username, "error": loc.gettext(
            "Too many wrong passwords from this address. Try again in %(seconds)s seconds.",
            seconds=loc.number(wait))}, status=429)
        response.headers["Retry-After"] = str(wait)
        return response
    try:
        user = await users.authenticate(request.app[HASHER], node.config.accounts, username, password)
    except LoginRefused as exc:
        if exc.status in (401, 423):
            limiter.failed(address)
        log.info("desk.login_refused", extra={"status": exc.status, "address": address})
        message = {423: loc.gettext("This account is locked for a while after too many wrong passwords. "
                                    "Try again later or ask an administrator."),
                   403: loc.gettext("This account is disabled. Ask an administrator.")}.get(
            exc.status, loc.gettext("Wrong user name or password."))
        return render(request, "login.html", {"next": next_path, "username": username, "error": message},
                      status=exc.status)
    raw, sess = await sessions.start_session(user, node.config.accounts)
    who = Principal(user.username, user.role, "session", user_id=user.id, session_id=sess.id,
                    csrf_token=sess.csrf_token)
    await audit.record(who, "session.login", user.username, request.method, request.path)
    log.info("desk.login", extra={"user": user.username, "address": address})
    response = web.HTTPSeeOther(next_path)
    response.set_cookie(SESSION_COOKIE, raw, path="/", httponly=True, samesite="Lax",
                        secure=node.config.base_url.startswith("https://"),
                        max_age=int(float(node.config.accounts.get("session_max_days", 7.0)) * 86400))
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    """End this session and go back to the login form."""
    raw = request.cookies.get(SESSION_COOKIE, "")
    if raw:
        await sessions.end_session(raw)
    response = web.HTTPSeeOther("/desk/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


async def home(request: web.Request) -> web.StreamResponse:
    """The desk opens on the wire."""
    raise web.HTTPSeeOther("/desk/wire")


async def set_language(request: web.Request) -> web.StreamResponse:
    """Switch the desk's language: kept on the user (and in a cookie for the login form)."""
    form = await request.post()
    tag = str(form.get("language", ""))
    back = _safe_next(str(form.get("next", "/desk/")))
    if tag not in DESK_LOCALES:
        raise web.HTTPSeeOther(back)
    user: User | None = request.get(DESK_USER)
    if user is not None:
        # Logged in: the gate checked nothing here (the login form switches too), so check CSRF ourselves.
        await check_csrf(request, request[PRINCIPAL])
        await User.filter(id=user.id).update(locale=tag)
    response = redirect(back)
    response.set_cookie(LANG_COOKIE, tag, path="/desk", samesite="Lax", max_age=365 * 86400)
    raise response


async def account(request: web.Request) -> web.Response:
    """My account: name, role, language, password."""
    return render(request, "account.html", {"error": ""})


async def change_password(request: web.Request) -> web.StreamResponse:
    """My new password (the current one required); my other sessions end."""
    loc = locale_of(request)
    who: Principal = request[PRINCIPAL]
    form = await request.post()
    current, new, again = (str(form.get(k, "")) for k in ("current_password", "new_password", "repeat_password"))
    if new != again:
        return render(request, "account.html", {"error": loc.gettext("The two new passwords differ.")}, status=422)
    try:
        await users.change_own_password(request.app[HASHER], who.user_id or 0, current, new,
                                        keep_session=who.session_id)
    except AccountError as exc:
        return render(request, "account.html", {"error": exc.detail or exc.title}, status=exc.status)
    raise redirect("/desk/account", loc.gettext("Your password was changed. Your other sessions have ended."))


def routes() -> list[web.RouteDef]:
    return [
        web.get("/desk", home), web.get("/desk/", home),
        web.get("/desk/login", login_form), web.post("/desk/login", login),
        web.post("/desk/logout", logout), web.post("/desk/language", set_language),
        web.get("/desk/account", account), web.post("/desk/account/password", change_password),
    ]
