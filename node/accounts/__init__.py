"""Editors' accounts: users with roles (`roles.py`), argon2id passwords (`passwords.py`), login sessions and API
tokens (`sessions.py`), lock-out and per-address limits (`users.py`, `ratelimit.py`), the editor API's gate
(`guard.py`: who, CSRF, role, audit; the route table in `access.py`), the audit trail (`audit.py`) and the
routes (`routes.py`). The CLI is `node/cli/users.py`."""

from node.accounts.audit import Principal
from node.accounts.roles import PERMISSIONS, ROLES

__all__ = ["PERMISSIONS", "Principal", "ROLES"]
