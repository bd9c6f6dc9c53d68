"""Login sessions (a random cookie value, stored as its SHA-256, with a CSRF token bound to it) and per-user API
tokens (shown once, stored as their SHA-256, revocable). Both resolve to the user behind a request."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

from tortoise.expressions import Q

from node.accounts.errors import AccountError
from node.accounts.models import ApiToken, LoginSession, User

__all__ = ["TOKEN_PREFIX", "create_token", "end_session", "list_tokens", "resolve_session", "resolve_token",
           "revoke_token", "start_session", "token_json"]

TOKEN_PREFIX = "anu_"  # "agency node user": tells a user token from the node token at a glance (and to scanners)
# Writing last_used_at on every request would turn each read into a write; a minute's precision is enough.
_TOUCH_EVERY = timedelta(seconds=60)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


async def start_session(user: User, settings: Mapping[str, Any]) -> tuple[str, LoginSession]:
    """A new session for `user`: the cookie value (32 random bytes, never stored) and its row."""
    raw = secrets.token_urlsafe(32)
    now = _now()
    # Sessions nobody comes back to are otherwise only deleted when met: sweep the dead ones at each login.
    idle = timedelta(hours=float(settings.get("session_idle_hours", 12.0)))
    await LoginSession.filter(Q(expires_at__lte=now) | Q(last_used_at__lte=now - idle)).delete()
    row = await LoginSession.create(id_sha256=_sha256(raw), user=user, csrf_token=secrets.token_urlsafe(32),
                                    created_at=now, last_used_at=now,
                                    expires_at=now + timedelta(days=float(settings.get("session_max_days", 7.0))))
    return raw, row


async def resolve_session(raw: str, settings: Mapping[str, Any]) -> LoginSession | None:
    """The live session of a cookie value with its user, or None (unknown, expired, idle too long, or its user
    disabled). Expired rows are deleted as they are met."""
    if not raw or len(raw) > 200:
        return None
    row = await LoginSession.get_or_none(id_sha256=_sha256(raw)).prefetch_related("user")
    if row is None:
        return None
    now = _now()
    idle = timedelta(hours=float(settings.get("session_idle_hours", 12.0)))
    if row.expires_at <= now or row.last_used_at + idle <= now:
        await row.delete()
        return None
    if row.user.disabled:
        return None
    if now - row.last_used_at >= _TOUCH_EVERY:
        await LoginSession.filter(id=row.id).update(last_used_at=now)
    return row


async def end_session(raw: str) -> None:
    """Log out: the session's row is deleted."""
    await LoginSession.filter(id_sha256=_sha256(raw)).delete()


async def create_token(user: User, name: str = "") -> tuple[str, ApiToken]:
    """A new API token for `user`: the token itself (shown once) and its row."""
    if len(name) > 100:
        raise AccountError(422, "Invalid input", "name: at most 100 characters")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = await ApiToken.create(token_sha256=_sha256(raw), user=user, name=name, created_at=_now())
    return raw, row


async def resolve_token(raw: str) -> ApiToken | None:
    """The live (not revoked) user token behind a bearer value, with its user; None if there is none. The caller
    refuses a disabled user."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    row = await ApiToken.get_or_none(token_sha256=_sha256(raw), revoked_at=None).prefetch_related("user")
    if row is not None and (row.last_used_at is None or _now() - row.last_used_at >= _TOUCH_EVERY):
        await ApiToken.filter(id=row.id).update(last_used_at=_now())
    return row


async def list_tokens(user_id: int) -> list[ApiToken]:
    """A user's tokens, newest first (revoked ones too, marked)."""
    return await ApiToken.filter(user_id=user_id).order_by("-id")


async def revoke_token(user_id: int, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens; 404 for another's or an unknown one (no hint which)."""
    row = await ApiToken.get_or_none(id=token_id, user_id=user_id)
    if row is None:
        raise AccountError(404, "No such token", f"you have no token {token_id}")
    if row.revoked_at is None:
        row.revoked_at = _now()
        await row.save(update_fields=["revoked_at"])
    return row


def token_json(row: ApiToken) -> dict[str, Any]:
    """A token as listed (never the token or its hash)."""
    def iso(d: datetime | None) -> str | None:
        return d.isoformat().replace("+00:00", "Z") if d else None
    return {"id": row.id, "name": row.name, "created": iso(row.created_at), "last_used": iso(row.last_used_at),
            "revoked": iso(row.revoked_at)}
