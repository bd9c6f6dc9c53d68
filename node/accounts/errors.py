"""The accounts package's errors. `AccountError` carries an HTTP status, a title and a detail (the editor API
answers with them as a problem document; the CLI prints the detail):

- `AccountError` 404 no such user or token, 409 the username is taken, 422 invalid input (username, role,
  password too short)
- `LoginRefused` 401 wrong username or password (never which), 403 the account is disabled, 423 it is locked
  (with `locked_until`), 429 too many wrong passwords from this address (with `retry_after` seconds)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

__all__ = ["AccountError", "LoginRefused"]


class AccountError(Exception):
    """A use-case refused; nothing was changed."""

    def __init__(self, status: int, title: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra


class LoginRefused(AccountError):
    """A login was refused; `locked_until` or `retry_after` say until when when that is known."""

    def __init__(self, status: int, title: str, detail: str, *, locked_until: datetime | None = None,
                 retry_after: int | None = None) -> None:
        extra: dict[str, Any] = {}
        if locked_until is not None:
            extra["locked_until"] = locked_until.isoformat().replace("+00:00", "Z")
        if retry_after is not None:
            extra["retry_after"] = retry_after
        super().__init__(status, title, detail, **extra)
