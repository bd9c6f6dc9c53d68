"""Use-cases on users: add, list, disable and enable, reset a password, change a role, and check a login."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

from tortoise.expressions import F

from node.accounts.errors import AccountError, LoginRefused
from node.accounts.models import LoginSession, User
from node.accounts.passwords import MAX_LENGTH, MIN_LENGTH, Hasher
from node.accounts.roles import ROLES

__all__ = ["add_user", "authenticate", "change_own_password", "check_password_rules", "get_user", "list_users",
           "reset_password", "set_disabled", "set_role", "user_json"]

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
NODE_ACTOR = "node"  # the node token's actor name: no user may take it


def _now() -> datetime:
    return datetime.now(timezone.utc)


def check_password_rules(password: str) -> None:
    """Raise a 422 AccountError if `password` cannot be used (never echoing it)."""
    if len(password) < MIN_LENGTH:
        raise AccountError(422, "Password too short", f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise AccountError(422, "Password too long", f"a password has at most {MAX_LENGTH} characters")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountError(422, "Unknown role", f"role must be one of {', '.join(ROLES)}")


def user_json(user: User) -> dict[str, Any]:
    """A user as the API and the CLI show it (never the hash)."""
    def iso(d: datetime | None) -> str | None:
        return d.isoformat().replace("+00:00", "Z") if d else None
    locked = user.locked_until if user.locked_until and user.locked_until > _now() else None
    return {"id": user.id, "username": user.username, "role": user.role, "disabled": user.disabled,
            "locked_until": iso(locked), "created": iso(user.created_at), "last_login": iso(user.last_login_at)}


async def get_user(username: str) -> User:
    """The user called `username`, or a 404 AccountError."""
    user = await User.get_or_none(username=username.lower())
    if user is None:
        raise AccountError(404, "No such user", f"no user {username!r}")
    return user


async def add_user(hasher: Hasher, username: str, password: str, role: str) -> User:
    """A new user; 422 for a bad name, role or password, 409 when the name is taken."""
    username = username.strip().lower()
    if not _USERNAME.fullmatch(username) or username == NODE_ACTOR:
        raise AccountError(422, "Invalid username", "1-64 characters of a-z, 0-9, '.', '_' and '-', starting with "
                           f"a letter or digit (and not {NODE_ACTOR!r})")
    _check_role(role)
    check_password_rules(password)
    if await User.exists(username=username):
        raise AccountError(409, "Username taken", f"there is already a user {username!r}")
    return await User.create(username=username, password_hash=await hasher.hash(password), role=role,
                             created_at=_now())


async def list_users() -> list[User]:
    """Every user, by name."""
    return await User.all().order_by("username")


async def set_disabled(username: str, disabled: bool) -> User:
    """Disable (its sessions end at once; its tokens are refused) or enable a user."""
    user = await get_user(username)
    user.disabled = disabled
    await user.save(update_fields=["disabled"])
    if disabled:
        await LoginSession.filter(user_id=user.id).delete()
    return user


async def reset_password(hasher: Hasher, username: str, password: str) -> User:
    """Set a new password; the user's sessions end and any lock-out is lifted."""
    check_password_rules(password)
    user = await get_user(username)
    user.password_hash = await hasher.hash(password)
    user.failed_logins, user.locked_until = 0, None
    await user.save(update_fields=["password_hash", "failed_logins", "locked_until"])
    await LoginSession.filter(user_id=user.id).delete()
    return user


async def set_role(username: str, role: str) -> User:
    """Give a user another role (effective at their next request)."""
    _check_role(role)
    user = await get_user(username)
    user.role = role
    await user.save(update_fields=["role"])
    return user


async def change_own_password(hasher: Hasher, user_id: int, current: str, new: str,
                              keep_session: int | None = None) -> User:
    """A user sets a new password, giving the current one (403 if wrong); their other sessions end."""
    check_password_rules(new)
    user = await User.get(id=user_id)
    ok, _ = await hasher.verify(user.password_hash, current[:MAX_LENGTH])
    if not ok:
        raise AccountError(403, "Wrong password", "the current password is wrong; nothing changed")
    user.password_hash = await hasher.hash(new)
    await user.save(update_fields=["password_hash"])
    others = LoginSession.filter(user_id=user.id)
    await (others.exclude(id=keep_session) if keep_session is not None else others).delete()
    return user


_WRONG = ("Login failed", "wrong username or password")


async def authenticate(hasher: Hasher, settings: Mapping[str, Any], username: str, password: str) -> User:
    """The user whose password this is, or LoginRefused. Wrong passwords in a row lock the account for
    `lockout_minutes` after `lockout_failures`; a locked account is refused even with its right password."""
    user = await User.get_or_none(username=username.strip().lower()) if len(password) <= MAX_LENGTH else None
    if user is None:
        await hasher.waste(password[:MAX_LENGTH])
        raise LoginRefused(401, *_WRONG)
    now = _now()
    if user.locked_until is not None and user.locked_until > now:
        raise LoginRefused(423, "Account locked", "this account is locked after repeated wrong passwords until "
                           f"{user.locked_until.isoformat(timespec='seconds').replace('+00:00', 'Z')}",
                           locked_until=user.locked_until)
    ok, rehash = await hasher.verify(user.password_hash, password)
    if not ok:
        # Counted in the database (F expression): two processes or two requests at once both count.
        await User.filter(id=user.id).update(failed_logins=F("failed_logins") + 1)
        await user.refresh_from_db(fields=["failed_logins"])
        if user.failed_logins >= int(settings.get("lockout_failures", 10)):
            until = now + timedelta(minutes=float(settings.get("lockout_minutes", 15.0)))
            await User.filter(id=user.id).update(locked_until=until, failed_logins=0)
        raise LoginRefused(401, *_WRONG)
    if user.disabled:
        raise LoginRefused(403, "Account disabled", "this account is disabled; ask an administrator")
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    fields = ["failed_logins", "locked_until", "last_login_at"]
    if rehash:  # the cost settings changed since this hash was made: redo it while the password is at hand
        user.password_hash = await hasher.hash(password)
        fields.append("password_hash")
    await user.save(update_fields=fields)
    return user
