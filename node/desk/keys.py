"""Typed keys the desk keeps on the app and on each request."""

from __future__ import annotations

from node.accounts.models import User
from node.desk.i18n import DeskLocale
from aiohttp import web

__all__ = ["DESK_LOCALE", "DESK_USER"]

DESK_USER: web.RequestKey[User] = web.RequestKey("desk_user", User)
DESK_LOCALE: web.RequestKey[DeskLocale] = web.RequestKey("desk_locale", DeskLocale)
