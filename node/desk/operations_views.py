"""The desk's Operations screen (admins): queue depths by state, failing and parked hosts, the latest errors on
queue rows, the audit trail, and the users (add, disable or enable, change a role, reset a password) through the
same use-cases and rules as `agency-node users` (node/accounts/users.py). Links to /healthz and /metrics."""

from __future__ import annotations

from aiohttp import web

from node.accounts import audit, users
from node.accounts.audit import Principal
from node.accounts.errors import AccountError
from node.accounts.guard import HASHER, PRINCIPAL
from node.accounts.roles import ROLES
from node.desk.render import locale_of, redirect, render
from node.operations import overview
from node.web.keys import NODE

__all__ = ["routes"]


async def operations(request: web.Request, *, error: str = "", status: int = 200,
                     form: dict[str, str] | None = None) -> web.Response:
    """The whole screen, read now."""
    node = request.app[NODE]
    return render(request, "operations.html", {
        "queues": await overview.queue_states(), "hosts": await overview.failing_hosts(),
        "errors": await overview.recent_errors(), "events": await audit.recent(50),
        "users": [users.user_json(u) | {"created_at": u.created_at, "last_login_at": u.last_login_at}
                  for u in await users.list_users()],
        "roles": ROLES, "running": node.running_workers(), "stopped": node.dead_workers(),
        "metrics_access": node.config.operations.get("metrics_access", "loopback"),
        "error": error, "form": form or {}}, status=status)


def _refused(exc: AccountError) -> str:
    return f"{exc.title}: {exc.detail}"


async def add_user(request: web.Request) -> web.StreamResponse:
    """A new user with a role and an initial password (typed twice)."""
    loc = locale_of(request)
    form = await request.post()
    username, role = str(form.get("username", "")).strip(), str(form.get("role", ""))
    password, again = str(form.get("password", "")), str(form.get("repeat_password", ""))
    kept = {"username": username, "role": role}
    if password != again:
        return await operations(request, error=loc.gettext("The two passwords differ."), status=422, form=kept)
    try:
        user = await users.add_user(request.app[HASHER], username, password, role)
    except AccountError as exc:
        return await operations(request, error=_refused(exc), status=exc.status, form=kept)
    raise redirect("/desk/operations#users", loc.gettext("User %(name)s added as %(role)s.", name=user.username,
                                                         role=loc.gettext(user.role)))


def _not_myself(request: web.Request, username: str) -> str:
    """Why an admin may not do this to their own account from here (locking themselves out), or ""."""
    who: Principal = request[PRINCIPAL]
    if who.username == username.strip().lower():
        return locale_of(request).gettext("You cannot disable your own account or change your own role here; "
                                          "another administrator (or the agency-node users command) can.")
    return ""


async def change_user(request: web.Request) -> web.StreamResponse:
    """Disable, enable, change the role of, or reset the password of a user (the action is the path's last
    segment); disabling ends their sessions at once."""
    loc = locale_of(request)
    name = request.match_info["username"]
    action = request.path.rsplit("/", 1)[-1]
    form = await request.post()
    if action in ("disable", "role") and (why := _not_myself(request, name)):
        return await operations(request, error=why, status=409)
    if action == "password" and _not_myself(request, name):
        # Resetting ends every session of the user, this one too: one's own password changes on My account.
        return await operations(request, status=409, error=loc.gettext(
            "Change your own password on My account (it asks for the current one)."))
    try:
        if action == "disable":
            user = await users.set_disabled(name, True)
            message = loc.gettext("%(name)s is disabled; their sessions have ended.", name=user.username)
        elif action == "enable":
            user = await users.set_disabled(name, False)
            message = loc.gettext("%(name)s is enabled again.", name=user.username)
        elif action == "role":
            user = await users.set_role(name, str(form.get("role", "")))
            message = loc.gettext("%(name)s is now %(role)s.", name=user.username, role=loc.gettext(user.role))
        else:
            password, again = str(form.get("password", "")), str(form.get("repeat_password", ""))
            if password != again:
                return await operations(request, error=loc.gettext("The two passwords differ."), status=422)
            user = await users.reset_password(request.app[HASHER], name, password)
            message = loc.gettext("The password of %(name)s was reset; their sessions have ended.",
                                  name=user.username)
    except AccountError as exc:
        return await operations(request, error=_refused(exc), status=exc.status)
    raise redirect("/desk/operations#users", message)


def routes() -> list[web.RouteDef]:
    return [
        web.get("/desk/operations", operations),
        web.post("/desk/operations/users", add_user),
        *[web.post(f"/desk/operations/users/{{username}}/{action}", change_user)
          for action in ("disable", "enable", "role", "password")],
    ]
